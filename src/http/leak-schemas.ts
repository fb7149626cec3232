// The leak report routes' shapes (SPEC section 9), named for the OpenAPI document: the public report
// and its answer, and the bodies GitHub's secret scanning partner program and GitLab's token revocation
// API send and expect, as those services define them (snake_case included; their extra fields allowed).
import { Type } from '@sinclair/typebox';
import { Line } from './inputs.js';
import { Enum } from './schema-kit.js';

export const MAX_REPORTED_TOKENS = 1000;
export const TOKEN_TYPE = 'tokend_api_token' as const;

export const LeakReportRequest = Type.Object(
  {
    tokens: Type.Array(Type.String(), {
      minItems: 1,
      maxItems: MAX_REPORTED_TOKENS,
      description: 'The strings found; those that are not tokend tokens (by their checksum) are ignored',
    }),
    url: Type.Optional(Line({ maxLength: 2000, description: 'Where they were found' })),
    source: Type.Optional(Line({ maxLength: 100, description: 'What found them (a scanner, a person)' })),
  },
  { $id: 'LeakReportRequest', additionalProperties: false },
);

export const LeakReceivedSchema = Type.Object(
  { received: Type.Integer({ minimum: 1, description: 'The number of strings in the report' }) },
  {
    $id: 'LeakReceived',
    description: 'The same answer whatever the report held: it never tells whether a token exists',
  },
);

export const GithubLeakReport = Type.Array(
  Type.Object({
    token: Type.String(),
    type: Type.String({ description: `The pattern's type, \`${TOKEN_TYPE}\`` }),
    url: Type.Optional(Type.String({ description: 'Where GitHub found it' })),
    source: Type.Optional(Type.String({ description: 'content, commit, pull_request, issue, ...' })),
  }),
  {
    $id: 'GithubLeakReport',
    maxItems: MAX_REPORTED_TOKENS,
    description: 'GitHub secret scanning’s report, signed over the raw body',
  },
);

export const GithubLeakVerdictsSchema = Type.Array(
  Type.Object({
    token_hash: Type.String({ description: 'SHA-256 of the reported token, in hex' }),
    token_type: Enum([TOKEN_TYPE]),
    label: Enum(['true_positive', 'false_positive'], {
      description:
        'true_positive: a token’s current secret (active or suspended token) or a previous one in its grace',
    }),
  }),
  { $id: 'GithubLeakVerdicts', description: 'One verdict per reported token, in the report’s order' },
);

export const GitlabTokenTypesSchema = Type.Object(
  { types: Type.Array(Enum([TOKEN_TYPE])) },
  { $id: 'GitlabTokenTypes', description: 'The token types this revocation API takes' },
);

export const GitlabRevokeRequest = Type.Array(
  Type.Object({
    type: Type.String(),
    token: Type.String(),
    location: Type.Optional(Type.String({ description: 'Where GitLab found it' })),
  }),
  {
    $id: 'GitlabRevokeRequest',
    maxItems: MAX_REPORTED_TOKENS,
    description: 'GitLab secret detection’s findings',
  },
);

export const LEAK_SCHEMAS = [
  LeakReportRequest,
  LeakReceivedSchema,
  GithubLeakReport,
  GithubLeakVerdictsSchema,
  GitlabTokenTypesSchema,
  GitlabRevokeRequest,
];
