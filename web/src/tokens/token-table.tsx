// The token list as a real table: one row a token, with its name linking to the detail page, its
// permissions in short, and the sortable columns (created, expires) announcing their order through
// aria-sort; with `selection`, a checkbox a row and one for the whole page (the bulk actions).
import { CompromisedBadge, Person, StatusBadge, Text, Time } from '../format.js';
import { followLink, paths } from '../router.js';
import type { Token } from '../types.js';

export type SortKey = 'createdAt' | 'expiresAt';
export interface Sorting {
  sort: SortKey;
  order: 'asc' | 'desc';
}

interface TokenTableProps {
  tokens: Token[];
  sorting: Sorting;
  onSort: (sort: SortKey) => void;
  busy: boolean;
  /** The selected ids, and how to change them; absent: no checkboxes. */
  selection?: { ids: ReadonlySet<string>; onChange: (ids: Set<string>) => void };
}

function SortHeader(props: {
  label: string;
  column: SortKey;
  sorting: Sorting;
  onSort: (sort: SortKey) => void;
}) {
  const active = props.sorting.sort === props.column;
  const ariaSort = active ? (props.sorting.order === 'asc' ? 'ascending' : 'descending') : 'none';
  const arrow = active ? (props.sorting.order === 'asc' ? '▲' : '▼') : '↕';
  return (
    <th scope="col" aria-sort={ariaSort}>
      <button type="button" className="sort-button" onClick={() => props.onSort(props.column)}>
        {props.label} <span aria-hidden="true">{arrow}</span>
      </button>
    </th>
  );
}

/** A row's permissions kept short: the first few, then how many more (all of them on hover). */
function Permissions({ keys }: { keys: string[] }) {
  const shown = keys.slice(0, SHOWN_PERMISSIONS);
  const more = keys.length - shown.length;
  return (
    <ul className="code-list code-list-compact" title={keys.join(', ')}>
      {shown.map((key) => (
        <li key={key}>
          <code>{key}</code>
        </li>
      ))}
      {more > 0 ? <li className="muted">+{more} more</li> : null}
    </ul>
  );
}

const SHOWN_PERMISSIONS = 3;

export function TokenTable({ tokens, sorting, onSort, busy, selection }: TokenTableProps) {
  const all = selection !== undefined && tokens.length > 0 && tokens.every((t) => selection.ids.has(t.id));
  const some = selection !== undefined && tokens.some((t) => selection.ids.has(t.id));
  const toggle = (id: string, on: boolean) => {
    if (!selection) return;
    const next = new Set(selection.ids);
    if (on) next.add(id);
    else next.delete(id);
    selection.onChange(next);
  };
  return (
    <div className="table-wrap">
      <table className="token-table" aria-busy={busy}>
        <caption className="visually-hidden">API tokens of this institution</caption>
        <thead>
          <tr>
            {selection ? (
              <th scope="col" className="select-column">
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={all}
                  ref={(box) => {
                    if (box) box.indeterminate = some && !all;
                  }}
                  onChange={(event) =>
                    selection.onChange(new Set(event.target.checked ? tokens.map((t) => t.id) : []))
                  }
                />
              </th>
            ) : null}
            <th scope="col">Name</th>
            <th scope="col">Token</th>
            <th scope="col">Status</th>
            <th scope="col">Issued for</th>
            <th scope="col">Permissions</th>
            <SortHeader label="Created" column="createdAt" sorting={sorting} onSort={onSort} />
            <SortHeader label="Expires" column="expiresAt" sorting={sorting} onSort={onSort} />
            <th scope="col">Last used</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id} data-token-id={token.id}>
              {selection ? (
                <td className="select-column">
                  <input
                    type="checkbox"
                    aria-label={`Select ${token.name}`}
                    checked={selection.ids.has(token.id)}
                    onChange={(event) => toggle(token.id, event.target.checked)}
                  />
                </td>
              ) : null}
              <td>
                <a href={paths.token(token.id)} onClick={followLink} className="token-name">
                  {token.name}
                </a>
                {token.description ? <div className="description">{token.description}</div> : null}
              </td>
              <td>
                <code className="display">{token.display}</code>
              </td>
              <td data-column="status">
                <StatusBadge state={token.state} />
                {token.compromisedAt ? <CompromisedBadge /> : null}
              </td>
              <td>
                <Text value={token.issuedFor} />
              </td>
              <td data-column="permissions">
                <Permissions keys={token.permissions} />
              </td>
              <td>
                <Time iso={token.createdAt} />
                <div className="description">
                  by <Person user={token.createdBy} empty="unknown" />
                </div>
              </td>
              <td>
                <Time iso={token.expiresAt} empty="Never" />
              </td>
              <td data-column="last-used">
                <Time iso={token.lastUsedAt} empty="Never used" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
