/**
 * Code → row lookup for a release's code column: an open-addressing hash table of row numbers in an
 * `Int32Array`, keyed by the strings of the column itself. For the 200,000 codes of a full index it
 * replaces a `Map<string, number>`: it is sized once (no rehashing as it grows), holds no pointers
 * for the garbage collector to trace, and a large order file fills it in a fraction of the time.
 */

/** What the index asks of a code → row lookup (a `ReadonlyMap<string, number>` also fits). */
export interface RowLookup {
  get(code: string): number | undefined;
  has(code: string): boolean;
  readonly size: number;
}

/**
 * The hash {@link CodeRows} uses, of `s[start, end)`: a mixed hash of all but the last character,
 * plus the last one. Codes that differ only in their last character (`S72.001A`, `S72.001B`…,
 * which files list one after another) land in neighbouring slots, so filling the table from a file
 * touches one memory line for a run of them instead of one each.
 */
function hashOf(s: string, start: number, end: number): number {
  if (end <= start) return 0;
  let h = 0;
  for (let p = start; p < end - 1; p++) h = (Math.imul(h, 31) + s.charCodeAt(p)) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h + s.charCodeAt(end - 1)) | 0;
}

export class CodeRows implements RowLookup {
  /** Row + 1 per slot; 0 is empty. At most half full. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private count = 0;

  /** `capacity`: the most rows that will be added (the table does not grow). */
  constructor(
    private readonly codes: readonly string[],
    capacity: number,
  ) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.table = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** A table of every row of `codes` (the first row of a code wins). */
  static of(codes: readonly string[]): CodeRows {
    const rows = new CodeRows(codes, codes.length);
    for (let i = 0; i < codes.length; i++) rows.add(i);
    return rows;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds row `row` under `codes[row]`, unless that code is already there: returns -1 when added,
   * else the row that has the code.
   */
  add(row: number): number {
    const code = this.codes[row]!;
    const { table, mask, codes } = this;
    for (let k = hashOf(code, 0, code.length) & mask; ; k = (k + 1) & mask) {
      const r = table[k]!;
      if (r === 0) {
        if (this.count * 2 >= table.length) throw new Error('CodeRows is full');
        table[k] = row + 1;
        this.count++;
        return -1;
      }
      if (codes[r - 1] === code) return r - 1;
    }
  }

  get(code: string): number | undefined {
    const { table, mask, codes } = this;
    for (let k = hashOf(code, 0, code.length) & mask; ; k = (k + 1) & mask) {
      const r = table[k]!;
      if (r === 0) return undefined;
      if (codes[r - 1] === code) return r - 1;
    }
  }

  has(code: string): boolean {
    return this.get(code) !== undefined;
  }
}
