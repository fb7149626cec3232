// Files: staff upload and list them (session); integrations download them with a token holding
// core.core.files_download (fileDownloadRoutes, registered with the token routes). Bytes come from the
// database, so any instance serves any file.
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TOKENS_FEATURE } from '../../accounts/users.js';
import { findFile, insertFile, listFiles } from '../../files/store.js';
import { decodeCursor, pageOf } from '../../pagination.js';
import type { RouteDeps } from '../route-deps.js';
import { ApiError } from '../errors.js';
import { textAllowed } from '../../text-rules.js';
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

const meta = (f: { id: string; name: string; size: number; contentType: string; createdAt: Date }) => ({
  ...f,
  createdAt: f.createdAt.toISOString(),
});

export const fileRoutes = (deps: RouteDeps) => async (app: FastifyInstance) => {
  const { db, clock } = deps.services;
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
      // The name is served back in Content-Disposition: a control or bidi character there is refused,
      // not repaired, as in every other name (a file `invoice\u202Efdp.exe` would read as a PDF).
      if (!textAllowed(part.filename, 'name'))
        throw new ApiError('invalid_request', 'the file name holds a control or bidi character', 'filename');
      const name = part.filename.replace(/[\\/"]/g, '_').slice(0, 255) || 'file';
      const file = {
        id: randomUUID(),
        name,
        size: bytes.length,
        contentType: part.mimetype.slice(0, 255),
        createdAt: clock(),
      };
      await insertFile(db, {
        ...file,
        institutionId: request.institution.id,
        bytes,
        createdBy: request.session.user.id,
      });
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
      const { cursor } = request.query;
      const after = cursor === undefined ? null : decodeCursor(cursor, 'files', 'uuid');
      if (cursor !== undefined && !after)
        throw new ApiError('invalid_request', 'cursor is not valid', 'cursor');
      const rows = await listFiles(db, request.institution.id, 51, after && { at: after.key, id: after.id });
      const page = pageOf(rows, 50, 'files', (f) => ({ key: f.createdAt.toISOString(), id: f.id }));
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
  const { db } = deps.services;
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
      const file = await findFile(db, request.institution.id, request.params.id);
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
