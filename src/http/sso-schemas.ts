// The shapes of sign-in with the institution's identity provider (SPEC 11), named for the OpenAPI
// document: what the login page learns before anyone signs in, and the two redirects' query strings.
import { Type } from '@sinclair/typebox';
import { Nullable } from './schema-kit.js';

export const SessionOptionsSchema = Type.Object(
  {
    sso: Type.Boolean({ description: 'The institution signs in with its identity provider' }),
    provider: Nullable(Type.String({ description: 'The provider’s name for the button (its host)' })),
    passwordLogin: Type.Boolean({
      description:
        'Password login is open to everyone; false: only for the operator’s break-glass administrators',
    }),
  },
  { $id: 'SessionOptions', description: 'How this institution signs in' },
);

export const OidcStartQuery = Type.Object(
  {
    returnTo: Type.Optional(
      Type.String({ maxLength: 2000, description: 'A relative path to land on; anything else is ignored' }),
    ),
  },
  { additionalProperties: false },
);

/** What the provider sends back (RFC 6749, RFC 9207): read whole by the check; other fields allowed. */
export const OidcCallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 4000 })),
    state: Type.Optional(Type.String({ maxLength: 400 })),
    iss: Type.Optional(Type.String({ maxLength: 2000 })),
    error: Type.Optional(Type.String({ maxLength: 400 })),
    error_description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: true },
);

export const SSO_SCHEMAS = [SessionOptionsSchema];
