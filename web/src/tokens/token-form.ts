// What Create and Edit share about a token's details: the form's field names, which API `field` each
// one shows, and the length checks made before a request (the server checks them again).

export type FieldName = 'name' | 'description' | 'issuedFor' | 'expiry' | 'permissions' | 'allowedIps';
export type FieldErrors = Partial<Record<FieldName, string>>;

export const apiFields: Record<string, FieldName> = {
  name: 'name',
  description: 'description',
  issuedFor: 'issuedFor',
  expiresAt: 'expiry',
  expiresInDays: 'expiry',
  permissions: 'permissions',
  allowedIps: 'allowedIps',
};

export function checkDetails(name: string, description: string, issuedFor: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!name.trim()) errors.name = 'Give the token a name, e.g. "Salesforce connector – production".';
  else if (name.trim().length > 200) errors.name = 'Use at most 200 characters.';
  if (description.length > 2000) errors.description = 'Use at most 2,000 characters.';
  if (issuedFor.length > 200) errors.issuedFor = 'Use at most 200 characters.';
  return errors;
}
