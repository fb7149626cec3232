import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { escapeHtml, messageIdFor, recipientsFor, renderNotice, tokenPageUrl } from './templates.js';

const facts = {
  kind: 'expiry_7d' as const,
  tokenId: '6f1c2c1e-1111-4222-8333-944455556666',
  tokenName: 'CRM <script>alert(1)</script> & "friends"',
  display: 'sk-crm-script-a... xyz',
  institution: 'Acme & Sons',
  expiresAt: new Date('2030-02-03T04:05:06.789Z'),
  url: 'https://acme.example.test/settings/api-tokens/6f1c2c1e-1111-4222-8333-944455556666',
};

describe('reminder emails', () => {
  test('text and HTML name the token, its display form, the institution, the expiry in UTC and the page', () => {
    const r = renderNotice(facts);
    assert.equal(r.subject, 'API token "CRM <script>alert(1)</script> & "friends"" expires within 7 days');
    for (const part of [r.text, r.html]) {
      assert.ok(part.includes(escapeIf(part, facts.display)), 'display form');
      assert.ok(part.includes(escapeIf(part, 'Acme & Sons')), 'institution');
      assert.ok(part.includes('2030-02-03 04:05:06 UTC'), 'expiry in UTC');
      assert.ok(part.includes(facts.url), 'link');
      assert.match(part, /[Rr]enew/);
      assert.match(part, /rotate/);
    }
    assert.ok(r.text.includes(facts.tokenName));
  });

  test('HTML escapes every name', () => {
    const { html } = renderNotice(facts);
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('CRM &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;'));
    assert.ok(html.includes('Acme &amp; Sons'));
  });

  test('the expired notice says so; a name with line breaks gives a one-line subject', () => {
    const r = renderNotice({ ...facts, kind: 'expired', tokenName: 'two\nlines' });
    assert.equal(r.subject, 'API token "two lines" has expired');
    assert.match(r.text, /expired at 2030-02-03 04:05:06 UTC/);
  });

  test('Message-ID is derived from token, kind and expiry', () => {
    const id = messageIdFor(facts.tokenId, 'expiry_7d', facts.expiresAt);
    assert.match(id, /^<[0-9a-f]{32}@tokend>$/);
    assert.equal(id, messageIdFor(facts.tokenId, 'expiry_7d', new Date(facts.expiresAt)));
    assert.notEqual(id, messageIdFor(facts.tokenId, 'expiry_3d', facts.expiresAt));
    assert.notEqual(id, messageIdFor(facts.tokenId, 'expiry_7d', new Date(facts.expiresAt.getTime() + 1)));
  });

  test('recipients: creator first, then notification addresses, no duplicates whatever the case', () => {
    assert.deepEqual(
      recipientsFor('Ann@Example.test', ['ops@example.test', 'ann@example.TEST', 'OPS@example.test']),
      ['Ann@Example.test', 'ops@example.test'],
    );
    assert.deepEqual(recipientsFor(null, []), []);
  });

  test("the link uses the institution's host unless the public URL is already one of its own", () => {
    const id = 'abc';
    assert.equal(
      tokenPageUrl('http://localhost:3000', ['localhost'], id),
      'http://localhost:3000/settings/api-tokens/abc',
    );
    assert.equal(
      tokenPageUrl('https://tokend.example.test/base/', ['acme.example.test'], id),
      'https://acme.example.test/base/settings/api-tokens/abc',
    );
    assert.equal(
      tokenPageUrl('https://tokend.example.test', [], id),
      'https://tokend.example.test/settings/api-tokens/abc',
    );
  });
});

/** The HTML part holds names escaped. */
const escapeIf = (part: string, value: string) => (part.startsWith('<!doctype') ? escapeHtml(value) : value);
