/**
 * The persisted form of a {@link CodeIndex}: one JSON document whose big columns are single strings
 * (codes, titles and short titles joined with a record separator, flags as one character per row),
 * so loading is one `JSON.parse` plus a few `split`s instead of re-running every loader. The cache
 * carries a key (the hashes of the source files, computed by the caller): a cache whose key differs
 * from the current sources is stale and must be rebuilt.
 */

import { CodeIndex, ReleaseTable } from './codeIndex';
import type { IndexExtras, ReleaseDescriptor } from './codeIndex';
import { isCodeSystem } from './systems';

/** Bump when the layout changes: older caches are then rebuilt, never misread. */
export const INDEX_CACHE_FORMAT = 1;
const MAGIC = 'clinical-coder-index';
const SEP = '\u001e';

interface PersistedTable {
  readonly descriptor: ReleaseDescriptor;
  readonly codes: string;
  readonly titles: string;
  readonly shorts: string;
  /** One character per row: `String.fromCharCode(48 + flags)`. */
  readonly flags: string;
  readonly status: [number, string][];
  readonly validFrom: [number, string][];
  readonly validTo: [number, string][];
}

interface PersistedIndex {
  readonly magic: typeof MAGIC;
  readonly format: number;
  readonly key: string;
  readonly tables: PersistedTable[];
  readonly extras: IndexExtras;
}

function join(values: readonly string[]): string {
  let clean = true;
  for (const v of values) {
    if (v.indexOf(SEP) >= 0) {
      clean = false;
      break;
    }
  }
  return (clean ? values : values.map((v) => v.split(SEP).join(' '))).join(SEP);
}

function split(text: string, count: number): string[] {
  // an empty text is one empty row, so a column of no rows must be empty (a lost flags column is damage)
  if (count === 0 && text === '') return [];
  const parts = text.split(SEP);
  if (parts.length !== count)
    throw new Error(`index cache column has ${parts.length} rows, expected ${count}`);
  return parts;
}

/** The cache text of an index; `key` identifies the sources it was built from. */
export function serializeIndex(index: CodeIndex, key: string): string {
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
    return {
      descriptor: t.descriptor,
      codes: join(t.codes),
      titles: join(t.titles),
      shorts: join(t.shorts),
      flags,
      status: [...t.status],
      validFrom: [...t.validFrom],
      validTo: [...t.validTo],
    };
  });
  const persisted: PersistedIndex = {
    magic: MAGIC,
    format: INDEX_CACHE_FORMAT,
    key,
    tables,
    extras: index.persistedExtras,
  };
  // Characters above U+00FF (the `→` of GEM labels, a `’` in a title) are written as \u escapes, so
  // the text read back is a one-byte string: half the memory while it is parsed, and faster to parse.
  return JSON.stringify(persisted).replace(
    /[\u0100-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
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
  const p = JSON.parse(text) as PersistedIndex;
  if (p.magic !== MAGIC || p.format !== INDEX_CACHE_FORMAT)
    throw new Error('not an index cache of this version');
  const index = new CodeIndex();
  for (const t of p.tables) {
    if (!isCodeSystem(t.descriptor.system)) throw new Error(`unknown code system '${t.descriptor.system}'`);
    const n = t.flags.length;
    const flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) flags[i] = t.flags.charCodeAt(i) - 48;
    index.addTable(
      new ReleaseTable(
        t.descriptor,
        split(t.codes, n),
        split(t.titles, n),
        split(t.shorts, n),
        flags,
        new Map(t.status),
        new Map(t.validFrom),
        new Map(t.validTo),
      ),
    );
  }
  for (const c of p.extras.changes) index.addChanges(c.system, c.release, c.changes);
  for (const c of p.extras.conversions) index.addConversions(c.system, c.conversions);
  for (const m of p.extras.mappings) index.addMappings(m.system, m.target, m.label, m.encoded);
  return { index, key: p.key };
}
