// What the staff routes of the management API share: the session check that runs before validation,
// the actor a change is recorded under, and a service's result as the answer or the catalogued error.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TOKENS_FEATURE } from '../accounts/users.js';
import type { Result } from '../errors.js';
import type { RouteDeps } from './route-deps.js';
import { clientAddress } from './client-address.js';
import { fromFailure } from './errors.js';
import { refuseMalformedQuery } from './inputs.js';
import { requireSession } from './session-auth.js';

/**
 * The preValidation hook of a tokens-feature route. Authentication runs before validation: an
 * anonymous caller learns nothing about the schema.
 */
export const tokensStaff = (deps: RouteDeps) => async (request: FastifyRequest) => {
  request.session = await requireSession(deps, request, TOKENS_FEATURE);
  refuseMalformedQuery(request);
};

/** Who makes a change, for its audit event. */
export const actor = (request: FastifyRequest) => ({
  userId: request.session.user.id,
  ip: clientAddress(request),
});

/** A service's result: its value (with `status` set, when given), or the failure thrown as the answer. */
export function answer<T>(result: Result<T>, reply?: FastifyReply, status = 200): T {
  if (!result.ok) throw fromFailure(result);
  if (reply) void reply.status(status);
  return result.value;
}
