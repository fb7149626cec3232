// A database that records every statement sent through it (transactions' included): what a request or a
// change costs the database, for tests that pin that cost.
import type { Db, Queryable } from '../db/db.js';

export function counted(db: Db): { db: Db; statements: string[]; transactions: () => number } {
  const statements: string[] = [];
  let transactions = 0;
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => {
      statements.push(sql);
      return q.query(sql, params);
    },
    exec: (sql) => {
      statements.push(sql);
      return q.exec(sql);
    },
  });
  const wrapped: Db = {
    ...db,
    ...wrap(db),
    lookups: wrap(db.lookups),
    transaction: (fn) => {
      transactions++;
      return db.transaction((tx) => fn(wrap(tx)));
    },
  };
  return { db: wrapped, statements, transactions: () => transactions };
}
