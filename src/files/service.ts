// Stored files for staff to upload and list and for tokens to download. The service owns what the
// route should not decide: the file's id, its stored name, the time it was stored and the pagination of
// the list (50 a page, newest first, a cursor bound to `files`). The bytes arrive already read by HTTP.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { decodeCursor, pageOf } from '../pagination.js';
import { textAllowed } from '../text-rules.js';
import { type FileMeta, findFile, insertFile, listFiles, type StoredFile } from './store.js';

export type { FileMeta, StoredFile } from './store.js';

export interface Upload {
  institutionId: string;
  userId: string;
  filename: string;
  mimetype: string;
  bytes: Buffer;
}

const PAGE = 50;
const CURSOR_BOUND = 'files';

export class FileService {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
  ) {}

  async upload(u: Upload): Promise<Result<FileMeta>> {
    // The name is served back in Content-Disposition: a control or bidi character there is refused,
    // not repaired, as in every other name (a file `invoice\u202Efdp.exe` would read as a PDF).
    if (!textAllowed(u.filename, 'name'))
      return fail('invalid_request', 'the file name holds a control or bidi character', 'filename');
    // Slashes and quotes would break out of the header's quoted filename or name a path.
    const name = u.filename.replace(/[\\/"]/g, '_').slice(0, 255) || 'file';
    const file: FileMeta = {
      id: randomUUID(),
      name,
      size: u.bytes.length,
      contentType: u.mimetype.slice(0, 255),
      createdAt: this.clock(),
    };
    await insertFile(this.db, {
      ...file,
      institutionId: u.institutionId,
      bytes: u.bytes,
      createdBy: u.userId,
    });
    return ok(file);
  }

  /** One page of the institution's files, newest first; a cursor from another list is refused. */
  async list(
    institutionId: string,
    cursor: string | undefined,
  ): Promise<Result<{ items: FileMeta[]; nextCursor: string | null }>> {
    const after = cursor === undefined ? null : decodeCursor(cursor, CURSOR_BOUND, 'uuid');
    if (cursor !== undefined && !after) return fail('invalid_request', 'cursor is not valid', 'cursor');
    const rows = await listFiles(this.db, institutionId, PAGE + 1, after && { at: after.key, id: after.id });
    return ok(pageOf(rows, PAGE, CURSOR_BOUND, (f) => ({ key: f.createdAt.toISOString(), id: f.id })));
  }

  /** The file of this institution, or null: another institution's file is as absent as an unknown id. */
  download(institutionId: string, id: string): Promise<StoredFile | null> {
    return findFile(this.db, institutionId, id);
  }
}
