/**
 * The persisted form of a {@link CodeIndex}: one line of JSON (descriptors, sparse fields, addenda
 * changes, conversions, and the lengths of the blocks that follow), then the big columns as raw
 * blocks: codes, titles and short titles joined with a record separator, flags as one character per
 * row, GEM mappings in their encoded form. Loading parses only the small JSON line and splits the
 * blocks, instead of re-running every loader (or JSON-parsing 25 MB of titles).
 *
 * Every character of the text is at most U+00FF (the rare higher ones are escaped as NUL + 4 hex
 * digits), so the file is stored as Latin-1 and read back as a one-byte string with no decoding.
 * The cache carries a key (the hashes of the source files, computed by the caller): a cache whose
 * key differs from the current sources is stale and must be rebuilt.
 */

import { CodeIndex, ReleaseTable } from './codeIndex';
import type { IndexExtras, ReleaseDescriptor } from './codeIndex';
import { isCodeSystem } from './systems';
import type { CodeSystem } from './systems';
import { columnArray } from './loaders/types';
import type { TextColumn } from './loaders/types';

/** Bump when the layout changes: older caches are then rebuilt, never misread. */
export const INDEX_CACHE_FORMAT = 3;
const MAGIC = 'clinical-coder-index';
const SEP = '\u001e';

const ESCAPE = '\u0000';

interface PersistedTable {
  readonly descriptor: ReleaseDescriptor;
  readonly rows: number;
  readonly status: [number, string][];
  readonly validFrom: [number, string][];
  readonly validTo: [number, string][];
}

interface PersistedHeader {
  readonly magic: typeof MAGIC;
  readonly format: number;
  readonly key: string;
  readonly tables: PersistedTable[];
  readonly changes: IndexExtras['changes'];
  readonly conversions: IndexExtras['conversions'];
  readonly mappings: { system: CodeSystem; target: CodeSystem; label: string }[];
  /** Lengths of the blocks after the JSON line: per table codes, titles, shorts, flags; then each mapping. */
  readonly blocks: number[];
}

/** A value as a block item: no separator or NUL inside, characters above U+00FF escaped. */
function clean(v: string): string {
  let out = v;
  if (out.indexOf(SEP) >= 0) out = out.split(SEP).join(' ');
  if (out.indexOf(ESCAPE) >= 0) out = out.split(ESCAPE).join(' ');
  return /[\u0100-\uffff]/.test(out)
    ? out.replace(/[\u0100-\uffff]/g, (c) => ESCAPE + c.charCodeAt(0).toString(16).padStart(4, '0'))
    : out;
}

/** Undoes the escapes of {@link clean}: NUL + 4 hex digits → the character. */
function unescape(v: string): string {
  let out = '';
  let from = 0;
  for (let at = v.indexOf(ESCAPE); at >= 0; at = v.indexOf(ESCAPE, from)) {
    out += v.slice(from, at) + String.fromCharCode(parseInt(v.slice(at + 1, at + 5), 16));
    from = at + 5;
  }
  return out + v.slice(from);
}

function join(values: readonly string[]): string {
  return values.map(clean).join(SEP);
}

function split(text: string, count: number): string[] {
  // an empty text is one empty row, so a column of no rows must be empty (a lost flags column is damage)
  if (count === 0 && text === '') return [];
  const parts = text.split(SEP);
  if (parts.length !== count)
    throw new Error(`index cache column has ${parts.length} rows, expected ${count}`);
  if (text.indexOf(ESCAPE) >= 0) {
    for (let i = 0; i < parts.length; i++) if (parts[i]!.indexOf(ESCAPE) >= 0) parts[i] = unescape(parts[i]!);
  }
  return parts;
}

/**
 * A titles column read from its cache block when asked: the block stays one string and each row is
 * found through the offset where it ends, so loading the cache makes no string per title (a row is
 * sliced, and unescaped if need be, on access).
 */
class BlockColumn implements TextColumn {
  constructor(
    private readonly block: string,
    /** Offset of the separator after each row (the block's length after the last). */
    private readonly ends: Int32Array,
  ) {}

  get length(): number {
    return this.ends.length;
  }

  at(row: number): string | undefined {
    if (row < 0 || row >= this.ends.length) return undefined;
    const v = this.block.slice(row === 0 ? 0 : this.ends[row - 1]! + 1, this.ends[row]);
    return v.indexOf(ESCAPE) >= 0 ? unescape(v) : v;
  }
}

/** A block as a lazily read column of `count` rows; throws when it holds another number of rows. */
function blockColumn(text: string, count: number): TextColumn {
  if (count === 0 && text === '') return [];
  const ends = new Int32Array(count);
  let rows = 0;
  for (let at = text.indexOf(SEP); at >= 0; at = text.indexOf(SEP, at + 1)) {
    if (rows < count) ends[rows] = at;
    rows++;
  }
  if (rows < count) ends[rows] = text.length;
  rows++; // the last row has no separator after it
  if (rows !== count) throw new Error(`index cache column has ${rows} rows, expected ${count}`);
  return new BlockColumn(text, ends);
}

/** The JSON line and the blocks of a cache text (exported for tests that damage a cache on purpose). */
export function splitCacheText(text: string): { header: PersistedHeader; blocks: string[] } {
  const nl = text.indexOf('\n');
  if (nl < 0) throw new Error('not an index cache of this version');
  const header = JSON.parse(text.slice(0, nl)) as PersistedHeader;
  if (header.magic !== MAGIC || header.format !== INDEX_CACHE_FORMAT || !Array.isArray(header.blocks))
    throw new Error('not an index cache of this version');
  const blocks: string[] = [];
  let at = nl + 1;
  for (const length of header.blocks) {
    if (at + length > text.length) throw new Error('index cache is cut short');
    blocks.push(text.slice(at, at + length));
    at += length;
  }
  if (at !== text.length) throw new Error('index cache has data after its last block');
  return { header, blocks };
}

/** The cache text of a JSON line and its blocks (the inverse of {@link splitCacheText}). */
export function joinCacheText(header: Omit<PersistedHeader, 'blocks'>, blocks: string[]): string {
  // characters above U+00FF in the JSON line are written as \u escapes: the text stays one byte per character
  const line = JSON.stringify({ ...header, blocks: blocks.map((b) => b.length) }).replace(
    /[\u0100-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${line}\n${blocks.join('')}`;
}

/** The cache text of an index; `key` identifies the sources it was built from. */
export function serializeIndex(index: CodeIndex, key: string): string {
  const blocks: string[] = [];
  const tables: PersistedTable[] = index.tables().map((t) => {
    let flags = '';
    const chunk: number[] = [];
    for (let i = 0; i < t.flags.length; i++) {
      chunk.push(48 + t.flags[i]!);
      if (chunk.length === 8192) {
        flags += String.fromCharCode(...chunk);
        chunk.length = 0;
      }
    }
    flags += String.fromCharCode(...chunk);
    blocks.push(join(t.codes), join(columnArray(t.titles)), join(columnArray(t.shorts)), flags);
    return {
      descriptor: t.descriptor,
      rows: t.codes.length,
      status: [...t.status],
      validFrom: [...t.validFrom],
      validTo: [...t.validTo],
    };
  });
  const extras = index.persistedExtras;
  for (const m of extras.mappings) blocks.push(clean(m.encoded));
  return joinCacheText(
    {
      magic: MAGIC,
      format: INDEX_CACHE_FORMAT,
      key,
      tables,
      changes: extras.changes,
      conversions: extras.conversions,
      mappings: extras.mappings.map(({ system, target, label }) => ({ system, target, label })),
    },
    blocks,
  );
}

/** The key a cache text was written with, read without parsing the whole document; `undefined` if not a cache. */
export function cacheKeyOf(text: string): string | undefined {
  // No regular expression on the cache text: V8 keeps the last regex subject alive (RegExp.input),
  // and a slice of the cache text would keep the whole text, tens of megabytes, in memory.
  const prefix = `{"magic":"${MAGIC}","format":${INDEX_CACHE_FORMAT},"key":"`;
  if (!text.startsWith(prefix)) return undefined;
  let end = prefix.length;
  while (end < text.length && end - prefix.length <= 1024 && text.charCodeAt(end) !== 34) {
    end += text.charCodeAt(end) === 92 ? 2 : 1; // skip the character after a backslash
  }
  if (end >= text.length || end - prefix.length > 1024) return undefined;
  // JSON.parse makes a fresh string: a slice would keep the whole cache text alive
  return JSON.parse(text.slice(prefix.length - 1, end + 1)) as string;
}

/**
 * Rebuilds an index from cache text. Throws when the text is not a cache of this format or a column
 * is damaged; the caller then rebuilds from the sources.
 */
export function deserializeIndex(text: string): { index: CodeIndex; key: string } {
  const { header, blocks } = splitCacheText(text);
  if (blocks.length !== header.tables.length * 4 + header.mappings.length)
    throw new Error(
      `index cache has ${blocks.length} blocks, expected ${header.tables.length * 4 + header.mappings.length}`,
    );
  const index = new CodeIndex();
  header.tables.forEach((t, i) => {
    if (!isCodeSystem(t.descriptor.system)) throw new Error(`unknown code system '${t.descriptor.system}'`);
    const [codes, titles, shorts, flagText] = blocks.slice(i * 4, i * 4 + 4) as [
      string,
      string,
      string,
      string,
    ];
    const n = flagText.length;
    if (n !== t.rows) throw new Error(`index cache flags have ${n} rows, expected ${t.rows}`);
    const flags = new Uint8Array(n);
    for (let r = 0; r < n; r++) flags[r] = flagText.charCodeAt(r) - 48;
    index.addTable(
      new ReleaseTable(
        t.descriptor,
        split(codes, n),
        blockColumn(titles, n),
        blockColumn(shorts, n),
        flags,
        new Map(t.status),
        new Map(t.validFrom),
        new Map(t.validTo),
      ),
    );
  });
  for (const c of header.changes) index.addChanges(c.system, c.release, c.changes);
  for (const c of header.conversions) index.addConversions(c.system, c.conversions);
  header.mappings.forEach((m, i) => {
    const encoded = blocks[header.tables.length * 4 + i]!;
    index.addMappings(
      m.system,
      m.target,
      m.label,
      encoded.indexOf(ESCAPE) >= 0 ? unescape(encoded) : encoded,
    );
  });
  return { index, key: header.key };
}
