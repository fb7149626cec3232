// Files: staff upload and list them (session); integrations download them with a token holding
// core.core.files_download (fileDownloadRoutes, registered with the token routes). Bytes come from the
// database, so any instance serves any file.
import { Type } from '@sinclair/typebox';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { FileMeta } from '../../files/service.js';
import { FILES_DOWNLOAD } from '../../permissions/rules.js';
import type { RouteDeps } from '../route-deps.js';
import { ApiError } from '../errors.js';
import { BY_ID, CORS, failures, HEADERS, json, STAFF_READ, STAFF_WRITE, TOKEN_CHECK } from '../responses.js';
import {
  CsrfHeader,
  Cursor,
  FileListSchema,
  FileSchema,
  IdParams,
  NoQuery,
  ref,
  SESSION_SECURITY,
  TOKEN_SECURITY,
  TokenQuery,
} from '../schemas.js';
import { answer, tokensStaff } from '../staff-route.js';
import { authenticate } from '../token-auth.js';

// The upload's form, for the document only: @fastify/multipart reads the stream itself (readUpload),
// so the route has no body schema to validate, and each route may add to its own document this way.
const UPLOAD_FORM = {
  consumes: ['multipart/form-data'],
  body: Type.Object(
    { file: Type.String({ format: 'binary', description: 'The file; its name and type are kept' }) },
    { additionalProperties: false },
  ),
};

const meta = (f: FileMeta) => ({ ...f, createdAt: f.createdAt.toISOString() });

export const fileRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { files } = deps.services;
    const staff = { preValidation: tokensStaff(deps) };

    app.post(
      '/apis/v1/files',
      {
        ...staff,
        config: {
          swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, ...UPLOAD_FORM }, url }),
        },
        schema: {
          tags: ['files'],
          operationId: 'uploadFile',
          summary: 'Store a file (multipart/form-data, field "file") for tokens to download',
          security: SESSION_SECURITY,
          querystring: NoQuery,
          headers: CsrfHeader,
          response: {
            201: json('The stored file', ref(FileSchema), HEADERS.noStore),
            ...failures('session', STAFF_WRITE),
          },
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

    app.get(
      '/apis/v1/files',
      {
        ...staff,
        schema: {
          tags: ['files'],
          operationId: 'listFiles',
          summary: 'The institution’s files, newest first',
          security: SESSION_SECURITY,
          querystring: Type.Object({ cursor: Type.Optional(Cursor) }, { additionalProperties: false }),
          response: {
            200: json('A page of files', ref(FileListSchema), HEADERS.noStore),
            ...failures('session', STAFF_READ),
          },
        },
      },
      async (request) => {
        const page = answer(await files.list(request.institution.id, request.query.cursor));
        return { items: page.items.map(meta), nextCursor: page.nextCursor };
      },
    );
    done();
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

// A file's bytes: sent as they are (Fastify serialises no Buffer), written as OpenAPI writes bytes.
const BYTES = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

/** The download, a token route: it sits with the token routes in their scope (CORS, no session). */
export const fileDownloadRoutes =
  (deps: RouteDeps): FastifyPluginCallbackTypebox =>
  (app, _options, done) => {
    const { files } = deps.services;
    app.get(
      '/apis/v1/files/:id/download',
      {
        preValidation: async (request, reply) => {
          await authenticate(deps, request, reply, [FILES_DOWNLOAD]);
        },
        schema: {
          tags: ['files'],
          operationId: 'downloadFile',
          summary: 'Download a file with a token holding core.core.files_download',
          security: TOKEN_SECURITY,
          params: IdParams,
          querystring: TokenQuery,
          response: {
            200: {
              description: 'The file’s bytes, with the content type it was stored with',
              headers: { ...HEADERS.validUntil, ...HEADERS.download, ...CORS },
              // Bytes, sent with the type the file was stored with (text/csv, …), so any type may come.
              content: { 'application/octet-stream': { schema: BYTES }, '*/*': { schema: BYTES } },
            },
            ...failures('token', { ...TOKEN_CHECK, ...BY_ID }),
          },
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
    done();
  };
