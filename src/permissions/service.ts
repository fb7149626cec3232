// The permission catalogue's operations (SPEC section 8), for the CLI, the API and the token service:
// add (or re-describe), list in key order, deprecate and undeprecate; nothing is ever deleted. The rules
// are rules.ts's; this module reads and writes through the store and answers result unions.
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { fail, ok, type Result } from '../errors.js';
import { checkDescription, checkKey, grantable, MAX_PERMISSIONS, type Permission } from './rules.js';
import { findPermissions, listPermissions, setDeprecated, upsertPermission } from './store.js';

export type { Permission } from './rules.js';

export class PermissionService {
  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
  ) {}

  /** The whole catalogue in byte order of the key. */
  list(): Promise<Permission[]> {
    return listPermissions(this.db);
  }

  /** Adds a permission; an existing key gets the new description (scripts run it on every deploy). */
  async add(key: string, description: string): Promise<Result<{ permission: Permission; created: boolean }>> {
    const k = checkKey(key);
    if (!k.ok) return k;
    const d = checkDescription(description);
    if (!d.ok) return d;
    return ok(await upsertPermission(this.db, { key: k.value, description: d.value, at: this.clock() }));
  }

  /** A deprecated permission cannot be granted anew; tokens holding it keep it, and it keeps working. */
  deprecate(key: string): Promise<Result<{ permission: Permission; changed: boolean }>> {
    return this.setDeprecated(key, true);
  }

  undeprecate(key: string): Promise<Result<{ permission: Permission; changed: boolean }>> {
    return this.setDeprecated(key, false);
  }

  /**
   * The permissions a token may be given, for create and PATCH: 1 to 50 distinct catalogue keys, none
   * deprecated unless `alreadyHeld` has it; answered in key order, or the 400 naming `permissions`.
   * `q` lets the token service ask inside its own transaction.
   */
  async checkGrantable(
    keys: readonly string[],
    alreadyHeld: readonly string[] = [],
    q: Queryable = this.db,
  ): Promise<Result<string[]>> {
    // The count is refused before the lookup: an oversized list never reaches the database.
    const lookup = keys.length > 0 && keys.length <= MAX_PERMISSIONS;
    const entries = lookup ? await findPermissions(q, keys) : [];
    return grantable(keys, new Map(entries.map((p) => [p.key, p])), alreadyHeld);
  }

  private async setDeprecated(
    key: string,
    deprecated: boolean,
  ): Promise<Result<{ permission: Permission; changed: boolean }>> {
    const k = checkKey(key);
    if (!k.ok) return k;
    const result = await setDeprecated(this.db, k.value, deprecated, this.clock());
    return result ? ok(result) : fail('not_found', `there is no permission "${k.value}" in the catalogue`);
  }
}
