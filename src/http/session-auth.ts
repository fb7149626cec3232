// Session authentication for staff routes: the HttpOnly cookie names a database session of this
// institution; state-changing requests must also carry its CSRF token. A request that brings a token
// instead is refused with 403: tokens never reach staff features.
import type { FastifyRequest } from 'fastify';
import type { Session } from '../accounts/service.js';
import { csrfMatches } from '../accounts/sessions.js';
import { hasFeature } from '../accounts/users.js';
import type { RouteDeps } from './route-deps.js';
import { ApiError } from './errors.js';
import { hasCarrier } from './token-auth.js';

export const SESSION_COOKIE = 'tokend_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession on staff routes. */
    session: Session;
  }
}

export async function currentSession(deps: RouteDeps, request: FastifyRequest): Promise<Session | null> {
  const id = request.cookies[SESSION_COOKIE];
  if (!id) return null;
  return deps.services.accounts.session(request.institution.id, id);
}

/** The session of a staff request holding `feature` (if given); throws the catalogued error otherwise. */
export async function requireSession(
  deps: RouteDeps,
  request: FastifyRequest,
  feature: string | null,
): Promise<Session> {
  const session = await currentSession(deps, request);
  if (!session) {
    if (hasCarrier(request)) throw new ApiError('insufficient_permission', 'tokens cannot use staff routes');
    throw new ApiError('unauthenticated', 'log in first');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const presented = request.headers['x-csrf-token'];
    if (!csrfMatches(session, Array.isArray(presented) ? presented[0] : presented)) {
      throw new ApiError('csrf', 'missing or wrong X-CSRF-Token header');
    }
  }
  if (feature && !hasFeature(session.user, feature)) {
    throw new ApiError('insufficient_permission', `this needs the feature ${feature}`);
  }
  return session;
}
