// The shapes of people and the institution's settings (SPEC 11), named for the OpenAPI document: a user
// as administrators manage them, the bodies that add and change one, and the settings with their policy.
// Range rules (days, emails, unknown features) are the service's, which names the field.
import { Type } from '@sinclair/typebox';
import { FEATURES } from '../accounts/users.js';
import { LEAK_RESPONSES } from '../accounts/records.js';
import { Line, Name } from './inputs.js';
import { Enum, Nullable, ref } from './schema-kit.js';

const ROLES = ['admin', 'staff'] as const;
const Time = Type.String({ format: 'date-time' });
const Email = Line({ minLength: 1, maxLength: 320 });
const PersonName = Name({ minLength: 1, maxLength: 200 });
const Role = Enum(ROLES, { description: '`admin` holds every feature; `staff` those granted' });
const Features = Type.Array(Type.String({ maxLength: 100 }), {
  maxItems: 20,
  description: `Features granted to staff: ${FEATURES.join(', ')}`,
});

export const PersonSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    name: Type.String(),
    role: Role,
    features: Type.Array(Type.String()),
    institution: Type.Object({ slug: Type.String(), name: Type.String() }),
    active: Type.Boolean({ description: 'false once deactivated: no sign-in, no session' }),
    lastLoginAt: Nullable(Time),
    signIn: Enum(['password', 'oidc'], { description: '`oidc` once the user has signed in with SSO' }),
    createdAt: Time,
  },
  { $id: 'Person', description: 'A user of the institution, as administrators see them' },
);

export const PersonListSchema = Type.Object(
  { items: Type.Array(ref(PersonSchema)) },
  { $id: 'PersonList', description: 'Every user of the institution, by email' },
);

export const PersonCreatedSchema = Type.Object(
  {
    user: ref(PersonSchema),
    password: Type.String({ description: 'The generated password: shown this once, never again' }),
  },
  { $id: 'PersonCreated' },
);

export const CreatePersonRequest = Type.Object(
  { email: Email, name: PersonName, role: Role, features: Type.Optional(Features) },
  { $id: 'CreatePersonRequest', additionalProperties: false },
);

export const UpdatePersonRequest = Type.Object(
  { name: Type.Optional(PersonName), role: Type.Optional(Role), features: Type.Optional(Features) },
  { $id: 'UpdatePersonRequest', additionalProperties: false },
);

const Days = (description: string) => Nullable(Type.Integer({ description }));
const policyFields = {
  requireExpiry: Type.Boolean({ description: 'Every token must have an expiry' }),
  maxLifetimeDays: Days('Longest token lifetime, 1-1826 days; null: no limit'),
  requireAllowedIps: Type.Boolean({ description: 'Every token must carry a network rule' }),
  allowQueryToken: Type.Boolean({ description: 'Whether a token may arrive in `?token=` (default true)' }),
  leakResponse: Enum(LEAK_RESPONSES, { description: 'What a leak report of a token does' }),
  suspendUnusedAfterDays: Days('Suspend tokens unused this many days, 30-730; null: never'),
};

export const InstitutionSettingsSchema = Type.Object(
  {
    slug: Type.String(),
    name: Type.String(),
    hosts: Type.Array(Type.String()),
    notificationAddresses: Type.Array(Type.String()),
    policy: Type.Object(policyFields),
    sso: Nullable(
      Type.Object(
        {
          issuer: Type.String(),
          clientId: Nullable(Type.String()),
          adminGroup: Nullable(Type.String()),
          staffGroup: Nullable(Type.String()),
          passwordLogin: Type.Boolean(),
        },
        { description: 'The operator’s single sign-on (never its client secret); null when not set' },
      ),
    ),
  },
  { $id: 'InstitutionSettings', description: 'The institution’s settings; hosts and SSO are the operator’s' },
);

export const UpdateInstitutionRequest = Type.Object(
  {
    name: Type.Optional(PersonName),
    notificationAddresses: Type.Optional(
      Type.Array(Email, { maxItems: 50, description: 'Who is told of leaks and policy events' }),
    ),
    policy: Type.Optional(
      Type.Partial(Type.Object(policyFields, { additionalProperties: false }), {
        additionalProperties: false,
        description: 'Merged into the policy: fields left out keep their value',
      }),
    ),
  },
  { $id: 'UpdateInstitutionRequest', additionalProperties: false },
);

export const PEOPLE_SCHEMAS = [
  PersonSchema,
  PersonListSchema,
  PersonCreatedSchema,
  CreatePersonRequest,
  UpdatePersonRequest,
  InstitutionSettingsSchema,
  UpdateInstitutionRequest,
];
