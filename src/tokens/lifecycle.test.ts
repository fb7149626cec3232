// The lifecycle's contract (SPEC section 2): the transition table as a whole, the state in effect at
// `now` at its boundaries, since every guarded write and every request relies on it, and the one list
// of states that the schemas, the list filter and the SQL take.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import fc from 'fast-check';
import { TokenSchema, TokenStateSchema } from '../http/schemas.js';
import {
  canApply,
  canAuthenticate,
  canRotate,
  effectiveState,
  ROTATABLE_STATES,
  TOKEN_STATES,
  type TokenState,
  TRANSITIONS,
  type Transition,
} from './lifecycle.js';
import { parseListInput } from './list-query.js';

const RUNS = { numRuns: 1000 };
const STATES = TOKEN_STATES;
const STORED: TokenState[] = TOKEN_STATES.filter((s) => s !== 'expired');
const TRANSITION_NAMES: Transition[] = ['suspend', 'reactivate', 'revoke'];
const AT = new Date('2030-01-01T00:00:00.000Z');
const JUST_BEFORE = new Date(AT.getTime() - 1);

test('the states, and the transition table', () => {
  assert.deepEqual(TOKEN_STATES, ['active', 'suspended', 'revoked', 'expired']);
  assert.deepEqual(TRANSITIONS, {
    suspend: { from: ['active'], to: 'suspended', event: 'token.suspended' },
    reactivate: { from: ['suspended'], to: 'active', event: 'token.reactivated' },
    revoke: { from: ['suspended'], to: 'revoked', event: 'token.revoked' },
  });
  const allowed = TRANSITION_NAMES.flatMap((t) =>
    STATES.filter((s) => canApply(t, s)).map((s) => `${t}:${s}`),
  );
  assert.deepEqual(allowed, ['suspend:active', 'reactivate:suspended', 'revoke:suspended']);
  assert.equal(canApply('revoke', 'active'), false);
  assert.deepEqual(ROTATABLE_STATES, ['active', 'suspended']);
  assert.deepEqual(
    STATES.filter((s) => canRotate(s)),
    ['active', 'suspended'],
  );
  assert.deepEqual(
    STATES.filter((s) => canAuthenticate(s)),
    ['active'],
  );
});

test('effectiveState at the expiry boundary', () => {
  for (const stored of ['active', 'suspended'] as const) {
    assert.equal(effectiveState(stored, AT, AT), 'expired');
    assert.equal(effectiveState(stored, AT, JUST_BEFORE), stored);
    assert.equal(effectiveState(stored, null, new Date(8.64e15)), stored);
  }
  assert.equal(effectiveState('revoked', AT, AT), 'revoked');
  assert.equal(effectiveState('revoked', AT, new Date(AT.getTime() + 86_400_000)), 'revoked');
  assert.equal(effectiveState('expired', AT, JUST_BEFORE), 'expired');
  // An expired token can no longer be moved, whatever its stored state says.
  assert.equal(canApply('reactivate', effectiveState('suspended', AT, AT)), false);
  assert.equal(canApply('revoke', effectiveState('suspended', AT, AT)), false);
});

test('effectiveState agrees with the rule for any times', () => {
  const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
  fc.assert(
    fc.property(fc.constantFrom(...STATES), fc.option(time), time, (stored, expires, now) => {
      const state = effectiveState(stored, expires === null ? null : new Date(expires), new Date(now));
      const lapsed = expires !== null && now >= expires;
      if (stored === 'revoked' || stored === 'expired') assert.equal(state, stored);
      else assert.equal(state, lapsed ? 'expired' : stored);
      if (state === 'expired') {
        for (const t of TRANSITION_NAMES) assert.equal(canApply(t, state), false);
      }
      assert.equal(canAuthenticate(state), state === 'active');
    }),
    RUNS,
  );
});

test('a transition leads to a state from which it cannot be applied again', () => {
  fc.assert(
    fc.property(fc.constantFrom(...TRANSITION_NAMES), fc.constantFrom(...STORED), (t, state) => {
      if (!canApply(t, state)) return;
      assert.equal(canApply(t, TRANSITIONS[t].to), false);
    }),
    RUNS,
  );
});

test('the one list of states feeds the API schema, the list filter and the SQL', async () => {
  // The API's Token.state (and so the OpenAPI document) offers exactly these states.
  assert.deepEqual(
    TokenStateSchema.anyOf.map((s) => s.const),
    [...TOKEN_STATES],
  );
  assert.deepEqual(TokenSchema.properties.state, TokenStateSchema);
  // The list filter takes each state and names them all when refusing another.
  for (const s of TOKEN_STATES) assert.equal(parseListInput({ states: [s] }).ok, true);
  assert.deepEqual(parseListInput({ states: ['deleted'] }), {
    ok: false,
    code: 'invalid_request',
    message: 'state must be active, suspended, revoked or expired',
    field: 'state',
  });
  // No store, rule or schema restates the list: SQL takes it as a parameter (`= ANY($n)`).
  const restated = /'(active|suspended|revoked|expired)',\s*'(active|suspended|revoked|expired)'/;
  const sources = [
    'store.ts',
    'secret-store.ts',
    'event-store.ts',
    'expiry-store.ts',
    'list-store.ts',
    'verdict.ts',
    'list-query.ts',
    'view.ts',
  ];
  const files = [
    ...sources.map((f) => new URL(f, import.meta.url)),
    new URL('../http/schemas.ts', import.meta.url),
  ];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    assert.doesNotMatch(text, restated, `${file.pathname} restates the token states`);
    assert.doesNotMatch(text, /state IN \(/, `${file.pathname} restates states in SQL`);
  }
});
