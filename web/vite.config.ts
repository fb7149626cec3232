// Builds the admin page (web/) into web/dist, which tokend serves at `/`.
// `npx vite build web` from the repository root; `npx vite web` serves it for development and
// forwards the API to a tokend on TOKEND_DEV_API (default http://127.0.0.1:3000).
import { defineConfig } from 'vite';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: { '/apis': process.env.TOKEND_DEV_API ?? 'http://127.0.0.1:3000' },
  },
});
