// What the people and settings routes (SPEC 11) share: the session checks that run before validation
// (any signed-in user for reading the settings, administrators for the rest), the actor of a change, and
// a body's validation failure named by its own field (`allowQueryToken`, not the `policy` around it).
import type { FastifyError, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { Actor } from '../accounts/service.js';
import { clientAddress } from './client-address.js';
import { ApiError, toApiError } from './errors.js';
import { refuseMalformedQuery } from './inputs.js';
import type { RouteDeps } from './route-deps.js';
import { requireSession } from './session-auth.js';

/** preValidation of a route every signed-in user of the institution may use. */
export const signedIn = (deps: RouteDeps) => async (request: FastifyRequest) => {
  request.session = await requireSession(deps, request, null);
  refuseMalformedQuery(request);
};

/** preValidation of an administrators' route: staff are refused with 403. */
export const adminsOnly = (deps: RouteDeps) => async (request: FastifyRequest) => {
  request.session = await requireSession(deps, request, null);
  if (request.session.user.role !== 'admin')
    throw new ApiError('insufficient_permission', 'only administrators may do this');
  refuseMalformedQuery(request);
};

export const actorOf = (request: FastifyRequest): Actor => ({
  userId: request.session.user.id,
  ip: clientAddress(request),
});

/**
 * For routes with `attachValidation`: the validation failure as the catalogue's answer, its field the
 * innermost property at fault (`policy.maxLifetimeDays` is reported as `maxLifetimeDays`).
 */
export function refuseInvalid(request: FastifyRequest): void {
  const error = request.validationError as FastifyError | undefined;
  if (!error) return;
  const answer = toApiError(error);
  const first: FastifySchemaValidationError | undefined = error.validation?.[0];
  const leaf = (first?.instancePath ?? '')
    .split('/')
    .filter((s) => s !== '' && !/^[0-9]+$/.test(s))
    .pop();
  const named = first?.params as { additionalProperty?: string; missingProperty?: string } | undefined;
  if (leaf && !named?.additionalProperty && !named?.missingProperty)
    throw new ApiError('invalid_request', answer.message.replace(/^\S+/, leaf), leaf.slice(0, 100));
  throw answer;
}
