// Leak reports (SPEC section 9), on any host and without an institution: the public report, GitHub's
// secret scanning partner format (an ECDSA signature over the raw body) and GitLab's token revocation
// API (a shared token). Each hands the tokens to the leak service, which acts before the answer.
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { LeakChannel, ReportedToken } from '../../leaks/report.js';
import { hashToken } from '../../tokens/token.js';
import { ApiError } from '../errors.js';
import {
  GithubLeakReport,
  GithubLeakVerdictsSchema,
  GitlabRevokeRequest,
  GitlabTokenTypesSchema,
  LeakReceivedSchema,
  LeakReportRequest,
  TOKEN_TYPE,
} from '../leak-schemas.js';
import { githubSignatureValid, revocationTokenMatches } from '../leak-signature.js';
import { clientKey } from '../rate-limit.js';
import { empty, failures, JSON_BODY, json } from '../responses.js';
import type { RouteDeps } from '../route-deps.js';
import { NoQuery, PUBLIC, ref } from '../schemas.js';
import { transportPolicy } from '../transport.js';

/** SPEC 9: the report routes take bodies up to 256 kB (a thousand tokens with their slugs). */
const BODY_LIMIT = 256 * 1024;
const tags = ['leaks'];
const unset = () => new ApiError('not_found', 'no such route');

/** A scanner's own text, kept to the public report's lengths and to one line (never refused: it is theirs). */
const clip = (value: string | undefined, max: number): string | null =>
  value ? value.replace(/\p{Cc}/gu, '').slice(0, max) || null : null;

/** The service's answer; emails it could not send are logged (their claims record them too). */
async function report(
  deps: RouteDeps,
  request: FastifyRequest,
  channel: LeakChannel,
  items: ReportedToken[],
) {
  const outcome = await deps.services.leaks.report(channel, items, request.clientAddress);
  if (outcome.mailErrors.length > 0) request.log.warn({ errors: outcome.mailErrors }, 'leak notice not sent');
  return outcome;
}

export const leakRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { config, limiter } = deps;
    app.post(
      '/apis/v1/leaks',
      {
        bodyLimit: BODY_LIMIT,
        // Every report counts, before its body is read: each costs a lookup, whatever it holds.
        onRequest: async (request) => {
          const wait = await limiter.fail(`leak:${clientKey(request.clientAddress)}`, config.leakReportLimit);
          if (wait > 0)
            throw new ApiError('rate_limited', 'too many leak reports; try later', undefined, {
              'retry-after': String(wait),
            });
        },
        schema: {
          tags,
          operationId: 'reportLeaks',
          summary: 'Report leaked tokens: those that still work stop working at once',
          description:
            'No authentication, on any host. The answer is the same whatever the report holds: it never tells whether a token exists.',
          security: PUBLIC,
          querystring: NoQuery,
          body: ref(LeakReportRequest),
          response: {
            202: json('Received', ref(LeakReceivedSchema)),
            ...failures('session', {
              ...JSON_BODY,
              400: ['invalid_request'],
              429: ['rate_limited'],
              503: ['unavailable'],
            }),
          },
        },
      },
      async (request, reply) => {
        const { tokens, url, source } = request.body;
        const items = tokens.map((token) => ({ token, url: url ?? null, source: source ?? null }));
        await report(deps, request, 'public', items);
        return reply.status(202).send({ received: tokens.length });
      },
    );
    void app.register(gitlabRoutes(deps));
    void app.register(githubRoute(deps));
    done();
  };

/**
 * GitLab sends its revocation token as the whole Authorization header. It is a credential: HTTPS only
 * (as tokens are), and compared in constant time (leak-signature.ts).
 */
const gitlabRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const expected = deps.config.gitlabRevocationToken;
    const transport = transportPolicy(deps.config);
    const refusal = (request: FastifyRequest) => {
      if (!expected) return unset();
      if (!transport.isSecure(request)) return new ApiError('https_required', 'use HTTPS');
      if (!revocationTokenMatches(request.headers.authorization, expected))
        return new ApiError('invalid_signature', 'the Authorization header is not the revocation token');
      return undefined;
    };
    app.addHook('onRequest', (request, _reply, next) => next(refusal(request)));
    const common = {
      tags,
      security: PUBLIC,
      querystring: NoQuery,
      description: '`Authorization` must be TOKEND_GITLAB_REVOCATION_TOKEN; 404 while it is unset.',
    };
    const refused = { 401: ['invalid_signature'], 403: ['https_required'], 404: ['not_found'] } as const;

    app.get(
      '/apis/v1/leaks/gitlab/v1/revocable_token_types',
      {
        schema: {
          ...common,
          operationId: 'gitlabRevocableTokenTypes',
          summary: 'GitLab token revocation: the token types tokend revokes',
          response: { 200: json('The types', ref(GitlabTokenTypesSchema)), ...failures('session', refused) },
        },
      },
      () => ({ types: [TOKEN_TYPE] }),
    );

    app.post(
      '/apis/v1/leaks/gitlab/v1/revoke_tokens',
      {
        bodyLimit: BODY_LIMIT,
        schema: {
          ...common,
          operationId: 'gitlabRevokeTokens',
          summary: 'GitLab token revocation: the tokens its secret detection found',
          body: ref(GitlabRevokeRequest),
          response: {
            204: empty('Received'),
            ...failures('session', {
              ...refused,
              ...JSON_BODY,
              400: ['invalid_request'],
              503: ['unavailable'],
            }),
          },
        },
      },
      async (request, reply) => {
        const items = request.body.map((f) => ({
          token: f.token,
          url: clip(f.location, 2000),
          source: 'gitlab secret detection',
        }));
        await report(deps, request, 'gitlab', items);
        return reply.status(204).send();
      },
    );
    done();
  };

/**
 * GitHub signs the body as it sent it, so this scope reads JSON as raw bytes: the signature is checked
 * on them before anything else (preValidation), and only a verified body is parsed and validated.
 */
const githubRoute =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const keysFile = deps.config.githubScanningKeys;
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, parsed) =>
      parsed(null, body),
    );
    app.post(
      '/apis/v1/leaks/github',
      {
        bodyLimit: BODY_LIMIT,
        onRequest: (_request, _reply, next) => next(keysFile ? undefined : unset()),
        preValidation: async (request) => {
          const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const keyId = header(request, 'github-public-key-identifier');
          const signature = header(request, 'github-public-key-signature');
          if (!keysFile || !(await githubSignatureValid(keysFile, keyId, signature, raw)))
            throw new ApiError('invalid_signature', 'the GitHub signature does not verify');
          try {
            // Not yet the body's type: the route's schema validates it right after this hook.
            Reflect.set(request, 'body', JSON.parse(raw.toString('utf8')));
          } catch {
            throw new ApiError('invalid_request', 'body is not valid JSON', 'body');
          }
        },
        schema: {
          tags,
          operationId: 'reportGithubLeaks',
          summary: 'GitHub secret scanning partner program: tokens GitHub found',
          description:
            'Signed by GitHub (`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`: ECDSA P-256 / SHA-256 over the raw body), checked against TOKEND_GITHUB_SCANNING_KEYS; 404 while it is unset.',
          security: PUBLIC,
          querystring: NoQuery,
          body: ref(GithubLeakReport),
          response: {
            200: json('A verdict per token', ref(GithubLeakVerdictsSchema)),
            ...failures('session', {
              ...JSON_BODY,
              400: ['invalid_request'],
              401: ['invalid_signature'],
              404: ['not_found'],
              503: ['unavailable'],
            }),
          },
        },
      },
      async (request) => {
        const items = request.body.map((f) => ({
          token: f.token,
          url: clip(f.url, 2000),
          source: clip(f.source, 100),
        }));
        const { genuine } = await report(deps, request, 'github', items);
        return request.body.map((f) => {
          const hash = hashToken(f.token);
          const label = genuine.has(hash) ? ('true_positive' as const) : ('false_positive' as const);
          return { token_hash: hash, token_type: TOKEN_TYPE, label };
        });
      },
    );
    done();
  };

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};
