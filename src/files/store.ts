// The only SQL for stored files. Bytes live in the database so that any instance serves any file.
// Each query reads into FileRow, the table's columns as the drivers return them, and one plain
// transform maps it to the record the service works with.
import type { Queryable } from '../db/db.js';

export interface FileMeta {
  id: string;
  name: string;
  size: number;
  contentType: string;
  createdAt: Date;
}

export interface StoredFile extends FileMeta {
  bytes: Uint8Array;
}

/** A row of `files` as both drivers return it (integer as number, timestamptz as Date, bytea as bytes). */
interface FileRow {
  id: string;
  name: string;
  size: number;
  content_type: string;
  created_at: Date;
}

interface FileRowWithBytes extends FileRow {
  bytes: Uint8Array;
}

const toMeta = (r: FileRow): FileMeta => ({
  id: r.id,
  name: r.name,
  size: r.size,
  contentType: r.content_type,
  createdAt: r.created_at,
});

const toStoredFile = (r: FileRowWithBytes): StoredFile => ({ ...toMeta(r), bytes: r.bytes });

export async function insertFile(
  q: Queryable,
  f: FileMeta & { institutionId: string; bytes: Buffer; createdBy: string | null },
): Promise<void> {
  await q.query(
    `INSERT INTO files (id, institution_id, name, content_type, size, bytes, created_at, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [f.id, f.institutionId, f.name, f.contentType, f.size, f.bytes, f.createdAt, f.createdBy],
  );
}

export async function listFiles(
  q: Queryable,
  institutionId: string,
  limit: number,
  after: { at: string; id: string } | null,
): Promise<FileMeta[]> {
  const rows = await q.query<FileRow>(
    `SELECT id, name, size, content_type, created_at FROM files
     WHERE institution_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [institutionId, after?.at ?? null, after?.id ?? null, limit],
  );
  return rows.map(toMeta);
}

export async function findFile(q: Queryable, institutionId: string, id: string): Promise<StoredFile | null> {
  const [row] = await q.query<FileRowWithBytes>(
    'SELECT id, name, size, content_type, created_at, bytes FROM files WHERE institution_id = $1 AND id = $2',
    [institutionId, id],
  );
  return row ? toStoredFile(row) : null;
}
