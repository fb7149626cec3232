// The inventory's shapes (SPEC section 12), named for the OpenAPI document: the list's filters, which
// the list, its export and (for a bulk action's `filter`) other routes share; the applications; the
// institution's audit log and its entries. Query strings are flat strings here; list-query.ts and the
// audit service check what a schema cannot (times, ids) and name the field at fault.
import { type TProperties, Type } from '@sinclair/typebox';
import { EVENT_TYPES } from '../events.js';
import { MAX_PERMISSIONS } from '../permissions/rules.js';
import { TOKEN_STATES } from '../tokens/lifecycle.js';
import { LIST_SORTS } from '../tokens/list-query.js';
import { Cursor, Id, Line } from './inputs.js';
import { Enum, Nullable, ref } from './schema-kit.js';

const Time = Type.String({ format: 'date-time' });
const Bool = (description: string) => Type.Optional(Enum(['true', 'false'], { description }));
const IsoTime = (description: string) => Type.Optional(Type.String({ maxLength: 40, description }));
const PermissionKey = Line({ minLength: 1, maxLength: 100, description: 'A permission key' });
const State = Enum(TOKEN_STATES, { description: 'The state in effect now' });

/** The list's filters and sort (SPEC 5 and 12), without limit and cursor: the export takes these. */
export const LIST_FILTER_QUERY = {
  state: Type.Optional(
    Type.Union([State, Type.Array(State, { maxItems: TOKEN_STATES.length })], {
      description: 'May repeat: tokens in any of these states',
    }),
  ),
  q: Type.Optional(Line({ maxLength: 200, description: 'In name, description or issued-for' })),
  issuedFor: Type.Optional(Line({ maxLength: 200, description: 'Trimmed, case-insensitive' })),
  permission: Type.Optional(
    Type.Union([PermissionKey, Type.Array(PermissionKey, { maxItems: MAX_PERMISSIONS })], {
      description: 'May repeat: tokens holding any of these permissions',
    }),
  ),
  compromised: Bool('Tokens whose current secret was (true) or was not reported leaked'),
  expiresBefore: IsoTime('ISO time: tokens that expire before it'),
  noExpiry: Bool('Tokens without (true) or with an expiry'),
  lastUsedBefore: IsoTime('ISO time: last used before it, or never used and created before it'),
  neverUsed: Bool('Tokens never (true) or ever used'),
  createdBy: Type.Optional(Id('Tokens created by this user')),
  ipRestricted: Bool('Tokens with (true) or without a network rule'),
  sort: Type.Optional(Enum(LIST_SORTS, { description: 'Default createdAt; none last for the others' })),
  order: Type.Optional(Enum(['asc', 'desc'], { description: 'Default desc' })),
} satisfies TProperties;

export const TokenListQuery = Type.Object(
  {
    ...LIST_FILTER_QUERY,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 50' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
const Format = Enum(EXPORT_FORMATS, { description: 'CSV (RFC 4180, with a header row) or JSON lines' });

export const TokenExportQuery = Type.Object(
  {
    ...LIST_FILTER_QUERY,
    format: Format,
    // Taken and ignored: the export is every matching token, so the list's own URL can be reused.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Ignored' })),
    cursor: Type.Optional({ ...Cursor, description: 'Ignored' }),
  },
  { additionalProperties: false },
);

export const ApplicationSchema = Type.Object(
  {
    issuedFor: Nullable(Type.String({ description: 'The group: trimmed; null for tokens issued for none' })),
    tokens: Type.Integer({ minimum: 1, description: 'Every token of the group, in any state' }),
    active: Type.Integer({ minimum: 0 }),
    suspended: Type.Integer({ minimum: 0 }),
    lastUsedAt: Nullable(Time),
    nextExpiresAt: Nullable({ ...Time, description: 'The earliest expiry of its active tokens' }),
  },
  { $id: 'Application', description: 'The tokens issued for one app or system' },
);
export const ApplicationListSchema = Type.Object(
  { items: Type.Array(ref(ApplicationSchema)) },
  { $id: 'ApplicationList', description: 'The groups by name, case-insensitive; none last' },
);
export const ApplicationsQuery = Type.Object(
  { q: Type.Optional(Line({ maxLength: 200, description: 'In the group’s name, case-insensitive' })) },
  { additionalProperties: false },
);

const TypeFilter = Line({
  minLength: 1,
  maxLength: 60,
  description: 'An event type, or a prefix ending in `.*` (`token.*`)',
});
export const AuditQuery = Type.Object(
  {
    type: Type.Optional(
      Type.Union([TypeFilter, Type.Array(TypeFilter, { maxItems: EVENT_TYPES.length })], {
        description: 'May repeat: events of any of these types or prefixes',
      }),
    ),
    tokenId: Type.Optional(Id('The token the events are about')),
    actorId: Type.Optional(Id('The user who acted')),
    since: IsoTime('ISO time: events at or after it'),
    until: IsoTime('ISO time: events before it'),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 50' })),
    cursor: Type.Optional(Cursor),
    format: Type.Optional(Format),
  },
  { additionalProperties: false },
);

export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Enum(EVENT_TYPES),
    at: Time,
    actor: Nullable(
      Type.Object({ id: Type.String({ format: 'uuid' }), email: Type.String(), name: Type.String() }),
    ),
    ip: Nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown()),
    tokenId: Nullable({ ...Type.String({ format: 'uuid' }), description: 'null: an institution event' }),
    tokenName: Nullable(Type.String()),
  },
  { $id: 'AuditEvent', description: 'An entry of the institution’s audit log' },
);
export const AuditEventListSchema = Type.Object(
  {
    items: Type.Array(ref(AuditEventSchema)),
    nextCursor: Nullable(Type.String({ description: 'The next page’s cursor; null on the last page' })),
  },
  { $id: 'AuditEventList' },
);

export const INVENTORY_SCHEMAS = [
  ApplicationSchema,
  ApplicationListSchema,
  AuditEventSchema,
  AuditEventListSchema,
];
