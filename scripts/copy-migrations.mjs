// The build copies the SQL migrations beside the compiled migrate.js, which reads them at start-up.
import { cpSync } from 'node:fs';

cpSync('src/db/migrations', 'dist/src/db/migrations', { recursive: true });
