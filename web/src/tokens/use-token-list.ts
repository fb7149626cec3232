// Fetches one page of the token list for the address's query. Pages are opaque cursors bound to their
// query, so the stack of cursors seen is kept per query: "Previous" pops it, a new query starts over.
import { useCallback, useState } from 'react';
import { api } from '../api.js';
import type { Page, Token } from '../types.js';
import { useLoaded } from '../use-request.js';
import { readFilters } from './token-filters.js';
import type { Sorting } from './token-table.js';

const PAGE_SIZE = 20;

export function readSorting(search: URLSearchParams): Sorting {
  return {
    sort: search.get('sort') === 'expiresAt' ? 'expiresAt' : 'createdAt',
    order: search.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

export interface TokenList {
  page: Page<Token> | null;
  error: string | null;
  busy: boolean;
  pageNumber: number;
  previous: (() => void) | null;
  next: (() => void) | null;
  reload: () => void;
}

export function useTokenList(query: string): TokenList {
  const [paging, setPaging] = useState<{ query: string; cursors: (string | null)[] }>({
    query,
    cursors: [null],
  });
  const cursors = paging.query === query ? paging.cursors : [null];
  const cursor = cursors[cursors.length - 1] ?? null;
  const load = useCallback(() => {
    const params = new URLSearchParams(query);
    return api.listTokens({ ...readFilters(params), ...readSorting(params), limit: PAGE_SIZE, cursor });
  }, [query, cursor]);
  const loaded = useLoaded(load);
  const { data: page, busy, reload } = loaded;
  const error = loaded.error?.message ?? null;

  const nextCursor = page?.nextCursor ?? null;
  return {
    page,
    error,
    busy,
    pageNumber: cursors.length,
    previous: cursors.length > 1 && !busy ? () => setPaging({ query, cursors: cursors.slice(0, -1) }) : null,
    next: nextCursor && !busy ? () => setPaging({ query, cursors: [...cursors, nextCursor] }) : null,
    reload,
  };
}
