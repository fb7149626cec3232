// The webhook routes' shapes (SPEC section 10), named for the OpenAPI document: an endpoint, its
// creation answer with the secret (shown once), the bodies of create and PATCH, and a Delivery.
import { Type } from '@sinclair/typebox';
import { EVENT_TYPES } from '../events.js';
import { Cursor, Line, Text } from './inputs.js';
import { Enum, Nullable, ref } from './schema-kit.js';

const Time = Type.String({ format: 'date-time' });
const Uuid = Type.String({ format: 'uuid' });
const UserRef = Type.Object({ id: Uuid, email: Type.String(), name: Type.String() });

const EventTypes = Type.Array(Enum(EVENT_TYPES), {
  minItems: 1,
  maxItems: 100,
  description: 'The audit event types sent to it; omitted at creation: every type',
});
const Url = Line({
  minLength: 1,
  maxLength: 2000,
  description: 'https:// (http:// only for a host in TOKEND_WEBHOOK_ALLOWED_HOSTS); a public address',
});
const Description = Text({ maxLength: 2000 });

export const WebhookSchema = Type.Object(
  {
    id: Uuid,
    url: Type.String(),
    description: Nullable(Type.String()),
    events: Type.Array(Enum(EVENT_TYPES)),
    enabled: Type.Boolean(),
    disabledReason: Nullable(
      Type.String({ description: 'Why it was disabled (410, 5 days failing, staff)' }),
    ),
    createdAt: Time,
    createdBy: Nullable(UserRef),
    lastDeliveryAt: Nullable(Time),
    lastDeliveryStatus: Nullable(Enum(['pending', 'delivered', 'failed'])),
  },
  { $id: 'Webhook', description: 'An endpoint lifecycle events are sent to: never its secret' },
);

export const WebhookCreatedSchema = Type.Object(
  {
    webhook: ref(WebhookSchema),
    secret: Type.String({ description: 'whsec_ + base64 of 32 bytes: shown this once, never again' }),
  },
  { $id: 'WebhookCreated' },
);

export const WebhookListSchema = Type.Object(
  { items: Type.Array(ref(WebhookSchema)) },
  { $id: 'WebhookList', description: 'The institution’s endpoints, oldest first' },
);

export const WebhookSecretSchema = Type.Object(
  { secret: Type.String({ description: 'The new secret: shown this once; the old one signs 24 h more' }) },
  { $id: 'WebhookSecret' },
);

export const DeliverySchema = Type.Object(
  {
    id: Uuid,
    eventId: Type.String({ description: 'The webhook-id header: the audit event’s id' }),
    type: Enum([...EVENT_TYPES, 'webhook.test']),
    attempt: Type.Integer({ minimum: 0, description: 'Attempts made so far' }),
    status: Enum(['pending', 'delivered', 'failed']),
    responseStatus: Nullable(Type.Integer()),
    durationMs: Nullable(Type.Integer({ minimum: 0 })),
    error: Nullable(Type.String()),
    nextAttemptAt: Nullable(Time),
    createdAt: Time,
  },
  { $id: 'Delivery', description: 'One message to one endpoint, with its last attempt' },
);

export const DeliveryListSchema = Type.Object(
  {
    items: Type.Array(ref(DeliverySchema)),
    nextCursor: Nullable(Type.String({ description: 'The next page’s cursor; null on the last page' })),
  },
  { $id: 'DeliveryList' },
);

export const CreateWebhookRequest = Type.Object(
  { url: Url, description: Type.Optional(Description), events: Type.Optional(EventTypes) },
  { $id: 'CreateWebhookRequest', additionalProperties: false },
);

export const UpdateWebhookRequest = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Description),
    events: Type.Optional(EventTypes),
    enabled: Type.Optional(Type.Boolean()),
  },
  { $id: 'UpdateWebhookRequest', additionalProperties: false },
);

export const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 50' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const WEBHOOK_SCHEMAS = [
  WebhookSchema,
  WebhookCreatedSchema,
  WebhookListSchema,
  WebhookSecretSchema,
  DeliverySchema,
  DeliveryListSchema,
  CreateWebhookRequest,
  UpdateWebhookRequest,
];
