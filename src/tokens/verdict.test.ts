// The pure decision of a token check (SPEC sections 4 and 8): institution, then expiry and state, then
// the network rule, then the permissions — each refusal wins over every later one, whatever they say —
// and the prepared answer comes back as it is (the cached path allocates nothing for it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileNetworkRule } from './network-rules.js';
import { type CheckedToken, judge, prepare, type RequiredPermissions, type Verification } from './verdict.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + 60_000);
const EARLIER = new Date(NOW.getTime() - 60_000);
const HOME = 'inst-home';

const row = (over: Partial<CheckedToken> = {}): CheckedToken => ({
  id: 'tok-1',
  institutionId: HOME,
  name: 'CRM',
  display: 'sk-crm-abc... xyz',
  state: 'active',
  expiresAt: null,
  permissions: ['contacts.read', 'core.core.files_download'],
  allowedIps: [],
  retiredValidUntil: null,
  retired: false,
  ...over,
});

const outcome = (v: Verification) => (v.ok ? 'ok' : v.permission ? `${v.reason} ${v.permission}` : v.reason);

const decide = (r: CheckedToken, address: string, required: RequiredPermissions, institution = HOME) =>
  outcome(judge(prepare(r), institution, NOW, required, address));

test('each check in its order: institution, expiry, state, network rule, permissions', () => {
  const narrow = { allowedIps: ['127.0.0.2/32'] };
  const lacking = ['applications.read'];
  // Every later check would refuse too; the earliest one answers.
  const all = { ...narrow, state: 'suspended' as const, expiresAt: EARLIER };
  assert.equal(decide(row(all), '127.0.0.3', lacking, 'inst-other'), 'invalid_token');
  assert.equal(decide(row(all), '127.0.0.3', lacking), 'token_expired');
  assert.equal(decide(row({ ...narrow, state: 'suspended' }), '127.0.0.3', lacking), 'token_suspended');
  assert.equal(decide(row({ ...narrow, state: 'revoked' }), '127.0.0.3', lacking), 'token_revoked');
  const rotated = { ...narrow, retired: true, retiredValidUntil: EARLIER };
  assert.equal(decide(row(rotated), '127.0.0.3', lacking), 'token_rotated');
  assert.equal(decide(row(narrow), '127.0.0.3', lacking), 'ip_not_allowed');
  assert.equal(decide(row(narrow), '127.0.0.2', lacking), 'insufficient_permission applications.read');
  assert.equal(decide(row(narrow), '127.0.0.2', ['contacts.read']), 'ok');
  // An old secret in its grace is checked like the current one.
  const grace = { ...narrow, retired: true, retiredValidUntil: LATER };
  assert.equal(decide(row(grace), '127.0.0.2', null), 'ok');
});

test('the first missing permission in the required order; an unknown key is simply missing', () => {
  const r = row();
  assert.equal(
    decide(r, '10.0.0.1', ['contacts.read', 'applications.read']),
    'insufficient_permission applications.read',
  );
  assert.equal(decide(r, '10.0.0.1', ['b.b', 'a.a']), 'insufficient_permission b.b');
  assert.equal(decide(r, '10.0.0.1', ['no such key at all']), 'insufficient_permission no such key at all');
  assert.equal(decide(r, '10.0.0.1', ['core.core.files_download', 'contacts.read']), 'ok');
  assert.equal(decide(r, '10.0.0.1', []), 'ok');
  assert.equal(decide(r, '10.0.0.1', null), 'ok');
});

test('the network rule: empty allows any address (or none); IPv4-mapped IPv6 matches IPv4 ranges', () => {
  assert.equal(decide(row(), '', null), 'ok');
  assert.equal(decide(row(), '2001:db8::1', null), 'ok');
  const r = row({ allowedIps: ['198.51.100.0/24', '2001:db8::/48'] });
  assert.equal(decide(r, '198.51.100.7', null), 'ok');
  assert.equal(decide(r, '::ffff:198.51.100.7', null), 'ok');
  assert.equal(decide(r, '::ffff:c633:6407', null), 'ok');
  assert.equal(decide(r, '2001:db8:0:ffff::1', null), 'ok');
  assert.equal(decide(r, '198.51.101.7', null), 'ip_not_allowed');
  assert.equal(decide(r, '2001:db9::1', null), 'ip_not_allowed');
  // An address the client address function could not read is refused, never waved through.
  for (const odd of ['', 'unknown', '198.51.100.7:443', 'fe80::1%eth0'])
    assert.equal(decide(r, odd, null), 'ip_not_allowed', odd);
});

test('a valid token answers its prepared answer itself, rule and permissions included', () => {
  const entry = prepare(row({ allowedIps: ['127.0.0.0/8', '10.0.0.0/8'] }));
  const required = ['contacts.read'];
  for (let i = 0; i < 3; i++) assert.equal(judge(entry, HOME, NOW, required, '127.0.0.1'), entry.valid);
});

const octet = fc.integer({ min: 0, max: 255 });
const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));

test('the rule remembers answers, and a remembered answer is the compiled rule’s', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(v4, fc.integer({ min: 8, max: 32 })), { minLength: 1, maxLength: 50 }),
      fc.array(v4, { minLength: 1, maxLength: 60 }),
      (ranges, addresses) => {
        // The stored form is canonical: masked to the prefix, as parseAllowedIps writes it.
        const stored = [...new Set(ranges.map(([a, p]) => canonical(a, p)))];
        const entry = prepare(row({ allowedIps: stored }));
        const compiled = compileNetworkRule(stored);
        // Twice over: the second pass answers from what the first remembered (bounded, so partly).
        for (const address of [...addresses, ...addresses]) {
          const expected = compiled.allows(address) ? 'ok' : 'ip_not_allowed';
          assert.equal(outcome(judge(entry, HOME, NOW, null, address)), expected, address);
        }
      },
    ),
  );
});

function canonical(address: string, prefix: number): string {
  const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const masked = prefix === 0 ? 0 : Math.floor(n / 2 ** (32 - prefix)) * 2 ** (32 - prefix);
  return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join('.')}/${prefix}`;
}

// Each check's own verdict, with every other check made to pass: the property's oracle.
const CHECKS = ['institution', 'token', 'network', 'permissions'] as const;

test('property: the answer is the first failing check in SPEC order', () => {
  const state = fc.constantFrom<CheckedToken['state'][]>('active', 'suspended', 'revoked', 'expired');
  const when = fc.constantFrom(null, EARLIER, LATER);
  const keys = fc.constantFrom('a.read', 'b.read', 'c.write', 'core.core.files_download');
  fc.assert(
    fc.property(
      fc.record({
        otherInstitution: fc.boolean(),
        state,
        expiresAt: when,
        retired: fc.boolean(),
        retiredValidUntil: when,
        ruled: fc.boolean(),
        fromInside: fc.boolean(),
        held: fc.uniqueArray(keys, { maxLength: 4 }),
        required: fc.option(fc.array(keys, { maxLength: 4 }), { nil: null }),
      }),
      (c) => {
        const base = row({
          state: c.state,
          expiresAt: c.expiresAt,
          retired: c.retired,
          retiredValidUntil: c.retiredValidUntil,
          permissions: c.held,
          allowedIps: c.ruled ? ['203.0.113.0/24'] : [],
        });
        const address = c.fromInside ? '203.0.113.9' : '192.0.2.1';
        const institution = c.otherInstitution ? 'inst-other' : HOME;
        const alone: Record<(typeof CHECKS)[number], string> = {
          institution: decide(row(), address, null, institution),
          token: decide({ ...base, allowedIps: [] }, address, null),
          network: decide(row({ allowedIps: base.allowedIps }), address, null),
          permissions: decide(row({ permissions: c.held }), address, c.required),
        };
        const first = CHECKS.map((k) => alone[k]).find((v) => v !== 'ok') ?? 'ok';
        assert.equal(decide(base, address, c.required, institution), first);
      },
    ),
  );
});
