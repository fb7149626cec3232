// The request bodies of the JSON routes, named for the OpenAPI document. Every one refuses unknown
// fields; text fields carry SPEC 5's character rules through Line, Name and Text.
import { Type } from '@sinclair/typebox';
import { EXPIRY_DAYS } from '../tokens/expiry.js';
import { MAX_GRACE_SECONDS } from '../tokens/rotation.js';
import { Line, Name, Text } from './inputs.js';
import { MAX_PERMISSIONS } from '../permissions/rules.js';
import { MAX_ALLOWED_IPS } from '../tokens/network-rules.js';
import { Enum, Nullable, OneOf } from './schema-kit.js';

const ExpiresInDays = Enum(EXPIRY_DAYS, { description: 'Expire this many days from now' });
const ExpiresAt = Type.String({
  maxLength: 64,
  description: 'Expire at this ISO-8601 time with a zone, 1 minute to 5 years ahead',
});

/** A new expiry: at most one of the two (the service refuses both), within the institution's policy. */
export const ExpiryFields = {
  expiresInDays: Type.Optional(ExpiresInDays),
  expiresAt: Type.Optional(ExpiresAt),
};

export const LoginRequest = Type.Object(
  {
    email: Line({ minLength: 1, maxLength: 320 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { $id: 'LoginRequest', additionalProperties: false },
);

// The catalogue's and the network rule's own rules (unknown, deprecated or duplicated keys; canonical
// networks) are the service's, which names the field; the schema holds the shape.
const Permissions = Type.Array(Type.String({ maxLength: 100 }), {
  minItems: 1,
  maxItems: MAX_PERMISSIONS,
  description: 'Catalogue keys (GET /apis/v1/permissions), distinct; stored and answered in key order',
});
const AllowedIps = Nullable(
  Type.Array(Type.String({ maxLength: 64 }), {
    maxItems: MAX_ALLOWED_IPS,
    description:
      'IPv4 or IPv6 addresses or CIDR ranges the token may be used from; null or [] allows any address',
  }),
);
const TokenName = Name({ minLength: 1, maxLength: 200 });
const Description = Text({ maxLength: 2000 });
const IssuedFor = Line({ maxLength: 200, description: 'The app or system it is for' });

export const CreateTokenRequest = Type.Object(
  {
    name: TokenName,
    description: Type.Optional(Description),
    issuedFor: Type.Optional(IssuedFor),
    ...ExpiryFields,
    permissions: Type.Optional({
      ...Permissions,
      description: `${Permissions.description}; default ["core.core.files_download"]`,
    }),
    allowedIps: Type.Optional(AllowedIps),
  },
  {
    $id: 'CreateTokenRequest',
    additionalProperties: false,
    description: 'No expiry fields: the token does not expire (unless the policy requires it)',
  },
);

export const UpdateTokenRequest = Type.Object(
  {
    name: Type.Optional(TokenName),
    description: Type.Optional(Nullable(Description)),
    issuedFor: Type.Optional(Nullable(IssuedFor)),
    permissions: Type.Optional({
      ...Permissions,
      description: `${Permissions.description}; replaces the set (deprecated keys the token holds may stay)`,
    }),
    allowedIps: Type.Optional(AllowedIps),
  },
  {
    $id: 'UpdateTokenRequest',
    additionalProperties: false,
    minProperties: 1,
    description: 'At least one field; null clears description and issuedFor, null or [] the network rule',
  },
);

export const SelfRotateRequest = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_SECONDS,
        description: 'How long the secret that asks keeps working; default 3600',
      }),
    ),
  },
  { $id: 'SelfRotateRequest', additionalProperties: false, description: 'An empty body is `{}`' },
);

export const RotateTokenRequest = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_SECONDS,
        description: 'How long the previous secret keeps working (an active token only); default 0',
      }),
    ),
    expectedDisplay: Type.Optional(
      Line({ maxLength: 64, description: 'Rotate only if the current display form is this one' }),
    ),
    ...ExpiryFields,
  },
  { $id: 'RotateTokenRequest', additionalProperties: false, description: 'No expiry fields: it stays' },
);

// The fields are checked first (an unknown one is named as such), then that exactly one is given.
export const RenewTokenRequest = Type.Intersect(
  [
    Type.Object(ExpiryFields, { additionalProperties: false }),
    OneOf([Type.Object({ expiresAt: ExpiresAt }), Type.Object({ expiresInDays: ExpiresInDays })]),
  ],
  { $id: 'RenewTokenRequest', description: 'Exactly one of expiresInDays and expiresAt' },
);

export const ReasonRequest = Type.Object(
  { reason: Type.Optional(Line({ maxLength: 500 })) },
  { $id: 'ReasonRequest', additionalProperties: false },
);
