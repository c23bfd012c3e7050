/**
 * The "Find Code" search engine: an in-memory index over the local code sets (≈200k entries) that
 * answers a typed query with ranked hits in a few milliseconds. Pure: no I/O, no vscode.
 *
 * Ranking, best first (tiers never interleave):
 * 1. `exact`   — the query, ignoring case, dots and hyphens, equals an entry's code (`e11.65`, `E1165`).
 * 2. `prefix`  — the query is a prefix of the code; shorter codes first, then code order.
 * 3. `words`   — every query word matches a title/alternate word (equal, or a prefix of it); ranked by
 *                more exact word matches, fewer typo matches, billable before header (unknown in
 *                between), shorter title, then code order. A word equal to one found only in the
 *                alternate (short titles are mostly abbreviations: `fr`, `w`, `unsp`) ranks like a
 *                prefix match, so `fr` favours `fracture` over short titles' `fr` (= from).
 * 4. `partial` — some but not all query words match; ranked by words matched, then as `words`. Not
 *                offered when the query found codes (`e11.6` is also the words `e11` and `6`).
 *
 * Query words ({@link words}: lower case, diacritics folded, `w/o` = `without`): stop-words
 * ({@link STOP_WORDS}) are dropped unless the query is only stop-words, and prefix expansions skip them.
 * A word of 3+ characters, and the last word while it is being typed (no trailing space), also
 * matches as a prefix; shorter non-final words match exactly (a lone `f` mid-query would otherwise
 * touch most of the index). A word of ≥ 4 characters with a letter that matches no vocabulary word
 * exactly or by prefix is expanded to vocabulary words within optimal-string-alignment (restricted
 * Damerau-Levenshtein) distance 1, or 2 for words of ≥ 8 characters: `diabtes` → `diabetes`. Typo
 * matches count for the tier but rank below exact and prefix matches (distance 2 below distance 1).
 * At most 16 distinct words are used.
 *
 * Layout (built once; a query allocates only its results):
 * - vocabulary: the unique words, sorted, so the words starting with a prefix are one id range;
 * - postings: one Int32Array of `row * 2 + alternateOnly`, grouped by word id, with an offsets array,
 *   so the postings of a prefix range are one contiguous slice;
 * - codes: the canonical codes (upper case, no dot or hyphen) sorted, with their rows, lengths and
 *   systems, so exact and prefix lookups are binary searches and a linear pass over the range;
 * - per row: system and a precomputed rank key (billable, title length, code order);
 * - per-query scratch: Uint16 bitmasks per row (query word i = bit i) and the list of rows touched,
 *   so ranking and resetting visit only those.
 *
 * Cost: a query is linear in the postings of its words (≤ a few hundred thousand typed-array steps)
 * plus a pass over the vocabulary for a typo'd word; no regex runs on user text except fixed,
 * anchored single-character tests.
 */

import { CODE_SYSTEMS, type CodeSystem } from './systems';

/** What the search indexes: parallel columns, one row per entry. */
export interface SearchSource {
  readonly size: number;
  system(row: number): CodeSystem;
  /** Canonical code without a dot (e.g. 'E1165', '0DT70ZZ', 'J0696', '150'). */
  code(row: number): string;
  /** The code as displayed (dotted for ICD-10-CM/ICD-9-CM, e.g. 'E11.65'). */
  display(row: number): string;
  title(row: number): string;
  /** Optional extra words to match (short title); may return undefined. */
  alternate?(row: number): string | undefined;
  /** Rank tie-breaker: true = billable/valid (ranked before headers), undefined = unknown. */
  billable?(row: number): boolean | undefined;
}

export type MatchTier = 'exact' | 'prefix' | 'words' | 'partial';

export interface SearchHit {
  readonly row: number;
  readonly tier: MatchTier;
  /**
   * Higher ranks first; strictly decreasing along one result list (the tier is in the high bits).
   * Only comparable within the results of one query.
   */
  readonly score: number;
  /**
   * Words of the query matched (for highlighting), lower-cased and normalised as {@link words} does.
   * A word matched through a typo is reported as the title word it matched (`diabtes` → `diabetes`).
   * Empty for the code tiers.
   */
  readonly matchedWords: readonly string[];
}

export interface SearchOptions {
  /** Only entries of these systems (all when omitted). */
  readonly systems?: readonly CodeSystem[];
  /** Maximum number of hits; default 100. */
  readonly limit?: number;
  /** Checked between phases; an aborted search returns []. */
  readonly signal?: { readonly aborted: boolean };
}

/** Words ignored in a query unless the query has nothing else. */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'at',
  'by',
  'for',
  'in',
  'of',
  'on',
  'or',
  'the',
  'to',
]);

const DEFAULT_LIMIT = 100;
/** Bits of a Uint16 mask. */
const MAX_QUERY_WORDS = 16;
/** Longest query string treated as a code. */
const MAX_CODE_QUERY = 24;
/** Most vocabulary words one typo'd query word expands to (closest first). */
const MAX_TYPO_EXPANSIONS = 24;
/** Titles longer than this rank as this long. */
const MAX_TITLE_RANK = 1023;
const MAX_CODE_RANK = 2 ** 22 - 1;

// Score layout: exact integers below 2^52, one field per ranking rule, each field wider than the
// largest value below it: tier × 2^50, then for the word tiers:
const TIER_BASE = 2 ** 50;
const F_MATCHED = 2 ** 45; // words matched, 0..16
const F_EXACT = 2 ** 40; // words matched exactly in the title, 0..16
const F_NOT_TYPO = 2 ** 34; // 32 - typo cost (1 per typo, 2 per distance-2 typo), 0..32
const F_BILLABLE = 2 ** 32; // 2 billable, 1 unknown, 0 header
const F_TITLE = 2 ** 22; // MAX_TITLE_RANK - title length
// and below F_TITLE, MAX_CODE_RANK - position in code order
const F_CODE_LEN = 2 ** 22; // (prefix tier) MAX_CODE_LENGTH - code length
/** Codes longer than this rank as this long in the prefix tier. */
const MAX_CODE_LENGTH = 63;

const SYSTEM_INDEX: ReadonlyMap<CodeSystem, number> = new Map(CODE_SYSTEMS.map((s, i) => [s, i]));

/** Systems whose codes are written with a dot. */
const DOTTED_SYSTEMS: readonly CodeSystem[] = ['icd10cm', 'icd9cm-dx', 'icd9cm-proc'];

// ---------------------------------------------------------------------------------------------
// Tokenising

const WORD_CHAR_RE = /^[\p{L}\p{N}]$/u;
const SPECIAL_FOLDS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  ı: 'i',
  þ: 'th',
  '\u2019': "'",
  '\u2018': "'",
};

/** Lower case, and for non-ASCII text: compatibility-decomposed, combining marks dropped. */
function fold(text: string): string {
  const n = text.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text.toLowerCase();
  const d = text.normalize('NFKD').toLowerCase();
  let out = '';
  for (const ch of d) {
    const c = ch.charCodeAt(0);
    if (c >= 0x300 && c <= 0x36f) continue; // combining diacritical marks
    out += SPECIAL_FOLDS[ch] ?? ch;
  }
  return out;
}

/** Word character test on a folded (lower-case) string. */
function isWordAt(s: string, i: number): boolean {
  if (i < 0 || i >= s.length) return false;
  const c = s.charCodeAt(i);
  if (c < 0x80) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
  return WORD_CHAR_RE.test(s[i]!);
}

/**
 * Appends the words of `text` to `out`. Runs of letters and digits are words; everything else splits,
 * except: an apostrophe inside a word joins (`o'clock` → `oclock`), a possessive `'s` is dropped
 * (`Alzheimer's` → `alzheimer`), and the shorthand `w/o` and `w/` read as `without` and `with`.
 */
function tokenize(text: string, out: string[]): void {
  // fast path: ASCII without apostrophes (nearly every title)
  const s = text.toLowerCase();
  const n = s.length;
  const base = out.length;
  let start = -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (c >= 0x80 || c === 39 /* ' */ || (c === 47 /* / */ && start === i - 1 && s[start] === 'w')) {
      out.length = base;
      tokenizeFolded(fold(text), out);
      return;
    } else if (start >= 0) {
      out.push(s.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(start === 0 ? s : s.slice(start));
}

/** The general case of {@link tokenize}, over folded text. */
function tokenizeFolded(s: string, out: string[]): void {
  const n = s.length;
  let start = -1;
  let pending = '';
  for (let i = 0; i <= n; i++) {
    if (i < n && isWordAt(s, i)) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    if (i < n && s.charCodeAt(i) === 47 /* / */ && pending === '' && i - start === 1 && s[start] === 'w') {
      // clinical shorthand: w/o = without, w/ = with
      if (s[i + 1] === 'o' && !isWordAt(s, i + 2)) {
        out.push('without');
        start = -1;
        i++; // skip the o
        continue;
      }
      if (!isWordAt(s, i + 1)) {
        out.push('with');
        start = -1;
        continue;
      }
    }
    if (i < n && s.charCodeAt(i) === 39 /* ' */ && isWordAt(s, i + 1)) {
      if (s.charCodeAt(i + 1) === 115 /* s */ && !isWordAt(s, i + 2)) {
        out.push(pending + s.slice(start, i));
        pending = '';
        start = -1;
        i++; // skip the s
        continue;
      }
      pending += s.slice(start, i);
      start = i + 1;
      continue;
    }
    out.push(pending + s.slice(start, i));
    pending = '';
    start = -1;
  }
}

/**
 * Splits a title or a query into normalised words (lower case, diacritics folded, punctuation split;
 * digits kept). Exported for tests and highlighting.
 */
export function words(text: string): string[] {
  const out: string[] = [];
  tokenize(text, out);
  return out;
}

/** The code form the index keys on: upper case, no dots, hyphens or spaces around. */
function codeKey(code: string): string {
  let plain = true;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) {
      plain = false;
      break;
    }
  }
  if (plain) return code;
  let out = '';
  const up = code.trim().toUpperCase();
  for (let i = 0; i < up.length; i++) {
    const c = up.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) continue;
    out += up[i];
  }
  return out;
}

function isCodeQuery(key: string): boolean {
  if (key.length === 0 || key.length > MAX_CODE_QUERY) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** First index in [lo, hi) whose string is ≥ key. */
function lowerBound(arr: readonly string[], key: string, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** End of the run of strings starting with `prefix`, which begins at `lo` (a lowerBound). */
function prefixEnd(arr: readonly string[], prefix: string, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]!.startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Letter-presence signature: each edit changes at most two bits. */
function signature(w: string): number {
  let sig = 0;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c >= 97 && c <= 122) sig |= 1 << (c - 97);
    else if (c >= 48 && c <= 57) sig |= 1 << (26 + ((c - 48) % 5));
    else sig |= 1 << 31;
  }
  return sig >>> 0;
}

/**
 * Optimal-string-alignment distance between `a` and `b` if it is ≤ `max`, else `max + 1`. Three
 * rolling rows; stops as soon as a whole row exceeds `max`.
 */
function boundedOsa(a: string, b: string, max: number, rows: Int32Array[]): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (rows[0]!.length < lb + 1) for (let k = 0; k < 3; k++) rows[k] = new Int32Array(lb + 1);
  let prev2 = rows[0]!;
  let prev = rows[1]!;
  let cur = rows[2]!;
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      let v = prev[j - 1]! + (ca === cb ? 0 : 1);
      const del = prev[j]! + 1;
      if (del < v) v = del;
      const ins = cur[j - 1]! + 1;
      if (ins < v) v = ins;
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        const tr = prev2[j - 2]! + 1;
        if (tr < v) v = tr;
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  const d = prev[lb]!;
  return d > max ? max + 1 : d;
}

/**
 * Positions in [from, to) of the `room` shortest codes of the allowed systems, shortest first, then
 * in code order: one pass counts codes by length, a second collects up to the cut-off length.
 */
function shortestCodes(
  codeLen: Uint8Array,
  codeSys: Uint8Array,
  from: number,
  to: number,
  allowed: number,
  room: number,
): number[] {
  const byLength = new Int32Array(MAX_CODE_LENGTH + 1);
  for (let j = from; j < to; j++) if (allowed & (1 << codeSys[j]!)) byLength[codeLen[j]!]!++;
  let cut = 0;
  let below = 0; // codes shorter than `cut`
  while (cut < MAX_CODE_LENGTH && below + byLength[cut]! < room) below += byLength[cut++]!;
  let quota = room - below; // codes of length `cut` to take, in code order
  const picked: number[] = [];
  for (let j = from; j < to; j++) {
    const len = codeLen[j]!;
    if (len > cut || !(allowed & (1 << codeSys[j]!))) continue;
    if (len === cut) {
      if (quota === 0) continue;
      quota--;
    }
    picked.push(j);
  }
  return picked.sort((a, b) => codeLen[a]! - codeLen[b]! || a - b);
}

/** Keeps the `capacity` largest keys seen (ties: first seen wins). */
class TopK {
  private readonly keys: Float64Array;
  private readonly vals: Int32Array;
  size = 0;
  constructor(readonly capacity: number) {
    this.keys = new Float64Array(Math.max(1, capacity));
    this.vals = new Int32Array(Math.max(1, capacity));
  }
  /** The key a newcomer must beat once full. */
  get floor(): number {
    return this.size < this.capacity ? -Infinity : this.keys[0]!;
  }
  push(key: number, val: number): void {
    const keys = this.keys;
    const vals = this.vals;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (keys[p]! <= key) break;
        keys[i] = keys[p]!;
        vals[i] = vals[p]!;
        i = p;
      }
      keys[i] = key;
      vals[i] = val;
      return;
    }
    if (key <= keys[0]!) return;
    // replace the root and sift down
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && keys[r]! < keys[l]! ? r : l;
      if (keys[c]! >= key) break;
      keys[i] = keys[c]!;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = key;
    vals[i] = val;
  }
  /** [key, val] pairs, best first. */
  drain(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.size; i++) out.push([this.keys[i]!, this.vals[i]!]);
    out.sort((x, y) => y[0] - x[0]);
    this.size = 0;
    return out;
  }
}

/** One query word and the vocabulary it matches. */
interface QueryWord {
  readonly text: string;
  readonly bit: number;
  /** Vocabulary id of the word itself, or -1. */
  readonly exactId: number;
  /** Vocabulary id range of words it is a prefix of (includes exactId; empty if prefix off). */
  readonly lo: number;
  readonly hi: number;
  /** Typo expansions (vocabulary ids), closest first, when the word matches nothing else. */
  readonly typoIds: readonly number[];
  /** The edit distance of each typo expansion (1 or 2). */
  readonly typoDistances: readonly number[];
  /** Skip stop-words inside the prefix range (unless the query is only stop-words). */
  readonly skipStop: boolean;
}

// ---------------------------------------------------------------------------------------------
// Building

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** The hash of the word `w` (see {@link WordCollector.addText}). */
const W_HASH = Math.imul(FNV_OFFSET ^ 119, FNV_PRIME);

/**
 * Collects the words of every row at build time. Words are interned straight from the title text
 * (ASCII case folded on the fly, hashed as scanned, looked up in an open-addressing table), so the
 * millions of word occurrences allocate no substrings; only text with non-ASCII characters or an
 * apostrophe goes through {@link tokenize}. Gives the same words as {@link tokenize}.
 */
class WordCollector {
  readonly words: string[] = [];
  private hashes = new Int32Array(1 << 12);
  private lastRow = new Int32Array(1 << 12).fill(-1);
  private table = new Int32Array(1 << 13).fill(-1);
  private pairs: Int32Array;
  private np = 0;
  private row = -1;
  private readonly rowStart: Int32Array;
  private readonly slow: string[] = [];

  constructor(private readonly rows: number) {
    this.rowStart = new Int32Array(rows + 1);
    this.pairs = new Int32Array(Math.max(1024, rows * 12));
  }

  /** Starts collecting the words of `row` (rows in ascending order; `rows` to close the last). */
  startRow(row: number): void {
    this.row = row;
    this.rowStart[row] = this.np;
  }

  /** Adds the words of `text`; `alternate` marks words not (yet) seen in the row's title. */
  addText(text: string, alternate: boolean): void {
    const flag = alternate ? 1 : 0;
    const n = text.length;
    let start = -1;
    let h = 0;
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
        if (start < 0) {
          start = i;
          h = FNV_OFFSET;
        }
        h = Math.imul(h ^ c, FNV_PRIME);
      } else if (c >= 0x80 || c === 39 /* ' */ || (c === 47 /* / */ && start === i - 1 && h === W_HASH)) {
        // the general tokenizer; words already added are deduplicated per row
        this.slow.length = 0;
        tokenize(text, this.slow);
        for (const w of this.slow) this.add(this.internString(w), flag);
        return;
      } else if (start >= 0) {
        this.add(this.intern(text, start, i, h), flag);
        start = -1;
      }
    }
    if (start >= 0) this.add(this.intern(text, start, n, h), flag);
  }

  private add(id: number, flag: number): void {
    if (this.lastRow[id] === this.row) return;
    this.lastRow[id] = this.row;
    if (this.np === this.pairs.length) {
      const grown = new Int32Array(this.pairs.length * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    this.pairs[this.np++] = id * 2 + flag;
  }

  /** The id of text[start, end) lower-cased (ASCII), `h` its hash. */
  private intern(text: string, start: number, end: number, h: number): number {
    const table = this.table;
    const mask = table.length - 1;
    const len = end - start;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = table[slot]!;
      if (id < 0) return this.create(text.slice(start, end).toLowerCase(), h, slot);
      if (this.hashes[id] !== h) continue;
      const w = this.words[id]!;
      if (w.length !== len) continue;
      let k = 0;
      for (; k < len; k++) {
        let c = text.charCodeAt(start + k);
        if (c >= 65 && c <= 90) c += 32;
        if (c !== w.charCodeAt(k)) break;
      }
      if (k === len) return id;
    }
  }

  private internString(w: string): number {
    let h = FNV_OFFSET;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), FNV_PRIME);
    const table = this.table;
    const mask = table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = table[slot]!;
      if (id < 0) return this.create(w, h, slot);
      if (this.hashes[id] === h && this.words[id] === w) return id;
    }
  }

  private create(w: string, h: number, slot: number): number {
    const id = this.words.length;
    this.words.push(w);
    if (id === this.hashes.length) {
      const hashes = new Int32Array(id * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const lastRow = new Int32Array(id * 2).fill(-1);
      lastRow.set(this.lastRow);
      this.lastRow = lastRow;
    }
    this.hashes[id] = h;
    this.table[slot] = id;
    if ((id + 1) * 2 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.words.length; id++) {
      let slot = this.hashes[id]! & mask;
      while (table[slot]! >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }

  /** The sorted vocabulary and the postings of each word (rows ascending), grouped by word id. */
  finish(): { vocab: string[]; offsets: Int32Array; postings: Int32Array } {
    const tmpWords = this.words;
    const v = tmpWords.length;
    const order = new Array<number>(v);
    for (let i = 0; i < v; i++) order[i] = i;
    order.sort((a, b) => (tmpWords[a]! < tmpWords[b]! ? -1 : 1));
    const vocab = new Array<string>(v);
    const remap = new Int32Array(v);
    for (let id = 0; id < v; id++) {
      vocab[id] = tmpWords[order[id]!]!;
      remap[order[id]!] = id;
    }
    const pairs = this.pairs;
    const np = this.np;
    const offsets = new Int32Array(v + 1);
    for (let p = 0; p < np; p++) {
      const id = remap[pairs[p]! >>> 1]!;
      pairs[p] = id * 2 + (pairs[p]! & 1);
      offsets[id + 1]!++;
    }
    for (let id = 0; id < v; id++) offsets[id + 1]! += offsets[id]!;
    const postings = new Int32Array(np);
    const cursor = offsets.slice(0, v);
    const rowStart = this.rowStart;
    for (let row = 0; row < this.rows; row++) {
      for (let p = rowStart[row]!, end = rowStart[row + 1]!; p < end; p++) {
        const pair = pairs[p]!;
        postings[cursor[pair >>> 1]!++] = row * 2 + (pair & 1);
      }
    }
    return { vocab, offsets, postings };
  }
}

// ---------------------------------------------------------------------------------------------
// Per-query scratch

/** Set bits of every 16-bit value. */
const POPCOUNT16 = (() => {
  const t = new Uint8Array(1 << 16);
  for (let i = 1; i < t.length; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

/**
 * The per-row state of one query: a bit per query word in `anyMask` (matched at all), `exactMask`
 * (matched a title word exactly), `typoMask` (only through a typo), `typo2Mask` (a distance-2 typo),
 * and the rows touched, so that ranking and resetting visit only those. Kept as small methods with
 * one loop each so that V8 optimises them after a query or two.
 */
class Scratch {
  readonly anyMask: Uint16Array;
  readonly exactMask: Uint16Array;
  readonly typoMask: Uint16Array;
  readonly typo2Mask: Uint16Array;
  readonly touched: Int32Array;
  /** Rows claimed by the code tiers of the current query. */
  readonly claimed: Uint8Array;
  count = 0;

  constructor(
    size: number,
    /** Per row: system index. */
    private readonly systems: Uint8Array,
    /** Per row: the rank key from billable, title length and code order. */
    private readonly baseKey: Float64Array,
  ) {
    this.anyMask = new Uint16Array(size);
    this.exactMask = new Uint16Array(size);
    this.typoMask = new Uint16Array(size);
    this.typo2Mask = new Uint16Array(size);
    this.touched = new Int32Array(size);
    this.claimed = new Uint8Array(size);
  }

  /** Postings entries are `row * 2 + alternateOnly`. */
  markExact(postings: Int32Array, from: number, to: number, bit: number): void {
    const anyMask = this.anyMask;
    const exactMask = this.exactMask;
    const touched = this.touched;
    let nt = this.count;
    for (let p = from; p < to; p++) {
      const v = postings[p]!;
      const r = v >>> 1;
      const m = anyMask[r]!;
      if (m === 0) touched[nt++] = r;
      anyMask[r] = m | bit;
      // a word only in the alternate (an abbreviation, mostly) ranks like a prefix match
      if ((v & 1) === 0) exactMask[r] = exactMask[r]! | bit;
    }
    this.count = nt;
  }

  markPrefix(postings: Int32Array, from: number, to: number, bit: number): void {
    const anyMask = this.anyMask;
    const touched = this.touched;
    let nt = this.count;
    for (let p = from; p < to; p++) {
      const r = postings[p]! >>> 1;
      const m = anyMask[r]!;
      if (m === 0) touched[nt++] = r;
      anyMask[r] = m | bit;
    }
    this.count = nt;
  }

  markTypo(postings: Int32Array, from: number, to: number, bit: number, far: boolean): void {
    const anyMask = this.anyMask;
    const typoMask = this.typoMask;
    const typo2Mask = this.typo2Mask;
    const touched = this.touched;
    const far2 = far ? bit : 0;
    let nt = this.count;
    for (let p = from; p < to; p++) {
      const r = postings[p]! >>> 1;
      const m = anyMask[r]!;
      if (m & bit) continue;
      if (m === 0) touched[nt++] = r;
      anyMask[r] = m | bit;
      typoMask[r] = typoMask[r]! | bit;
      typo2Mask[r] = typo2Mask[r]! | far2;
    }
    this.count = nt;
  }

  countFull(full: number): number {
    const anyMask = this.anyMask;
    const touched = this.touched;
    let n = 0;
    for (let t = 0, nt = this.count; t < nt; t++) if (anyMask[touched[t]!] === full) n++;
    return n;
  }

  /** Offers every touched row of an allowed system to `top` (only rows matching all words if `onlyFull`). */
  rank(top: TopK, full: number, onlyFull: boolean, allowed: number): void {
    const { anyMask, exactMask, typoMask, typo2Mask, touched, claimed, systems, baseKey } = this;
    for (let t = 0, nt = this.count; t < nt; t++) {
      const r = touched[t]!;
      const m = anyMask[r]!;
      if (onlyFull && m !== full) continue;
      if (!(allowed & (1 << systems[r]!)) || claimed[r]) continue;
      const key =
        POPCOUNT16[m]! * F_MATCHED +
        POPCOUNT16[exactMask[r]!]! * F_EXACT +
        (32 - POPCOUNT16[typoMask[r]!]! - POPCOUNT16[typo2Mask[r]!]!) * F_NOT_TYPO +
        baseKey[r]!;
      if (key > top.floor) top.push(key, r);
    }
  }

  reset(): void {
    const { anyMask, exactMask, typoMask, typo2Mask, touched } = this;
    for (let t = 0, nt = this.count; t < nt; t++) {
      const r = touched[t]!;
      anyMask[r] = 0;
      exactMask[r] = 0;
      typoMask[r] = 0;
      typo2Mask[r] = 0;
    }
    this.count = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The index

export class SearchIndex {
  /** Unique words of all titles/alternates, sorted. */
  private readonly vocab: readonly string[];
  /** postings[offsets[id] .. offsets[id + 1]) are the rows containing vocab[id], ascending. */
  private readonly offsets: Int32Array;
  private readonly postings: Int32Array;
  private readonly vocabFlags: Uint8Array; // 1 = stop-word
  private readonly vocabLen: Uint8Array;
  private readonly vocabSig: Uint32Array;
  /** Canonical code keys, sorted; codeRows[i] is the row of codeKeys[i], codeLen[i] its length. */
  private readonly codeKeys: readonly string[];
  private readonly codeRows: Int32Array;
  private readonly codeLen: Uint8Array;
  /** System index of codeKeys[i]. */
  private readonly codeSys: Uint8Array;
  /** Per row: system index (in {@link CODE_SYSTEMS}). */
  private readonly systems: Uint8Array;
  /** Per-query state, all zero between queries. */
  private readonly scratch: Scratch;
  private readonly osaRows: Int32Array[] = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

  private constructor(
    readonly source: SearchSource,
    parts: {
      vocab: string[];
      offsets: Int32Array;
      postings: Int32Array;
      codeKeys: string[];
      codeRows: Int32Array;
      systems: Uint8Array;
      baseKey: Float64Array;
    },
  ) {
    this.vocab = parts.vocab;
    this.offsets = parts.offsets;
    this.postings = parts.postings;
    this.codeKeys = parts.codeKeys;
    this.codeRows = parts.codeRows;
    this.systems = parts.systems;
    const n = parts.codeKeys.length;
    this.codeLen = new Uint8Array(n);
    this.codeSys = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.codeLen[i] = Math.min(MAX_CODE_LENGTH, parts.codeKeys[i]!.length);
      this.codeSys[i] = parts.systems[parts.codeRows[i]!]!;
    }
    const v = parts.vocab.length;
    this.vocabFlags = new Uint8Array(v);
    this.vocabLen = new Uint8Array(v);
    this.vocabSig = new Uint32Array(v);
    for (let id = 0; id < v; id++) {
      const w = parts.vocab[id]!;
      if (STOP_WORDS.has(w)) this.vocabFlags[id] = 1;
      this.vocabLen[id] = Math.min(255, w.length);
      this.vocabSig[id] = signature(w);
    }
    this.scratch = new Scratch(source.size, parts.systems, parts.baseKey);
  }

  /** Number of distinct words indexed. */
  get vocabularySize(): number {
    return this.vocab.length;
  }

  /** Number of (word, row) pairs indexed. */
  get postingsSize(): number {
    return this.postings.length;
  }

  static build(source: SearchSource): SearchIndex {
    const n = source.size;
    if (n > MAX_CODE_RANK) throw new RangeError(`search index holds at most ${MAX_CODE_RANK} entries`);
    const systems = new Uint8Array(n);
    const billable = new Uint8Array(n);
    const titleLen = new Uint16Array(n);
    const keys: string[] = new Array<string>(n);

    // words: provisional ids in first-seen order, (row, id) pairs deduplicated per row
    const collector = new WordCollector(n);
    for (let row = 0; row < n; row++) {
      systems[row] = SYSTEM_INDEX.get(source.system(row)) ?? 0;
      const b = source.billable?.(row);
      billable[row] = b === true ? 2 : b === false ? 0 : 1;
      keys[row] = codeKey(source.code(row));
      const title = source.title(row) ?? '';
      titleLen[row] = Math.min(MAX_TITLE_RANK, title.length);
      collector.startRow(row);
      collector.addText(title, false);
      const alt = source.alternate?.(row);
      if (alt && alt !== title) collector.addText(alt, true);
    }
    collector.startRow(n);
    const { vocab, offsets, postings } = collector.finish();

    // codes: sorted by key, then system order, then row
    const order = new Array<number>(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => {
      const ka = keys[a]!;
      const kb = keys[b]!;
      if (ka !== kb) return ka < kb ? -1 : 1;
      return systems[a]! - systems[b]! || a - b;
    });
    const codeKeys = new Array<string>(n);
    const codeRows = new Int32Array(n);
    // the row part of the word-tier rank: billable/unknown/header, shorter title, code order
    const baseKey = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = order[i]!;
      codeKeys[i] = keys[row]!;
      codeRows[i] = row;
      baseKey[row] =
        billable[row]! * F_BILLABLE + (MAX_TITLE_RANK - titleLen[row]!) * F_TITLE + (MAX_CODE_RANK - i);
    }

    return new SearchIndex(source, {
      vocab,
      offsets,
      postings,
      codeKeys,
      codeRows,
      systems,
      baseKey,
    });
  }

  search(query: string, options: SearchOptions = {}): SearchHit[] {
    const signal = options.signal;
    const requested = options.limit ?? DEFAULT_LIMIT;
    const limit = Number.isNaN(requested)
      ? 0
      : Math.max(0, Math.min(Math.floor(requested), this.source.size));
    const trimmed = query.trim();
    if (limit === 0 || trimmed === '' || signal?.aborted) return [];
    let allowed = -1;
    if (options.systems) {
      allowed = 0;
      for (const s of options.systems) allowed |= 1 << (SYSTEM_INDEX.get(s) ?? 31);
    }

    const hits: SearchHit[] = [];
    const claimed: number[] = [];
    try {
      // phase 1: codes
      const key = codeKey(trimmed);
      // a dot names a dotted system (`E11.6` is ICD-10-CM, not HCPCS E1160/E1161)
      let codeAllowed = allowed;
      if (trimmed.includes('.')) {
        let dotted = 0;
        for (const sys of DOTTED_SYSTEMS) dotted |= 1 << (SYSTEM_INDEX.get(sys) ?? 31);
        codeAllowed &= dotted;
      }
      if (isCodeQuery(key)) this.searchCodes(key, codeAllowed, limit, hits, claimed);
      if (hits.length >= limit) return hits.slice(0, limit);
      if (signal?.aborted) return [];

      // phase 2: words
      // a code-shaped query that found codes (`e11.6`) wants no partial word matches (`6`)
      const more = this.searchWords(query, allowed, limit - hits.length, hits.length === 0, signal);
      if (more === undefined) return [];
      for (const h of more) hits.push(h);
      return hits;
    } finally {
      for (const row of claimed) this.scratch.claimed[row] = 0;
    }
  }

  private searchCodes(
    key: string,
    allowed: number,
    limit: number,
    hits: SearchHit[],
    claimed: number[],
  ): void {
    const keys = this.codeKeys;
    const lo = lowerBound(keys, key, 0, keys.length);
    let i = lo;
    for (; i < keys.length && keys[i] === key; i++) {
      const row = this.codeRows[i]!;
      if (!(allowed & (1 << this.systems[row]!))) continue;
      hits.push({ row, tier: 'exact', score: 3 * TIER_BASE + (MAX_CODE_RANK - i), matchedWords: [] });
    }
    const room = limit - hits.length;
    if (room <= 0) return;
    const hi = prefixEnd(keys, key, i, keys.length);
    for (const j of shortestCodes(this.codeLen, this.codeSys, i, hi, allowed, room)) {
      const score = 2 * TIER_BASE + (MAX_CODE_LENGTH - this.codeLen[j]!) * F_CODE_LEN + (MAX_CODE_RANK - j);
      hits.push({ row: this.codeRows[j]!, tier: 'prefix', score, matchedWords: [] });
    }
    // every code hit is returned unless the limit is reached, in which case words are not searched
    for (const h of hits) {
      this.scratch.claimed[h.row] = 1;
      claimed.push(h.row);
    }
  }

  /** Parses the query into words with their vocabulary matches. */
  private parseQuery(query: string): QueryWord[] {
    const all = words(query);
    if (all.length === 0) return [];
    const last = query.length > 0 && !/\s/.test(query[query.length - 1]!) ? all.length - 1 : -1;
    let content = all.map((text, i) => ({ text, final: i === last }));
    const nonStop = content.filter((w) => !STOP_WORDS.has(w.text));
    const stopMode = nonStop.length === 0;
    if (!stopMode) content = nonStop;
    const seen = new Set<string>();
    const parsed: QueryWord[] = [];
    for (const { text, final } of content) {
      if (seen.has(text)) continue;
      seen.add(text);
      if (parsed.length === MAX_QUERY_WORDS) break;
      const vocab = this.vocab;
      const lo = lowerBound(vocab, text, 0, vocab.length);
      const exactId = lo < vocab.length && vocab[lo] === text ? lo : -1;
      const prefixOk = final || text.length >= 3;
      const hi = prefixOk ? prefixEnd(vocab, text, lo, vocab.length) : lo;
      let typos: Array<[number, number]> = [];
      if (exactId < 0 && hi === lo && text.length >= 4 && /[a-z]/.test(text)) {
        typos = this.typoCandidates(text, stopMode);
      }
      parsed.push({
        text,
        bit: 1 << parsed.length,
        exactId,
        lo,
        hi,
        typoIds: typos.map((t) => t[0]),
        typoDistances: typos.map((t) => t[1]),
        skipStop: !stopMode,
      });
    }
    return parsed;
  }

  /** Vocabulary words within the typo distance of `text`, closest (then most frequent) first. */
  private typoCandidates(text: string, allowStop: boolean): Array<[number, number]> {
    const max = text.length >= 8 ? 2 : 1;
    const len = text.length;
    const sig = signature(text);
    const found: Array<[number, number]> = [];
    const vl = this.vocabLen;
    const vs = this.vocabSig;
    const vf = this.vocabFlags;
    for (let id = 0; id < vl.length; id++) {
      const d = vl[id]! - len;
      if (d > max || d < -max) continue;
      if (popcount(vs[id]! ^ sig) > 2 * max) continue;
      if (vf[id] && !allowStop) continue;
      const dist = boundedOsa(text, this.vocab[id]!, max, this.osaRows);
      if (dist <= max) found.push([id, dist]);
    }
    const off = this.offsets;
    found.sort((a, b) => a[1] - b[1] || off[b[0] + 1]! - off[b[0]]! - (off[a[0] + 1]! - off[a[0]]!));
    return found.slice(0, MAX_TYPO_EXPANSIONS);
  }

  private searchWords(
    query: string,
    allowed: number,
    limit: number,
    partial: boolean,
    signal: SearchOptions['signal'],
  ): SearchHit[] | undefined {
    const qwords = this.parseQuery(query);
    if (qwords.length === 0) return [];
    if (signal?.aborted) return undefined;

    const scratch = this.scratch;
    const postings = this.postings;
    const offsets = this.offsets;
    const flags = this.vocabFlags;
    try {
      for (const w of qwords) {
        const bit = w.bit;
        // exact word first, so a row matched both ways counts as exact
        if (w.exactId >= 0) scratch.markExact(postings, offsets[w.exactId]!, offsets[w.exactId + 1]!, bit);
        for (let id = w.lo; id < w.hi; id++) {
          if (id === w.exactId || (w.skipStop && flags[id])) continue;
          scratch.markPrefix(postings, offsets[id]!, offsets[id + 1]!, bit);
        }
        // closest typo expansions first, so a row holding several counts the closest
        for (let k = 0; k < w.typoIds.length; k++) {
          const id = w.typoIds[k]!;
          scratch.markTypo(postings, offsets[id]!, offsets[id + 1]!, bit, w.typoDistances[k]! > 1);
        }
        if (signal?.aborted) return undefined;
      }

      const full = (1 << qwords.length) - 1;
      const onlyFull = !partial || scratch.countFull(full) >= limit;
      const top = new TopK(limit);
      scratch.rank(top, full, onlyFull, allowed);
      if (signal?.aborted) return undefined;

      const out: SearchHit[] = [];
      for (const [key, row] of top.drain()) {
        const m = scratch.anyMask[row]!;
        const tier: MatchTier = m === full ? 'words' : 'partial';
        out.push({
          row,
          tier,
          score: (tier === 'words' ? TIER_BASE : 0) + key,
          matchedWords: this.matchedWords(row, qwords, m, scratch.typoMask[row]!),
        });
      }
      return out;
    } finally {
      scratch.reset();
    }
  }

  private matchedWords(row: number, qwords: readonly QueryWord[], mask: number, typo: number): string[] {
    const out: string[] = [];
    let rowWords: string[] | undefined;
    for (const w of qwords) {
      if (!(mask & w.bit)) continue;
      if (!(typo & w.bit)) {
        out.push(w.text);
        continue;
      }
      if (!rowWords) {
        rowWords = words(this.source.title(row) ?? '');
        const alt = this.source.alternate?.(row);
        if (alt) tokenize(alt, rowWords);
      }
      // the closest expansion the row holds is the one that matched (see markTypo's order)
      const held = new Set(rowWords);
      const id = w.typoIds.find((t) => held.has(this.vocab[t]!));
      out.push(id === undefined ? w.text : this.vocab[id]!);
    }
    return out;
  }
}
