// The inactivity policy's two emails (SPEC 12), as pure functions of the facts, in the expiry reminders'
// form (templates.ts): the warning a week before a token is suspended as unused, and the notice that it
// was. Each names the token, its display form, the institution, when it was last used and the moment of
// the suspension in UTC, and links to the token's page. Never the secret.
import type { IdleNoticeKind } from './inactivity.js';
import { escapeHtml, type RenderedNotice, utc } from './templates.js';

export interface IdleFacts {
  kind: IdleNoticeKind;
  tokenName: string;
  display: string;
  institution: string;
  /** The institution's suspendUnusedAfterDays. */
  days: number;
  lastUsedAt: Date | null;
  createdAt: Date;
  /** unused_7d: when it will be suspended; unused_suspended: when it was. */
  suspendAt: Date;
  url: string;
}

export function renderIdleNotice(f: IdleFacts): RenderedNotice {
  const name = f.tokenName.replace(/\s+/g, ' ').trim();
  const lastUse = f.lastUsedAt ? utc(f.lastUsedAt) : `never (created ${utc(f.createdAt)})`;
  const w =
    f.kind === 'unused_7d'
      ? {
          subject: `API token "${name}" will be suspended as unused on ${utc(f.suspendAt)}`,
          headline: `The API token "${name}" of ${f.institution} has not been used for a while. ${f.institution} suspends tokens unused for ${f.days} days: this one will be suspended at ${utc(f.suspendAt)} unless it is used before then.`,
          when: ['Suspends:', utc(f.suspendAt)] as const,
          action: [
            'If it is still needed, any successful request with it before then keeps',
            'it working. If it is not, revoke it. A suspended token can be',
            'reactivated on its page.',
          ],
        }
      : {
          subject: `API token "${name}" was suspended: unused for ${f.days} days`,
          headline: `The API token "${name}" of ${f.institution} was suspended at ${utc(f.suspendAt)}: it had not been used for ${f.days} days.`,
          when: ['Suspended:', utc(f.suspendAt)] as const,
          action: [
            'Integrations that use it now fail. If it is still needed, reactivate it',
            'on its page (that starts a new idle period); if not, revoke it.',
          ],
        };
  const facts: [string, string][] = [
    ['Token:', name],
    ['Display:', f.display],
    ['Institution:', f.institution],
    ['Last used:', lastUse],
    [w.when[0], w.when[1]],
  ];
  const footer = [
    'tokend: you receive this as the creator of the token or as a',
    'notification address of its institution.',
  ];
  // Each fact on a line of its own, so that the display form is never split by line folding.
  const text = [
    w.headline,
    '',
    ...facts.map(([label, value]) => `  ${label.padEnd(14)}${value}`),
    '',
    ...w.action,
    '',
    'Token page:',
    f.url,
    '',
    '-- ',
    ...footer,
  ].join('\n');
  const row = ([label, value]: [string, string]) =>
    `<tr><th>${label.slice(0, -1)}</th>\n<td>${escapeHtml(value)}</td></tr>`;
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p>${escapeHtml(w.headline)}</p>`,
    '<table cellpadding="4" style="text-align:left">',
    ...facts.map(row),
    '</table>',
    `<p>${w.action.join('\n')}</p>`,
    `<p><a href="${escapeHtml(f.url)}">Open the token's page</a></p>`,
    `<p style="color:#666">${footer.join('\n')}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: w.subject, text, html };
}
