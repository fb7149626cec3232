// Manage API Tokens: the list, searched, filtered, sorted and paginated by the server (SPEC section 5),
// with Create token, Export (a CSV of what the filters show), an empty state that explains what tokens are
// for, and a message when the API fails; rows can be selected for a bulk action, and the danger zone
// suspends every active token (SPEC 12).
import { useState } from 'react';
import { navigate, paths, useLocation } from '../router.js';
import { DangerZone, SelectionBar } from './bulk-actions.js';
import { CreateTokenDialog } from './create-token-dialog.js';
import { usePermissionCatalogue } from './permission-field.js';
import { type Filters, hasFilters, readFilters, TokenFilters } from './token-filters.js';
import { type Sorting, type SortKey, TokenTable } from './token-table.js';
import { readSorting, type TokenList, useTokenList } from './use-token-list.js';

function listAddress(filters: Filters, sorting: Sorting): string {
  const params = new URLSearchParams();
  if (filters.q) params.set('q', filters.q);
  if (filters.issuedFor) params.set('issuedFor', filters.issuedFor);
  for (const state of filters.states) params.append('state', state);
  for (const permission of filters.permissions) params.append('permission', permission);
  if (filters.compromised) params.set('compromised', 'true');
  if (sorting.sort !== 'createdAt') params.set('sort', sorting.sort);
  if (sorting.order !== 'desc') params.set('order', sorting.order);
  const query = params.toString();
  return query ? `${paths.tokens}?${query}` : paths.tokens;
}

/** What the filters show, every page of it, as a CSV file (SPEC 12's export keeps filters and sort). */
function exportAddress(filters: Filters, sorting: Sorting): string {
  const query = listAddress(filters, sorting).split('?')[1];
  return `/apis/v1/api-tokens/export?format=csv${query ? `&${query}` : ''}`;
}

/** Clicking a column sorts by it; clicking it again flips the order. Expiry starts soonest first. */
function nextSorting(current: Sorting, column: SortKey): Sorting {
  if (current.sort === column) return { sort: column, order: current.order === 'desc' ? 'asc' : 'desc' };
  return { sort: column, order: column === 'expiresAt' ? 'asc' : 'desc' };
}

export function TokenListPage() {
  const { search } = useLocation();
  const query = search.toString();
  const list = useTokenList(query);
  const [creating, setCreating] = useState(false);
  const catalogue = usePermissionCatalogue();
  const filters = readFilters(search);
  const sorting = readSorting(search);
  const show = (next: Filters, order: Sorting = sorting) =>
    navigate(listAddress(next, order), { replace: true });
  const noTokensAtAll = list.page?.items.length === 0 && list.pageNumber === 1 && !hasFilters(filters);
  // Until the first answer nothing is shown that could vanish under the cursor (the empty state replaces
  // the header's button and the filters).
  const loading = list.page === null && list.error === null;

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Manage API Tokens</h1>
          <p className="lead">
            Dedicated credentials for integrations and services. The secret is shown once, at creation; this
            page shows only each token's metadata and status.
          </p>
        </div>
        {loading || noTokensAtAll ? null : (
          <div className="page-actions">
            <a className="button" href={exportAddress(filters, sorting)} download>
              Export
            </a>
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              Create token
            </button>
          </div>
        )}
      </div>
      {loading ? <p className="muted">Loading tokens…</p> : null}
      {!loading && noTokensAtAll ? <EmptyState onCreate={() => setCreating(true)} /> : null}
      {!loading && !noTokensAtAll ? (
        <>
          <TokenFilters
            filters={filters}
            catalogue={catalogue.data?.items ?? null}
            onChange={(next) => show(next)}
          />
          <ListBody
            key={query}
            list={list}
            sorting={sorting}
            onSort={(column) => show(filters, nextSorting(sorting, column))}
            onClear={() => show({ q: '', issuedFor: '', states: [], permissions: [], compromised: false })}
          />
          <DangerZone onChanged={list.reload} />
        </>
      ) : null}
      {creating ? <CreateTokenDialog onCreated={list.reload} onClose={() => setCreating(false)} /> : null}
    </>
  );
}

interface ListBodyProps {
  list: TokenList;
  sorting: Sorting;
  onSort: (column: SortKey) => void;
  onClear: () => void;
}

function ListBody({ list, sorting, onSort, onClear }: ListBodyProps) {
  const { page, error } = list;
  // A selection is of the rows on screen: another page (or filter, by the key above) starts afresh.
  const [selection, setSelection] = useState({ page: list.pageNumber, ids: new Set<string>() });
  const selected = selection.page === list.pageNumber ? selection.ids : new Set<string>();
  const setSelected = (ids: Set<string>) => setSelection({ page: list.pageNumber, ids });
  const selectedTokens = page?.items.filter((t) => selected.has(t.id)) ?? [];
  return (
    <>
      {error ? (
        <div className="alert alert-error" role="alert">
          <p>The tokens could not be loaded: {error}</p>
          <button type="button" className="button" onClick={list.reload}>
            Try again
          </button>
        </div>
      ) : null}
      {page?.items.length === 0 && list.pageNumber === 1 ? (
        <div className="empty-state">
          <p>No tokens match these filters.</p>
          <button type="button" className="button" onClick={onClear}>
            Clear filters
          </button>
        </div>
      ) : null}
      <SelectionBar
        selected={selectedTokens}
        onClear={() => setSelected(new Set())}
        onChanged={list.reload}
      />
      {page && page.items.length > 0 ? (
        <TokenTable
          tokens={page.items}
          sorting={sorting}
          onSort={onSort}
          busy={list.busy}
          selection={{ ids: selected, onChange: setSelected }}
        />
      ) : null}
      <nav className="pagination" aria-label="Pages of tokens">
        <button
          type="button"
          className="button"
          disabled={!list.previous}
          onClick={list.previous ?? undefined}
        >
          Previous page
        </button>
        <span className="muted">Page {list.pageNumber}</span>
        <button type="button" className="button" disabled={!list.next} onClick={list.next ?? undefined}>
          Next page
        </button>
      </nav>
    </>
  );
}

function EmptyState({ onCreate }: { onCreate: () => void }) {
  return (
    <section className="empty-state" aria-labelledby="empty-title">
      <h2 id="empty-title">No API tokens yet</h2>
      <p>
        An API token lets an integration — a CRM connector, a reporting job — call the versioned API (
        <code>/apis/v1/…</code>) as itself rather than as a person. Issue one token per integration and
        environment, give it a short lifetime, and suspend or revoke it here if it is no longer needed or may
        have leaked.
      </p>
      <button type="button" className="button button-primary" onClick={onCreate}>
        Create token
      </button>
    </section>
  );
}
