// The JSON shapes of SPEC section 5 as TypeBox schemas: they validate input (unknown fields refused),
// serialise output and generate the OpenAPI document, so the three cannot disagree.
import { type TSchema, Type } from '@sinclair/typebox';

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

export const ErrorSchema = Type.Object({
  error: Type.String(),
  message: Type.String(),
  field: Type.Optional(Type.String()),
});

export const UserRef = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() });

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  issuedFor: Type.String(),
  display: Type.String(),
  state: Type.Union(['active', 'suspended', 'revoked', 'expired'].map((s) => Type.Literal(s))),
  permissions: Type.Array(Type.String()),
  createdAt: Time,
  createdBy: Nullable(UserRef),
  expiresAt: Nullable(Time),
  expirySetAt: Time,
  lastUsedAt: Nullable(Time),
  lastUsedIp: Nullable(Type.String()),
  lastUsedUserAgent: Nullable(Type.String()),
  lastUsedCarrier: Nullable(Type.String()),
  stateChangedAt: Nullable(Time),
  stateChangedBy: Nullable(UserRef),
  stateReason: Nullable(Type.String()),
  previousSecretValidUntil: Nullable(Time),
});

export const EventSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  at: Time,
  actor: Nullable(UserRef),
  ip: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

export const ExpiryFields = {
  expiresInDays: Type.Optional(Type.Integer({ description: '30, 90 or 365' })),
  expiresAt: Type.Optional(
    Type.String({ maxLength: 64, description: 'ISO-8601 time, 1 minute to 5 years ahead' }),
  ),
};

export const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));

export const TOKEN_SECURITY: Record<string, string[]>[] = [{ ffAuth: [] }, { bearer: [] }];
export const SESSION_SECURITY: Record<string, string[]>[] = [{ session: [] }];
