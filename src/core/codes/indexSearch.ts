/**
 * The rows Find Code searches: the active release of every loaded code system, as one
 * {@link SearchSource} over the index's columns (no copies of titles).
 */

import { displayCode } from './codeIndex';
import type { CodeIndex, ReleaseTable } from './codeIndex';
import type { SearchSource } from './search';
import type { CodeSystem } from './systems';

/** A search source over the active releases, with a way back from a row to its table. */
export interface IndexSearchSource extends SearchSource {
  /** The table and its row for a search row. */
  locate(row: number): { table: ReleaseTable; row: number };
}

export function activeSearchSource(index: CodeIndex): IndexSearchSource {
  const tables: ReleaseTable[] = [];
  for (const system of index.loadedSystems()) {
    const t = index.activeTable(system);
    if (t) tables.push(t);
  }
  const starts = new Int32Array(tables.length + 1);
  for (let i = 0; i < tables.length; i++) starts[i + 1] = starts[i]! + tables[i]!.codes.length;
  let lastTable = 0;
  const locate = (row: number): { table: ReleaseTable; row: number } => {
    // rows are mostly asked in runs from one table: try the last one first
    let t = lastTable;
    if (!(row >= starts[t]! && row < starts[t + 1]!)) {
      let lo = 0;
      let hi = tables.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= row) lo = mid;
        else hi = mid - 1;
      }
      t = lo;
      lastTable = t;
    }
    return { table: tables[t]!, row: row - starts[t]! };
  };
  return {
    size: starts[tables.length]!,
    locate,
    system: (row): CodeSystem => locate(row).table.descriptor.system,
    code: (row) => {
      const l = locate(row);
      return l.table.codes[l.row]!;
    },
    display: (row) => {
      const l = locate(row);
      return displayCode(l.table.descriptor.system, l.table.codes[l.row]!);
    },
    title: (row) => {
      const l = locate(row);
      return l.table.titles.at(l.row)!;
    },
    alternate: (row) => {
      const l = locate(row);
      const s = l.table.shorts.at(l.row)!;
      return s === '' || s === l.table.titles.at(l.row) ? undefined : s;
    },
    billable: (row) => {
      const l = locate(row);
      return l.table.billable(l.row);
    },
  };
}
