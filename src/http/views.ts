// The services' views as the response schemas type them. Stores hand back strings where the API names
// a closed list (carriers, event types, roles); these check each one instead of casting it.
import type { TokenView } from '../tokens/view.js';
import { CARRIERS, EVENT_TYPES, ROLES } from './schemas.js';

const member =
  <T extends string>(list: readonly T[]) =>
  (value: string): value is T =>
    (list as readonly string[]).includes(value);

const isCarrier = member(CARRIERS);
const isEventType = member(EVENT_TYPES);
const isRole = member(ROLES);

/** A token as answered: a carrier the API does not name (none is ever recorded) reads as none. */
export function tokenAnswer(view: TokenView) {
  const carrier = view.lastUsedCarrier;
  return { ...view, lastUsedCarrier: carrier !== null && isCarrier(carrier) ? carrier : null };
}

/** An event as answered; a type the API does not list is a fault, not something to rename. */
export function eventAnswer<E extends { type: string }>(event: E) {
  const { type } = event;
  if (!isEventType(type)) throw new Error(`an audit event of unknown type ${type}`);
  return { ...event, type };
}

/** A user's role as answered; any other role is refused where it is read (a fault, fail closed). */
export function roleOf(role: string): (typeof ROLES)[number] {
  if (!isRole(role)) throw new Error(`a user with unknown role ${role}`);
  return role;
}
