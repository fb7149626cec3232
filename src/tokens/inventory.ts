// The inventory (SPEC 12) beside the list: the applications view and the export of every token the
// list's filters match. The export reads in keyset pages of EXPORT_PAGE through the list's own query,
// so it keeps the filters and the sort, holds no transaction open while the client reads, and never
// holds more than a page in memory; the caller turns the views into CSV or NDJSON.
import type { Institution } from '../accounts/store.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { textAllowed } from '../text-rules.js';
import { type ApplicationRecord, listApplications } from './applications-store.js';
import { type ListInput, parseListInput } from './list-query.js';
import { listTokens } from './list-store.js';
import { type TokenView, tokenView } from './view.js';

const EXPORT_PAGE = 500;

export class InventoryService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async applications(inst: Institution, q: string | undefined): Promise<Result<ApplicationRecord[]>> {
    const search = q?.trim() || null;
    if ((search ?? '').length > 200) return fail('invalid_request', 'q must be at most 200 characters', 'q');
    if (!textAllowed(search ?? '', 'line'))
      return fail('invalid_request', 'q must not hold control characters', 'q');
    return ok(await listApplications(this.db, inst.id, this.clock(), search));
  }

  /** Every token the filters match, in the list's order; `limit` and `cursor` are ignored. */
  exportTokens(inst: Institution, input: ListInput): Result<AsyncGenerator<TokenView>> {
    const parsed = parseListInput({ ...input, limit: undefined, cursor: undefined });
    if (!parsed.ok) return parsed;
    const { cursor: _cursor, ...filters } = parsed.value;
    const db = this.db;
    const now = this.clock();
    async function* tokens() {
      let after: { key: string; id: string } | null = null;
      for (;;) {
        const page = await listTokens(db, {
          ...filters,
          institutionId: inst.id,
          now,
          limit: EXPORT_PAGE,
          after,
        });
        for (const row of page.rows) yield tokenView(row, now);
        const last = page.rows[page.rows.length - 1];
        if (!last || page.rows.length < EXPORT_PAGE) return;
        after = { key: page.keys[page.keys.length - 1] as string, id: last.id };
      }
    }
    return ok(tokens());
  }
}
