// The shapes the API answers with, named for the page: each is a named schema of the served document,
// as src/http/generated/api.ts types it (`npm run generate`), so the page cannot drift from the server.
// The page only reads them; the server is the authority on every rule.
import type { components, paths } from '../../src/http/generated/api.js';

type Schemas = components['schemas'];

export type Token = Schemas['Token'];
export type TokenState = Token['state'];
export type TokenEvent = Schemas['Event'];
export type UserRef = NonNullable<Token['createdBy']>;
export type Session = Schemas['Session'];
export type SessionOptions = Schemas['SessionOptions'];
export type User = Schemas['User'];
export type TokenWithSecret = Schemas['Created'];
export type UsageDay = Schemas['Usage']['items'][number];
export type NewTokenRequest = Schemas['CreateTokenRequest'];
export type TokenChanges = Schemas['UpdateTokenRequest'];
export type Permission = Schemas['Permission'];
export type Person = Schemas['Person'];
export type PersonWithPassword = Schemas['PersonCreated'];
export type NewPersonRequest = Schemas['CreatePersonRequest'];
export type PersonChanges = Schemas['UpdatePersonRequest'];
export type InstitutionSettings = Schemas['InstitutionSettings'];
export type Policy = InstitutionSettings['policy'];
export type InstitutionChanges = Schemas['UpdateInstitutionRequest'];
export type BulkRequest = Schemas['BulkRequest'];
export type BulkAnswer = Schemas['BulkAnswer'];
export type Application = Schemas['Application'];
export type AuditEvent = Schemas['AuditEvent'];
export type AuditQuery = NonNullable<paths['/apis/v1/audit-events']['get']['parameters']['query']>;
export type ListQuery = NonNullable<paths['/apis/v1/api-tokens']['get']['parameters']['query']>;
export type Webhook = Schemas['Webhook'];
export type WebhookEvent = Webhook['events'][number];
export type WebhookWithSecret = Schemas['WebhookCreated'];
export type NewWebhook = Schemas['CreateWebhookRequest'];
export type WebhookChanges = Schemas['UpdateWebhookRequest'];
export type Delivery = Schemas['Delivery'];
export type DeliveryStatus = Delivery['status'];

/** A page of a list: the token list's and the audit history's. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const TOKENS_FEATURE = 'core.institutions.settings_api_tokens_change';

export function canManageTokens(user: User): boolean {
  return user.role === 'admin' || user.features.includes(TOKENS_FEATURE);
}
