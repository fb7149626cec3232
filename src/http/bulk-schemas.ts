// The bulk action's schemas (SPEC 12): the request, by ids or by the list's filters, and its answer of
// counts and per-token refusals. The filter names the list's query parameters with JSON types; a filter
// the list learns is taken too (additional keys go to the service, which asks the list's parser).
import { Type } from '@sinclair/typebox';
import { TOKEN_STATES } from '../tokens/lifecycle.js';
import { MAX_IDS, MAX_REFUSED } from '../tokens/bulk.js';
import { MAX_PERMISSIONS } from '../permissions/rules.js';
import { Id, Line } from './inputs.js';
import { Enum, ref } from './schema-kit.js';

const TokenState = Enum(TOKEN_STATES);
const PermissionKey = Line({ minLength: 1, maxLength: 100, description: 'A permission key' });

export const BulkFilterSchema = Type.Object(
  {
    state: Type.Optional(
      Type.Array(TokenState, { minItems: 1, maxItems: TOKEN_STATES.length, description: 'Any of these' }),
    ),
    q: Type.Optional(Line({ maxLength: 200, description: 'In name, description or issued-for' })),
    issuedFor: Type.Optional(Line({ maxLength: 200 })),
    permission: Type.Optional(
      Type.Array(PermissionKey, { maxItems: MAX_PERMISSIONS, description: 'Holding any of these' }),
    ),
    compromised: Type.Optional(Type.Boolean({ description: 'Current secret reported leaked (or not)' })),
    expiresBefore: Type.Optional(Type.String({ format: 'date-time', description: 'Expiring before it' })),
    noExpiry: Type.Optional(Type.Boolean({ description: 'Without (or with) an expiry' })),
    lastUsedBefore: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'Last used before it, or never and created before it',
      }),
    ),
    neverUsed: Type.Optional(Type.Boolean({ description: 'Never (or ever) used' })),
    createdBy: Type.Optional(Id('Created by this user')),
    ipRestricted: Type.Optional(Type.Boolean({ description: 'With (or without) a network rule' })),
  },
  {
    $id: 'BulkFilter',
    additionalProperties: true,
    description: 'The list’s filters (GET /apis/v1/api-tokens) with JSON types; an unknown one is refused',
  },
);

export const BulkRequest = Type.Object(
  {
    action: Enum(['suspend', 'reactivate', 'revoke']),
    ids: Type.Optional(
      Type.Array(Id('A token id'), {
        minItems: 1,
        maxItems: MAX_IDS,
        description: 'Exactly one of ids and filter',
      }),
    ),
    filter: Type.Optional(ref(BulkFilterSchema)),
    reason: Type.Optional(Line({ maxLength: 500 })),
    dryRun: Type.Optional(Type.Boolean({ description: 'Change nothing; answer the counts' })),
  },
  { $id: 'BulkRequest', additionalProperties: false },
);

export const BulkAnswerSchema = Type.Object(
  {
    matched: Type.Integer({ minimum: 0, description: 'Tokens named: ids given, or the filter’s matches' }),
    changed: Type.Integer({ minimum: 0, description: '0 for a dry run' }),
    refused: Type.Array(
      Type.Object(
        { id: Type.String(), error: Enum(['not_found', 'invalid_transition']) },
        { additionalProperties: false },
      ),
      { maxItems: MAX_REFUSED, description: 'Tokens the action did not (or would not) change, and why' },
    ),
    truncated: Type.Optional(Type.Literal(true, { description: 'More were refused than listed' })),
  },
  { $id: 'BulkAnswer', additionalProperties: false },
);

export const BULK_SCHEMAS = [BulkFilterSchema, BulkRequest, BulkAnswerSchema];
