// The expiry reminder emails, as pure functions of the facts: subject, plain text and HTML, who gets
// them, where they link, and a Message-ID derived from (token, kind, expiry) so that mail systems fold
// the one duplicate our claims allow (a claim taken over from a process that died mid-send).
// Never the secret: the service does not have it, and these functions are never given it.
import { createHash } from 'node:crypto';
import type { NoticeKind } from './schedule.js';

export interface NoticeFacts {
  kind: NoticeKind;
  tokenId: string;
  tokenName: string;
  display: string;
  institution: string;
  expiresAt: Date;
  url: string;
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

const WITHIN: Record<Exclude<NoticeKind, 'expired'>, string> = {
  expiry_14d: 'within 14 days',
  expiry_7d: 'within 7 days',
  expiry_3d: 'within 3 days',
  expiry_1d: 'within 24 hours',
};

export function messageIdFor(tokenId: string, kind: string, expiresAt: Date): string {
  const digest = createHash('sha256').update(`${tokenId}|${kind}|${expiresAt.toISOString()}`).digest('hex');
  return `<${digest.slice(0, 32)}@tokend>`;
}

/** The creator and the institution's addresses, each once whatever its case, in that order. */
export function recipientsFor(creatorEmail: string | null, notifyEmails: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const email of [creatorEmail, ...notifyEmails]) {
    const address = email?.trim();
    if (!address || seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    out.push(address);
  }
  return out;
}

/**
 * The token's page. An institution is reached on its own hostname, so the link keeps the public URL's
 * scheme and port but uses the institution's host when the public URL's is not one of its own.
 */
export function tokenPageUrl(publicUrl: string, hostnames: readonly string[], tokenId: string): string {
  const base = new URL(publicUrl);
  const first = hostnames[0];
  if (first !== undefined && !hostnames.includes(base.hostname.toLowerCase())) base.hostname = first;
  const path = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${path}/settings/api-tokens/${encodeURIComponent(tokenId)}`;
}

export const utc = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

export function renderNotice(f: NoticeFacts): RenderedNotice {
  const w = wording(f);
  return { subject: w.subject, text: plainText(f, w), html: htmlPart(f, w) };
}

interface Wording {
  /** The name on one line: a name may hold line breaks, a subject must not. */
  name: string;
  subject: string;
  headline: string;
  /** What to do, in lines short enough for a plain-text reader. */
  action: string[];
}

function wording(f: NoticeFacts): Wording {
  const name = f.tokenName.replace(/\s+/g, ' ').trim();
  if (f.kind === 'expired')
    return {
      name,
      subject: `API token "${name}" has expired`,
      headline: `The API token "${name}" of ${f.institution} expired at ${utc(f.expiresAt)}.`,
      action: [
        'It no longer works: integrations that use it fail until they get a new',
        'token. Create one, or renew or rotate a token that is still active.',
      ],
    };
  return {
    name,
    subject: `API token "${name}" expires ${WITHIN[f.kind]}`,
    headline: `The API token "${name}" of ${f.institution} expires at ${utc(f.expiresAt)}.`,
    action: [
      'Integrations that use it stop working then. Renew it to give it a new',
      'expiry, or rotate it to get a new secret (and a new expiry if you like).',
    ],
  };
}

const FOOTER = [
  'tokend: you receive this as the creator of the token or as a',
  'notification address of its institution.',
];

// Each fact on a line of its own, so that the display form is never split by line folding.
function plainText(f: NoticeFacts, w: Wording): string {
  return [
    w.headline,
    '',
    `  Token:        ${w.name}`,
    `  Display:      ${f.display}`,
    `  Institution:  ${f.institution}`,
    `  Expires:      ${utc(f.expiresAt)}`,
    '',
    ...w.action,
    '',
    'Token page:',
    f.url,
    '',
    '-- ',
    ...FOOTER,
  ].join('\n');
}

function htmlPart(f: NoticeFacts, w: Wording): string {
  const row = (label: string, value: string) => `<tr><th>${label}</th>\n<td>${escapeHtml(value)}</td></tr>`;
  return [
    '<!doctype html>',
    '<html><body>',
    `<p>${escapeHtml(w.headline)}</p>`,
    '<table cellpadding="4" style="text-align:left">',
    row('Token', w.name),
    row('Display', f.display),
    row('Institution', f.institution),
    row('Expires', utc(f.expiresAt)),
    '</table>',
    `<p>${w.action.join('\n')}</p>`,
    `<p><a href="${escapeHtml(f.url)}">Open the token's page</a></p>`,
    `<p style="color:#666">${FOOTER.join('\n')}</p>`,
    '</body></html>',
  ].join('\n');
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
