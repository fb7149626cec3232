// Writes the API contract's files. `npm run generate` writes the committed types (src/http/generated/,
// which the page imports); `npm run build` writes the document into dist/ and only warns when the
// committed types no longer match it, so a test, not the build, is what fails on stale types (in CI the
// build runs first, and a build that rewrote them would hide the difference).
//   node --import tsx scripts/generate-api.ts            the types, into src/http/generated/api.ts
//   node --import tsx scripts/generate-api.ts --build    dist/openapi.json, and the staleness warning
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { apiDocument, apiTypes, TYPES_FILE } from './api-contract.js';

const DOCUMENT_FILE = 'dist/openapi.json';

const document = await apiDocument();
const types = await apiTypes(document);
if (process.argv.includes('--build')) {
  mkdirSync(dirname(DOCUMENT_FILE), { recursive: true });
  writeFileSync(DOCUMENT_FILE, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${DOCUMENT_FILE}`);
  if (!existsSync(TYPES_FILE) || readFileSync(TYPES_FILE, 'utf8') !== types)
    console.warn(`warning: ${TYPES_FILE} does not match the API: run \`npm run generate\` and commit it`);
} else {
  mkdirSync(dirname(TYPES_FILE), { recursive: true });
  writeFileSync(TYPES_FILE, types);
  console.log(`wrote ${TYPES_FILE}`);
}
