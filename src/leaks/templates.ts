// The leak email (SPEC section 9), as a pure function of the facts: which token, where its secret was
// found, and what tokend did about it; plain text and HTML, and a Message-ID derived from the reported
// secret's hash so that mail systems fold a duplicate. Never the secret: only its display form.
import { createHash } from 'node:crypto';
import { escapeHtml, utc } from '../reminders/templates.js';

/** What a report did to the token: the response the email and the outcome name. */
export type LeakAction = 'suspended' | 'revoked' | 'marked' | 'notified' | 'grace_ended';

export interface LeakFacts {
  tokenName: string;
  /** The reported secret's display form (a previous secret's differs from the token's). */
  display: string;
  institution: string;
  channel: string;
  url: string | null;
  source: string | null;
  reportedAt: Date;
  action: LeakAction;
  /** The token's page. */
  page: string;
}

const CHANNELS: Record<string, string> = {
  public: 'a public leak report',
  github: 'GitHub secret scanning',
  gitlab: 'GitLab secret detection',
};

const DONE: Record<LeakAction, string[]> = {
  suspended: [
    'tokend suspended the token: it no longer works. It cannot be reactivated',
    'until it is rotated; rotate it, update the integration, then reactivate it.',
  ],
  marked: [
    'The token was already suspended; tokend marked its secret as leaked. It',
    'cannot be reactivated until it is rotated.',
  ],
  revoked: [
    "tokend revoked the token, as the institution's policy says: it never works",
    'again. Create a new token for the integration.',
  ],
  notified: [
    "The institution's policy is to notify only: the token STILL WORKS. Rotate it",
    'now and update the integration.',
  ],
  grace_ended: [
    "The reported secret was the token's previous one, still in its grace period",
    'after a rotation: tokend ended that grace at once. The current secret keeps working.',
  ],
};

export function leakMessageId(secretHash: string): string {
  const digest = createHash('sha256').update(`leak|${secretHash}`).digest('hex');
  return `<${digest.slice(0, 32)}@tokend>`;
}

export function renderLeakNotice(f: LeakFacts): { subject: string; text: string; html: string } {
  // The name on one line: a name may hold line breaks, a subject must not.
  const name = f.tokenName.replace(/\s+/g, ' ').trim();
  const headline = `A secret of the API token "${name}" of ${f.institution} was reported leaked.`;
  const facts: [string, string][] = [
    ['Token', name],
    ['Display', f.display],
    ['Institution', f.institution],
    ['Reported by', CHANNELS[f.channel] ?? f.channel],
    ['Found at', f.url ?? '(not given)'],
    ['Source', f.source ?? '(not given)'],
    ['Reported', utc(f.reportedAt)],
  ];
  const text = [
    headline,
    '',
    ...facts.map(([label, value]) => `  ${`${label}:`.padEnd(14)}${value}`),
    '',
    ...DONE[f.action],
    '',
    'Token page:',
    f.page,
    '',
    '-- ',
    'tokend: you receive this as the creator of the token or as a',
    'notification address of its institution.',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p>${escapeHtml(headline)}</p>`,
    '<table cellpadding="4" style="text-align:left">',
    ...facts.map(([label, value]) => `<tr><th>${label}</th>\n<td>${escapeHtml(value)}</td></tr>`),
    '</table>',
    `<p>${escapeHtml(DONE[f.action].join('\n'))}</p>`,
    `<p><a href="${escapeHtml(f.page)}">Open the token's page</a></p>`,
    '</body></html>',
  ].join('\n');
  return { subject: `Leaked: API token "${name}" (${subjectAction(f.action)})`, text, html };
}

const SUBJECT: Record<LeakAction, string> = {
  suspended: 'suspended',
  revoked: 'revoked',
  marked: 'rotate it before reactivating',
  notified: 'still active: rotate it',
  grace_ended: 'its old secret stopped',
};
const subjectAction = (a: LeakAction) => SUBJECT[a];
