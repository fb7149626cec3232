#!/usr/bin/env node
// Entry point of the `tokend` command: the built CLI when present, else the TypeScript source via tsx
// (a checkout before `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli.js');
let cli;
if (existsSync(built)) {
  cli = await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(pathToFileURL(join(root, 'src', 'cli.ts')).href);
}
const code = await cli.run(process.argv);
if (process.argv[2] !== 'serve') process.exitCode = code;
