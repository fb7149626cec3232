// The committed API types (api.ts beside this file, which the page imports) are what openapi-typescript
// makes of the document the app serves now. The build writes only dist/openapi.json, never api.ts, so
// this fails in CI too when a route's schema changed without `npm run generate`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { apiDocument, apiTypes, TYPES_FILE } from '../../../scripts/api-contract.js';

test('the committed API types match the served document (else run `npm run generate`)', async () => {
  const fresh = (await apiTypes(await apiDocument())).split('\n');
  const committed = readFileSync(TYPES_FILE, 'utf8').split('\n');
  // The first line that differs, rather than two files of two thousand lines.
  const differs = fresh.findIndex((line, i) => line !== committed[i]);
  const at = differs === -1 && committed.length !== fresh.length ? fresh.length : differs;
  assert.equal(
    at,
    -1,
    `${TYPES_FILE} is stale from line ${at + 1} (committed ${JSON.stringify(committed[at])}, ` +
      `now ${JSON.stringify(fresh[at])}): run \`npm run generate\` and commit it`,
  );
});
