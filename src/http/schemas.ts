// The JSON shapes of SPEC section 5 as TypeBox schemas, each named by its `$id`: buildApp adds them to
// the app (SHARED_SCHEMAS), routes point at them with ref(), and the OpenAPI document lists them under
// components.schemas by those names, so validation, serialisation and the document cannot disagree.
// Token, Event, Error and the other leaves hold no `$ref`, so a test can check a body against one with
// TypeBox's Value.Check alone; the lists and bodies that contain them take the leaves as references.
import { type TSchema, Type } from '@sinclair/typebox';
import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { EVENT_TYPES } from '../events.js';
import { TOKEN_STATES } from '../tokens/lifecycle.js';
import type { Carrier } from '../tokens/usage.js';
import {
  CreateTokenRequest,
  LoginRequest,
  ReasonRequest,
  RenewTokenRequest,
  RotateTokenRequest,
  SelfRotateRequest,
  UpdateTokenRequest,
} from './bodies.js';
import { BULK_SCHEMAS } from './bulk-schemas.js';
import { INVENTORY_SCHEMAS } from './inventory-schemas.js';
import { LEAK_SCHEMAS } from './leak-schemas.js';
import { WEBHOOK_SCHEMAS } from './webhook-schemas.js';
import { PEOPLE_SCHEMAS } from './people-schemas.js';
import { SSO_SCHEMAS } from './sso-schemas.js';
import { Enum, Nullable, ref } from './schema-kit.js';

export { Enum, Nullable, ref } from './schema-kit.js';
// The input schemas too: routes and tests import every schema from here.
export * from './inputs.js';

const Time = Type.String({ format: 'date-time' });
const Uuid = Type.String({ format: 'uuid' });

const ERROR_CODES = Object.keys(ERROR_STATUS).filter((k): k is ErrorCode => k in ERROR_STATUS);
export const ErrorSchema = Type.Object(
  {
    error: Enum(ERROR_CODES, { description: 'The catalogue code (SPEC section 5)' }),
    message: Type.String({ description: 'What went wrong, for people' }),
    field: Type.Optional(Type.String({ description: 'The input at fault (invalid_request)' })),
    permission: Type.Optional(
      Type.String({
        description: 'The first permission the token lacks (insufficient_permission, for tokens)',
      }),
    ),
  },
  { $id: 'Error', description: 'Every error answer' },
);

/** A token's state, from lifecycle's one list (the list filter takes the same). */
export const TokenStateSchema = Enum(TOKEN_STATES, { description: 'The state in effect now' });

/** Where a token arrived (SPEC section 4). */
export const CARRIERS = ['FF_AUTH', 'FF-Auth', 'Authorization', 'query'] as const satisfies Carrier[];

/** Every audit event type (src/events.ts). */
export { EVENT_TYPES } from '../events.js';

export const ROLES = ['admin', 'staff'] as const;

export const UserRef = Type.Object({ id: Uuid, email: Type.String(), name: Type.String() });

const RecentIp = Type.Object(
  {
    ip: Type.String(),
    firstSeenAt: Time,
    lastSeenAt: Time,
    userAgent: Type.String({ description: 'Of the latest request from this address' }),
  },
  { description: 'A client address a token was used from' },
);

export const TokenSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Nullable(Type.String({ maxLength: 2000 })),
    issuedFor: Nullable(Type.String({ maxLength: 200, description: 'The app or system it is for' })),
    display: Type.String({ description: 'The first 14 characters, "... " and the last 3' }),
    state: TokenStateSchema,
    permissions: Type.Array(Type.String()),
    createdAt: Time,
    createdBy: Nullable(UserRef),
    expiresAt: Nullable(Time),
    expirySetAt: Type.String({ format: 'date-time', description: 'When the current expiry was chosen' }),
    lastUsedAt: Nullable(Time),
    lastUsedIp: Nullable(Type.String()),
    lastUsedUserAgent: Nullable(Type.String()),
    lastUsedCarrier: Nullable(Enum(CARRIERS)),
    stateChangedAt: Nullable(Time),
    stateChangedBy: Nullable(UserRef),
    stateReason: Nullable(Type.String()),
    previousSecretValidUntil: Nullable(Time),
    allowedIps: Type.Array(Type.String(), {
      description: 'The network rule: networks in canonical form; empty allows any address',
    }),
    recentIps: Type.Array(RecentIp, {
      maxItems: 5,
      description: 'The last 5 distinct client addresses, newest first',
    }),
    compromisedAt: Nullable({ ...Time, description: 'When its current secret was reported leaked' }),
  },
  { $id: 'Token', description: 'A token as staff see it: never its secret' },
);

export const EventSchema = Type.Object(
  {
    id: Uuid,
    type: Enum(EVENT_TYPES),
    at: Time,
    actor: Nullable(UserRef),
    ip: Nullable(Type.String()),
    details: Type.Record(Type.String(), Type.Unknown(), {
      description: 'The reason, the notice kind, old and new expiry, or the failure and its count',
    }),
  },
  { $id: 'Event', description: 'An entry of a token’s audit history' },
);

export const OwnTokenSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    display: Type.String(),
    state: TokenStateSchema,
    permissions: Type.Array(Type.String()),
    expiresAt: Nullable(Time),
  },
  { $id: 'OwnToken', description: 'What a token sees of itself: no staff data' },
);

export const UsageSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object({ date: Type.String({ format: 'date' }), count: Type.Integer({ minimum: 0 }) }),
    ),
  },
  { $id: 'Usage', description: 'Requests per UTC day, the last 90 days' },
);

export const UserSchema = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    name: Type.String(),
    role: Enum(ROLES),
    features: Type.Array(Type.String()),
    institution: Type.Object({ slug: Type.String(), name: Type.String() }),
  },
  { $id: 'User', description: 'The signed-in user' },
);

export const SessionSchema = Type.Object(
  {
    user: ref(UserSchema),
    csrfToken: Type.String({ description: 'Send it as X-CSRF-Token on every state-changing request' }),
  },
  { $id: 'Session' },
);

export const FileSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    contentType: Type.String(),
    createdAt: Time,
  },
  { $id: 'File', description: 'A stored file, for tokens to download' },
);

const page = <T extends TSchema>(item: T, $id: string) =>
  Type.Object(
    {
      items: Type.Array(ref(item)),
      nextCursor: Nullable(Type.String({ description: 'The next page’s cursor; null on the last page' })),
    },
    { $id },
  );
export const TokenListSchema = page(TokenSchema, 'TokenList');
export const EventListSchema = page(EventSchema, 'EventList');
export const FileListSchema = page(FileSchema, 'FileList');

export const CreatedSchema = Type.Object(
  {
    token: ref(TokenSchema),
    secret: Type.String({ description: 'The token itself: shown this once, never again' }),
  },
  { $id: 'Created', description: 'A token with its new secret (create, rotate)' },
);

export const PermissionSchema = Type.Object(
  {
    key: Type.String({ description: 'e.g. contacts.read: 2 to 5 dot-separated segments' }),
    description: Type.String(),
    deprecated: Type.Boolean({ description: 'not granted anew; tokens holding it keep it' }),
    builtIn: Type.Boolean(),
  },
  { $id: 'Permission', description: 'An entry of the operator’s permission catalogue' },
);
export const PermissionListSchema = Type.Object(
  { items: Type.Array(ref(PermissionSchema)) },
  { $id: 'PermissionList', description: 'The whole catalogue, in key order' },
);

export const HealthSchema = Type.Object({ status: Enum(['ok']) }, { $id: 'Health' });
export const ReadinessSchema = Type.Object(
  { status: Enum(['ready', 'unavailable']), checks: Type.Record(Type.String(), Type.Boolean()) },
  { $id: 'Readiness', description: 'The database and, on PostgreSQL, the change listener' },
);

export { ExpiryFields } from './bodies.js';
export {
  CreateTokenRequest,
  LoginRequest,
  ReasonRequest,
  RenewTokenRequest,
  RotateTokenRequest,
  SelfRotateRequest,
  UpdateTokenRequest,
};

export const SelfRotatedSchema = Type.Object(
  {
    secret: Type.String({ description: 'The new secret: shown this once' }),
    token: ref(OwnTokenSchema),
    previousSecretValidUntil: Time,
  },
  {
    $id: 'SelfRotated',
    description: 'A token’s new secret, with its own view and when the secret that asked stops working',
  },
);

/** Every named schema, for buildApp to add: routes and the document refer to them by `$id`. */
export const SHARED_SCHEMAS = [
  ErrorSchema,
  TokenSchema,
  TokenListSchema,
  CreatedSchema,
  EventSchema,
  EventListSchema,
  UsageSchema,
  OwnTokenSchema,
  UserSchema,
  SessionSchema,
  FileSchema,
  FileListSchema,
  PermissionSchema,
  PermissionListSchema,
  HealthSchema,
  ReadinessSchema,
  LoginRequest,
  CreateTokenRequest,
  RotateTokenRequest,
  RenewTokenRequest,
  ReasonRequest,
  UpdateTokenRequest,
  SelfRotateRequest,
  SelfRotatedSchema,
  ...LEAK_SCHEMAS,
  ...WEBHOOK_SCHEMAS,
  ...PEOPLE_SCHEMAS,
  ...BULK_SCHEMAS,
  ...SSO_SCHEMAS,
  ...INVENTORY_SCHEMAS,
];

// Security requirements, by the schemes docs.ts declares; PUBLIC for routes that need none.
export const TOKEN_SECURITY: Record<string, string[]>[] = [
  { ffAuth: [] },
  { ffAuthHyphen: [] },
  { bearer: [] },
  { tokenQuery: [] },
];
export const SESSION_SECURITY: Record<string, string[]>[] = [{ session: [] }];
export const PUBLIC: Record<string, string[]>[] = [];

/** Bare error answers for the statuses given (responses.ts says more: codes and headers). */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ref(ErrorSchema)]));
