// Entry point of the admin page (Settings → General settings → Manage API Tokens): mounts the app into
// #root. Styles are one plain stylesheet; JSX is compiled by Vite as tsconfig's `jsx: react-jsx` says.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
