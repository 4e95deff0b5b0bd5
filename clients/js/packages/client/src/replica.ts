import type { Change, Row } from './types.js';

/** How a live table finds a row's key: a column name, several (a composite key), or a function. */
export type KeySpec<T, K> = string | readonly string[] | ((row: T) => K);

/** The key function of a {@link KeySpec}; a composite key becomes the JSON text of its values. */
export function keyFunction<T, K>(key: KeySpec<T, K>): (row: T) => K {
  if (typeof key === 'function') return key;
  if (typeof key === 'string') return (row) => (row as Row)[key] as K;
  const columns = [...key];
  return (row) => JSON.stringify(columns.map((column) => (row as Row)[column])) as K;
}

/**
 * The rows of a live table and how changes apply to them — pure logic, no I/O. A snapshot replaces every row; a
 * transaction's changes apply in order: INSERT sets, UPDATE replaces the old row (removing it first when its key
 * changed; without `old_record` — row-level security hid the old row — it only sets the new one), DELETE removes,
 * TRUNCATE clears. An UPDATE that keeps its key keeps the row's position in iteration order.
 */
export class Replica<T, K> {
  readonly rows = new Map<K, T>();

  constructor(private readonly key: (row: T) => K) {}

  applySnapshot(rows: readonly T[]): void {
    this.rows.clear();
    for (const row of rows) this.rows.set(this.key(row), row);
  }

  /**
   * Applies a transaction. A change in `whole` (one that came reduced) is replaced by what a read by its key found: the
   * row's old and new keys are removed and the rows read set (nothing when it is gone or no longer matches the filter);
   * a read of every row (`everything`, when the row had no usable key) replaces all rows.
   */
  applyTransaction(changes: readonly Change<T>[], whole?: ReadonlyMap<Change<T>, { rows: readonly T[]; everything: boolean }>): void {
    for (const change of changes) {
      const read = whole?.get(change);
      if (read !== undefined) {
        if (read.everything) this.rows.clear();
        // A row read back under the same key keeps its position.
        const readKeys = new Set(read.rows.map((row) => this.key(row)));
        for (const stale of [change.oldRecord, change.record]) {
          if (stale !== undefined && !readKeys.has(this.key(stale))) this.rows.delete(this.key(stale));
        }
        for (const row of read.rows) this.rows.set(this.key(row), row);
        continue;
      }
      switch (change.type) {
        case 'INSERT':
          this.rows.set(this.key(change.record!), change.record!);
          break;
        case 'UPDATE': {
          const key = this.key(change.record!);
          if (change.oldRecord !== undefined) {
            const oldKey = this.key(change.oldRecord);
            if (oldKey !== key) this.rows.delete(oldKey);
          }
          this.rows.set(key, change.record!);
          break;
        }
        case 'DELETE':
          this.rows.delete(this.key(change.oldRecord!));
          break;
        case 'TRUNCATE':
          this.rows.clear();
          break;
      }
    }
  }
}
