// The only SQL for stored files. Bytes live in the database so that any instance serves any file.
import type { Queryable } from '../db/db.js';

export interface FileMeta {
  id: string;
  name: string;
  size: number;
  contentType: string;
  createdAt: Date;
}

const toMeta = (r: Record<string, unknown>): FileMeta => ({
  id: r.id as string,
  name: r.name as string,
  size: r.size as number,
  contentType: r.content_type as string,
  createdAt: r.created_at as Date,
});

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
  const rows = await q.query(
    `SELECT id, name, size, content_type, created_at FROM files
     WHERE institution_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
     ORDER BY created_at DESC, id DESC LIMIT $4`,
    [institutionId, after?.at ?? null, after?.id ?? null, limit],
  );
  return rows.map(toMeta);
}

export async function findFile(
  q: Queryable,
  institutionId: string,
  id: string,
): Promise<(FileMeta & { bytes: Uint8Array }) | null> {
  const [row] = await q.query('SELECT * FROM files WHERE institution_id = $1 AND id = $2', [
    institutionId,
    id,
  ]);
  return row ? { ...toMeta(row), bytes: row.bytes as Uint8Array } : null;
}
