// The answer check refuses what a generated client could not read: an operation or a status the
// document lacks, a body off its schema (through $ref and nullable), a missing required header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Answer, AnswerCheck } from './answer-check.js';

const DOCUMENT = {
  openapi: '3.0.3',
  components: {
    schemas: {
      Thing: {
        type: 'object',
        required: ['id', 'at'],
        properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time', nullable: true } },
        additionalProperties: false,
      },
    },
    headers: { RetryAfter: { required: true, schema: { type: 'integer', minimum: 1 } } },
  },
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          200: {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
          },
          429: {
            description: 'slow down',
            headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
          },
        },
      },
    },
    '/things/mine': { get: { responses: { 204: { description: 'nothing' } } } },
    '/files/{id}': { get: { responses: { 200: { description: 'bytes', content: { 'text/*': {} } } } } },
  },
};

const answer = (over: Partial<Answer>): Answer => ({
  method: 'GET',
  url: '/things/1',
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ id: '1', at: null }),
  ...over,
});

test('answers as documented are validated, by operation and status', () => {
  const check = new AnswerCheck(DOCUMENT);
  check.check(answer({}));
  check.check(answer({ body: JSON.stringify({ id: '1', at: '2025-01-01T00:00:00.000Z' }) }));
  check.check(answer({ url: '/things/mine?x=1', status: 204, headers: {}, body: '' }));
  check.check(answer({ status: 429, headers: { 'retry-after': '3' }, body: '' }));
  check.check(answer({ url: '/files/1', headers: { 'content-type': 'text/csv' }, body: 'a,b' }));
  assert.deepEqual(check.misses, []);
  assert.deepEqual(check.validated, [
    'GET /things/{id} 200',
    'GET /things/{id} 200',
    'GET /things/mine 204',
    'GET /things/{id} 429',
    'GET /files/{id} 200',
  ]);
  assert.deepEqual(check.statuses(), [200, 204, 429]);
});

test('answers outside the document are misses, each named', () => {
  const check = new AnswerCheck(DOCUMENT);
  check.check(answer({ url: '/elsewhere' }));
  check.check(answer({ method: 'POST' }));
  check.check(answer({ status: 404 }));
  check.check(answer({ body: JSON.stringify({ id: 1, at: null }) }));
  check.check(answer({ body: JSON.stringify({ id: '1', at: 'yesterday' }) }));
  check.check(answer({ body: JSON.stringify({ id: '1', at: null, extra: true }) }));
  check.check(answer({ headers: { 'content-type': 'text/html' } }));
  check.check(answer({ status: 429, headers: {}, body: '' }));
  check.check(answer({ status: 429, headers: { 'retry-after': '0' }, body: '' }));
  check.check(answer({ url: '/things/mine', status: 204, headers: {}, body: 'surprise' }));
  check.check(answer({ url: '/files/1', headers: { 'content-type': 'image/png' }, body: 'png' }));
  assert.equal(check.validated.length, 0);
  assert.deepEqual(
    check.misses.map((m) => m.split(':')[0]),
    [
      'not in the document',
      'not in the document',
      'status not documented for /things/{id}',
      'body not as documented (data/id must be string)',
      'body not as documented (data/at must match format "date-time", data/at must be null, data/at must match a schema in anyOf)',
      'body not as documented (data must NOT have additional properties)',
      'content type text/html not documented',
      'documented header Retry-After missing',
      'header Retry-After',
      'a body where the document has none',
      'content type image/png not documented',
    ],
  );
});
