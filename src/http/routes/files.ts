// Files: staff upload and list them (session); integrations download them with a token holding
// core.core.files_download (fileDownloadRoutes, registered with the token routes). Bytes come from the
// database, so any instance serves any file.
import { Type } from '@sinclair/typebox';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TOKENS_FEATURE } from '../../accounts/users.js';
import type { FileMeta } from '../../files/service.js';
import type { Result } from '../../errors.js';
import type { RouteDeps } from '../route-deps.js';
import { ApiError, fromFailure } from '../errors.js';
import {
  errors,
  IdParams,
  NoQuery,
  refuseMalformedQuery,
  SESSION_SECURITY,
  TOKEN_SECURITY,
  TokenQuery,
} from '../schemas.js';
import { requireSession } from '../session-auth.js';
import { authenticate } from '../token-auth.js';

export const FILES_DOWNLOAD = 'core.core.files_download';

const FileSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  size: Type.Integer(),
  contentType: Type.String(),
  createdAt: Type.String(),
});

const meta = (f: FileMeta) => ({ ...f, createdAt: f.createdAt.toISOString() });

const answer = <T>(result: Result<T>): T => {
  if (!result.ok) throw fromFailure(result);
  return result.value;
};

export const fileRoutes = (deps: RouteDeps) => async (app: FastifyInstance) => {
  const { files } = deps.services;
  const staff = {
    preValidation: async (request: FastifyRequest) => {
      request.session = await requireSession(deps, request, TOKENS_FEATURE);
      refuseMalformedQuery(request);
    },
  };

  app.post(
    '/apis/v1/files',
    {
      ...staff,
      schema: {
        tags: ['files'],
        security: SESSION_SECURITY,
        querystring: NoQuery,
        consumes: ['multipart/form-data'],
        response: { 201: FileSchema, ...errors(400, 401, 403, 413, 415) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new ApiError('unsupported_media_type', 'send multipart/form-data with a field "file"');
      const { part, bytes } = await readUpload(request);
      const file = answer(
        await files.upload({
          institutionId: request.institution.id,
          userId: request.session.user.id,
          filename: part.filename,
          mimetype: part.mimetype,
          bytes,
        }),
      );
      return reply.status(201).send(meta(file));
    },
  );

  app.get<{ Querystring: { cursor?: string } }>(
    '/apis/v1/files',
    {
      ...staff,
      schema: {
        tags: ['files'],
        security: SESSION_SECURITY,
        querystring: Type.Object(
          { cursor: Type.Optional(Type.String({ maxLength: 300 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(FileSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      const page = answer(await files.list(request.institution.id, request.query.cursor));
      return { items: page.items.map(meta), nextCursor: page.nextCursor };
    },
  );
};

/**
 * The form's one part, read whole. busboy's own errors (no boundary, a part cut short) are plain Errors
 * and would answer 500; the plugin's limits carry a code and keep their answers (413 and the like).
 */
async function readUpload(request: FastifyRequest): Promise<{ part: MultipartFile; bytes: Buffer }> {
  try {
    const part = await request.file();
    if (part?.fieldname !== 'file')
      throw new ApiError('invalid_request', 'the form needs a field "file"', 'file');
    return { part, bytes: await part.toBuffer() };
  } catch (error) {
    if (error instanceof ApiError || (error as { code?: unknown }).code !== undefined) throw error;
    throw new ApiError('invalid_request', 'the body is not a valid multipart/form-data form', 'file');
  }
}

/** The download, a token route: it sits with the token routes in their scope (CORS, no session). */
export const fileDownloadRoutes = (deps: RouteDeps) => async (app: FastifyInstance) => {
  const { files } = deps.services;
  app.get<{ Params: { id: string } }>(
    '/apis/v1/files/:id/download',
    {
      preValidation: async (request, reply) => {
        await authenticate(deps, request, reply, FILES_DOWNLOAD);
      },
      schema: {
        tags: ['files'],
        security: TOKEN_SECURITY,
        params: IdParams,
        querystring: TokenQuery,
        produces: ['application/octet-stream'],
        response: { ...errors(400, 401, 403, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const file = await files.download(request.institution.id, request.params.id);
      if (!file) throw new ApiError('not_found', 'file not found');
      void reply.header('content-type', file.contentType);
      void reply.header(
        'content-disposition',
        `attachment; filename="${file.name.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      );
      return reply.send(Buffer.from(file.bytes));
    },
  );
};
