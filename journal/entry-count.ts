// How many entries an LMDB store holds, from LMDB's own count of the store (mdb_stat), in
// constant time: lmdb-js's getCount() walks them, which a scrape or a poll should not do to
// a store of millions (the retry spool's backlog after a relay's day down, a day's keys).
export function entryCount(db: { getStats(): object }): number {
  return (db.getStats() as { entryCount: number }).entryCount;
}
