/**
 * The code scanner: finds code-like tokens in any coder document and says which system(s) each
 * one belongs to, how sure it is, and why. Hovers, diagnostics and the CLI all start here.
 *
 * How a token is claimed, strongest first:
 * 1. **Structural context** declares the system: a FHIR `Coding` whose `system` URI we know (JSON or
 *    XML), an X12 qualifier (`HI*ABK:`, `SV1*HC:code:mod`, `LIN*…*N4*`), an HL7 v2 coded triple
 *    (`150^…^CVX`), or a CSV column header (`dx1`, `hcpcs`, `mod1`, `icd9cm_code`…). The token is
 *    claimed with `high` confidence even when the index does not know it (so diagnostics can flag
 *    it), and marked `malformed` when its shape fits none of the declared systems. A context naming
 *    a system we do not handle (v3-ActCode, `MVX`, X12 `BE`) hides the token from later steps.
 * 2. **A keyword** right before the token (`CVX 150`, `HCPCS J0696`, `LOINC 718-7`): `high`.
 * 3. **Free text**, only where no structure applies (never inside HL7 or X12 messages, never in a
 *    single-token CSV cell of an unmapped column): `high` when `isKnown` resolves the token in a
 *    system whose shape it fits (letters, dots or hyphens required: bare digits such as `135`,
 *    `72` are lab values far more often than codes); otherwise `medium` when the shape is
 *    distinctive on its own ({@link isDistinctiveShape}). `B12`, `L4-L5`, `A1c`, `PHQ-2`, `39.2`
 *    are never claimed this way.
 *
 * Complexity: every pass is a single left-to-right walk (no backtracking regex over the whole text:
 * free text jumps from digit to digit with `/[0-9]/g`, other regexes are anchored and
 * quantifier-flat on bounded tokens), so a scan is O(n) plus O(m log m) to order the m matches. A
 * 1 MB adversarial line scans in milliseconds (see the unit tests).
 *
 * Speed: each distinct token is recognised and looked up once per scan (readings are cached by the
 * token's characters, and matches of equal tokens share their candidate arrays); covered ranges are
 * merged as they arrive; {@link visitCodes} hands matches over without building objects. On a 10 MB
 * coder document the scan costs about twice a plain one-regex pass over the same text.
 */

import {
  systemsForCsvHeader,
  systemsForFhirUri,
  systemsForHl7Name,
  systemsForKeywordAt,
  systemsForX12Qualifier,
} from './systems';
import type { CodeSystem, ContextSystems } from './systems';
import { canonicalModifier, isDistinctiveShape, MAX_CODE_LENGTH, recogniseAll } from './recognise';
import type { Recognised } from './recognise';

/**
 * {@link MAX_CODE_LENGTH} as a module constant: read once per token, and an imported binding may
 * cost a property access (or an accessor call, once compiled to CommonJS) at every use.
 */
const MAX_LENGTH = MAX_CODE_LENGTH;

/** One reading of a matched token. */
export interface CodeCandidate extends Recognised {
  /** What `isKnown` answered for this reading; absent when no `isKnown` was given. */
  readonly known?: boolean;
}

/** Why a token was claimed. */
export type CodeEvidence = 'fhir' | 'x12' | 'hl7' | 'csv' | 'keyword' | 'known' | 'shape';

/** A code found in a document. Offsets are UTF-16 indexes into the scanned string, `end` exclusive. */
export interface CodeMatch {
  readonly start: number;
  readonly end: number;
  /** The token exactly as written (`text.slice(start, end)`). */
  readonly text: string;
  /** Readings, best first: known ones before unknown ones, then in the context's or {@link CODE_SYSTEMS} order. */
  readonly candidates: readonly CodeCandidate[];
  readonly confidence: 'high' | 'medium';
  readonly evidence: CodeEvidence;
  /**
   * `true` when a context declared the system but the token fits none of its shapes; then
   * `candidates` holds one entry per declared system with the token upper-cased as `code`.
   */
  readonly malformed?: boolean;
}

/** The structural format a document is read as. */
export type DocumentFormat = 'text' | 'json' | 'xml' | 'hl7' | 'x12' | 'csv';

/** What the caller knows beyond the text. */
export interface FindCodesContext {
  /**
   * Membership in the loaded index, asked with the canonical code (see `recognise.ts`). Must be
   * fast (a `Map`/`Set` lookup): it is called up to once per reading of every code-like token.
   */
  readonly isKnown?: (system: CodeSystem, code: string) => boolean;
  /** Skip format detection (e.g. from the editor's language id). */
  readonly format?: DocumentFormat;
}

interface Range {
  readonly start: number;
  readonly end: number;
}

interface Scan {
  readonly text: string;
  readonly isKnown: ((system: CodeSystem, code: string) => boolean) | undefined;
  readonly matches: CodeMatch[];
  /** When set, matches go here instead of into `matches` (see {@link visitCodes}). */
  readonly visit: CodeVisitor | undefined;
  /** Ranges that free-text scanning must skip (claimed or foreign), as parallel start/end columns. */
  readonly coveredStart: number[];
  readonly coveredEnd: number[];
  /**
   * Readings of tokens already seen, so a token repeated through a long document is recognised and
   * looked up once: free-text readings by token, context readings by the context's system list.
   * Candidate arrays are shared by the matches of equal tokens (they are read-only).
   */
  readonly freeCache: TokenCache<FreeReading>;
  /** The free-text reading {@link claimFreeToken} last looked up without claiming its token. */
  unclaimed: TokenEntry<FreeReading> | undefined;
  readonly contextCache: Map<readonly CodeSystem[], TokenCache<readonly CodeCandidate[] | null>>;
  readonly modifierCache: Map<readonly CodeSystem[], TokenCache<readonly CodeCandidate[] | null>>;
}

/** What a free-text token (without a keyword) can be read as: see {@link claimFreeToken}. */
interface FreeReading {
  /** Readings the index knows, in a system that may be claimed by membership alone. */
  readonly known: readonly CodeCandidate[] | undefined;
  /** Readings whose shape is distinctive on its own, known ones first. */
  readonly shape: readonly CodeCandidate[] | undefined;
  /** The visitor asked to hear no more of `known` / `shape` (see {@link CodeVisitor}). */
  knownMuted: boolean;
  shapeMuted: boolean;
}

/** Never muted: it has no readings to report. */
const NO_READING: FreeReading = { known: undefined, shape: undefined, knownMuted: false, shapeMuted: false };

/** Caches stop growing here (an adversarial document of unique tokens only costs the lookups). */
const CACHE_LIMIT = 100_000;

interface TokenEntry<V> {
  /** The token's text (shared by every match of an equal token). */
  readonly raw: string;
  readonly hash: number;
  readonly value: V;
  /**
   * A hyphenated free-text token none of whose parts is a code, whatever surrounds it (`ICD-9-CM`,
   * `CLM-25-100231`, `PHQ-2`): its parts are not tried again.
   */
  partsBarren?: boolean;
}

/**
 * Values by token text, looked up by the token's position in the scanned text and a hash of its
 * characters ({@link tokenHash}), so that a hit allocates nothing, not even the token's string.
 * Open addressing with linear probing, at most half full.
 */
class TokenCache<V> {
  private slots: (TokenEntry<V> | undefined)[] = new Array<TokenEntry<V> | undefined>(256).fill(undefined);
  private size = 0;

  get(text: string, start: number, end: number, hash: number): TokenEntry<V> | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    const length = end - start;
    for (let k = hash & mask; ; k = (k + 1) & mask) {
      const entry = slots[k];
      if (entry === undefined) return undefined;
      if (entry.hash !== hash || entry.raw.length !== length) continue;
      const raw = entry.raw;
      let p = 0;
      while (p < length && raw.charCodeAt(p) === text.charCodeAt(start + p)) p++;
      if (p === length) return entry;
    }
  }

  add(hash: number, raw: string, value: V): TokenEntry<V> {
    const entry = { raw, hash, value };
    if (this.size >= CACHE_LIMIT) return entry;
    if ((this.size + 1) * 2 > this.slots.length) {
      const old = this.slots;
      this.slots = new Array<TokenEntry<V> | undefined>(old.length * 2).fill(undefined);
      for (const e of old) if (e !== undefined) this.place(e);
    }
    this.place(entry);
    this.size++;
    return entry;
  }

  private place(entry: TokenEntry<V>): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let k = entry.hash & mask;
    while (slots[k] !== undefined) k = (k + 1) & mask;
    slots[k] = entry;
  }
}

/** A hash of `text[start, end)` for {@link TokenCache} (a small non-negative integer). */
function tokenHash(text: string, start: number, end: number): number {
  let h = 0;
  for (let p = start; p < end; p++) h = (Math.imul(h, 31) + text.charCodeAt(p)) & 0x3fffffff;
  return h;
}

function newScan(text: string, isKnown: Scan['isKnown'], visit?: CodeVisitor): Scan {
  return {
    text,
    isKnown,
    matches: [],
    visit,
    coveredStart: [],
    coveredEnd: [],
    freeCache: new TokenCache(),
    unclaimed: undefined,
    contextCache: new Map(),
    modifierCache: new Map(),
  };
}

/**
 * Marks `[start, end)` as covered. A range that arrives in order and overlaps the last one, or is
 * separated from it only by characters no token contains (a delimiter, a quote), extends it: a token
 * cannot overlap such a gap alone, so the union covers exactly the same tokens with far fewer ranges
 * (a CSV row becomes one or two ranges instead of one per cell).
 */
function cover(scan: Scan, start: number, end: number): void {
  const { coveredStart, coveredEnd } = scan;
  const last = coveredStart.length - 1;
  if (last >= 0 && start >= coveredStart[last]!) {
    const lastEnd = coveredEnd[last]!;
    let p = lastEnd;
    if (start - p <= 8) {
      const text = scan.text;
      while (p < start && charClass(text.charCodeAt(p)) === 0) p++;
    }
    if (p >= start) {
      if (end > lastEnd) coveredEnd[last] = end;
      return;
    }
  }
  coveredStart.push(start);
  coveredEnd.push(end);
}

/** Finds every code in `text`. See the module comment for the rules; output is sorted by `start`. */
export function findCodes(text: string, context: FindCodesContext = {}): CodeMatch[] {
  const scan = newScan(text, context.isKnown);
  runScan(scan, context.format ?? detectFormat(text));
  const matches = scan.matches;
  for (let k = 1; k < matches.length; k++) {
    if (matches[k - 1]!.start > matches[k]!.start) {
      matches.sort((a, b) => a.start - b.start);
      break;
    }
  }
  return matches;
}

/**
 * Receives the matches of {@link visitCodes}: the fields of a {@link CodeMatch}, without the object.
 * `candidates` arrays are shared between matches of equal tokens and must not be changed. Returning
 * `true` says the visitor needs no more matches with these `candidates` (and this confidence and
 * evidence, which come with them): the scanner may then skip reporting them for the rest of the
 * scan (it does for free-text readings, most of a document's codes).
 */
export type CodeVisitor = (
  start: number,
  end: number,
  text: string,
  candidates: readonly CodeCandidate[],
  confidence: CodeMatch['confidence'],
  evidence: CodeEvidence,
  malformed: boolean,
) => boolean | void;

/**
 * The matches {@link findCodes} would return, handed to `visit` one by one instead of collected:
 * for callers that keep only a few of them (diagnostics over a large document), this saves building
 * and sorting one object per code. Matches arrive in scan order, which is not always by `start`
 * (structured passes come before the free-text pass; FHIR JSON codings arrive as objects close).
 * Returns the format the text was read as.
 */
export function visitCodes(text: string, context: FindCodesContext, visit: CodeVisitor): DocumentFormat {
  const format = context.format ?? detectFormat(text);
  runScan(newScan(text, context.isKnown, visit), format);
  return format;
}

function runScan(scan: Scan, format: DocumentFormat): void {
  switch (format) {
    case 'hl7':
      scanHl7(scan);
      break; // HL7 v2: codes only in coded fields
    case 'x12':
      scanX12(scan);
      break; // X12: codes only after qualifiers
    case 'json':
      scanJson(scan);
      scanFreeText(scan);
      break;
    case 'xml':
      scanXml(scan);
      scanFreeText(scan);
      break;
    case 'csv':
      scanCsv(scan); // a CSV without a code-named column is plain text
      scanFreeText(scan);
      break;
    case 'text':
      scanFreeText(scan);
      break;
  }
}

/** Records one match (or hands it to the visitor); `true` when the visitor wants no more of these candidates. */
function emit(
  scan: Scan,
  start: number,
  end: number,
  text: string,
  candidates: readonly CodeCandidate[],
  confidence: CodeMatch['confidence'],
  evidence: CodeEvidence,
  malformed = false,
): boolean {
  if (scan.visit !== undefined)
    return scan.visit(start, end, text, candidates, confidence, evidence, malformed) === true;
  if (malformed) scan.matches.push({ start, end, text, candidates, confidence, evidence, malformed });
  else scan.matches.push({ start, end, text, candidates, confidence, evidence });
  return false;
}

/** The match of `matches` (sorted by start) covering `offset` (start ≤ offset ≤ end), if any. */
export function matchAt(matches: readonly CodeMatch[], offset: number): CodeMatch | undefined {
  let lo = 0;
  let hi = matches.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = matches[mid]!;
    if (offset < m.start) hi = mid - 1;
    else if (offset > m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}

/** The match covering `offset` (start ≤ offset ≤ end, so a caret just after a code counts), if any. */
export function findCodeAt(
  text: string,
  offset: number,
  context: FindCodesContext = {},
): CodeMatch | undefined {
  return matchAt(findCodes(text, context), offset);
}

/**
 * Guesses the structure of a document from its first characters: `MSH|`/`FHS|`/`BHS|` → HL7 v2,
 * `ISA` + separator → X12, `{`/`[` → JSON, `<` → XML, a delimited first line with a code-named
 * column → CSV, else text. Looks at a bounded prefix only.
 */
export function detectFormat(text: string): DocumentFormat {
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < text.length && i < 4096 && /\s/.test(text.charAt(i))) i++;
  const head = text.slice(i, i + 4);
  if (/^(MSH|FHS|BHS)\|$/.test(head)) return 'hl7';
  if (/^ISA[^A-Za-z0-9\s]$/.test(head)) return 'x12';
  if (/^[A-Z][A-Z0-9]{1,2}\*/.test(head)) {
    const tilde = text.indexOf('~', i);
    if (tilde > 0 && tilde - i < 4096) return 'x12';
  }
  const c = text.charAt(i);
  if (c === '{' || c === '[') return 'json';
  if (c === '<' && !text.startsWith('<!--', i)) return 'xml';
  if (csvHeader(text) !== undefined) return 'csv';
  return 'text';
}

// ---------------------------------------------------------------------------------------------
// Claiming helpers

function knownFirst(scan: Scan, found: Recognised[]): CodeCandidate[] {
  const isKnown = scan.isKnown;
  if (!isKnown) return found;
  if (found.length === 1) {
    const r = found[0]!;
    return [{ system: r.system, code: r.code, kind: r.kind, known: isKnown(r.system, r.code) }];
  }
  const known: CodeCandidate[] = [];
  const unknown: CodeCandidate[] = [];
  for (const r of found) {
    const k = isKnown(r.system, r.code);
    (k ? known : unknown).push({ system: r.system, code: r.code, kind: r.kind, known: k });
  }
  return known.length === 0 ? unknown : known.concat(unknown);
}

const TOKENISH = /^[A-Za-z0-9.-]{1,24}$/;

/**
 * The readings of `text[start, end)` in a context naming `systems` (cached per system list): the
 * token's shared string and its candidates, or `null` for none.
 */
function contextReadings(
  scan: Scan,
  start: number,
  end: number,
  systems: readonly CodeSystem[],
  modifier: boolean,
): TokenEntry<readonly CodeCandidate[] | null> {
  const caches = modifier ? scan.modifierCache : scan.contextCache;
  let cache = caches.get(systems);
  if (!cache) caches.set(systems, (cache = new TokenCache()));
  const text = scan.text;
  const hash = tokenHash(text, start, end);
  const hit = cache.get(text, start, end, hash);
  if (hit !== undefined) return hit;
  const raw = text.slice(start, end);
  let found: Recognised[];
  if (modifier) {
    const m = canonicalModifier(raw);
    found = m === undefined ? [] : [{ system: systems[0]!, code: m, kind: 'modifier' }];
  } else {
    found = recogniseAll(raw, systems);
  }
  return cache.add(hash, raw, found.length > 0 ? knownFirst(scan, found) : null);
}

/** Claims `text[start,end)` for a context that declared `ctx`; covers it either way. */
function claimInContext(
  scan: Scan,
  start: number,
  end: number,
  ctx: ContextSystems | undefined,
  evidence: CodeEvidence,
  modifier = false,
  reportMalformed = true,
): void {
  // Trim surrounding blanks so offsets point at the code itself.
  const text = scan.text;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (start >= end || ctx === undefined) return;
  cover(scan, start, end);
  if (ctx.kind === 'foreign') return;
  if (end - start > MAX_LENGTH + 2) return;
  const { raw, value: candidates } = contextReadings(scan, start, end, ctx.systems, modifier);
  if (candidates !== null) {
    emit(scan, start, end, raw, candidates, 'high', evidence);
  } else if (reportMalformed && TOKENISH.test(raw)) {
    const code = raw.toUpperCase();
    const kind: CodeCandidate['kind'] = modifier ? 'modifier' : 'code';
    const declared: CodeCandidate[] = ctx.systems.map((system) => ({ system, code, kind }));
    emit(scan, start, end, raw, declared, 'high', evidence, true);
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

// ---------------------------------------------------------------------------------------------
// Free text

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

const UNITS = new Set([
  'c',
  'f',
  '°',
  '%',
  'mg',
  'mcg',
  'g',
  'kg',
  'lb',
  'lbs',
  'ml',
  'l',
  'mmol',
  'meq',
  'pg',
  'ng',
  'mm',
  'cm',
  'in',
  'bpm',
  'unit',
  'units',
  'iu',
  'mmhg',
  'sec',
  'min',
  'hr',
  'hrs',
  'days',
  'kcal',
  'mgdl',
  'x',
]);

/** Whether a measurement unit follows `end` (`39.2 C`, `162.5 lb`, `4.1%`). */
function unitFollows(text: string, end: number): boolean {
  let i = end;
  if (i < text.length && text.charCodeAt(i) === 32) i++;
  let j = i;
  while (
    j < text.length &&
    j - i < 6 &&
    (isWordChar(text.charCodeAt(j)) || text.charAt(j) === '°' || text.charAt(j) === '%')
  )
    j++;
  if (j === i) return false;
  if (j < text.length && isWordChar(text.charCodeAt(j))) return false; // longer word: not a unit
  return UNITS.has(text.slice(i, j).toLowerCase());
}

/**
 * Words after which a short token is a room, a vitamin or a spine level, not a code
 * (`Room B12`, `vitamin B12`, `bed C12`), even if an index happens to know the token.
 */
const NOT_BEFORE_CODES: ReadonlySet<string> = new Set([
  'VITAMIN',
  'VIT',
  'ROOM',
  'RM',
  'BED',
  'SUITE',
  'WARD',
  'APT',
  'BLDG',
  'FLOOR',
  'LEVEL',
  'BAY',
  'GATE',
  'EXAM',
]);

/** First two letters (upper case, as `c1 << 8 | c2`) of the words of {@link NOT_BEFORE_CODES}. */
const NOT_BEFORE_PREFIXES: ReadonlySet<number> = new Set(
  [...NOT_BEFORE_CODES].map((w) => (w.charCodeAt(0) << 8) | w.charCodeAt(1)),
);

/** Whether `text[start, end)` is one of {@link NOT_BEFORE_CODES}. */
function isNotBeforeCodes(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 2 || length > 7) return false;
  const prefix = ((text.charCodeAt(start) & ~32) << 8) | (text.charCodeAt(start + 1) & ~32);
  return NOT_BEFORE_PREFIXES.has(prefix) && NOT_BEFORE_CODES.has(text.slice(start, end).toUpperCase());
}

/**
 * Systems tried for a free-text token by its first character, in preference order. HCPCS comes
 * before ICD-10-CM because prose writes ICD-10-CM dotted: an undotted `G0439` that both indexes
 * know (HCPCS G0439, ICD-10-CM G04.39) is far more likely the HCPCS code; both stay as candidates.
 */
const LETTER_FIRST: readonly CodeSystem[] = ['hcpcs', 'icd10cm', 'icd10pcs', 'icd9cm-dx'];
const DIGIT_FIRST: readonly CodeSystem[] = ['icd10pcs', 'cpt', 'icd9cm-dx', 'icd9cm-proc', 'loinc', 'ndc'];

/** Character classes of the free-text tokenizer (ASCII only; anything else ends a token). */
const C_DIGIT = 1;
const C_UPPER = 2;
const C_LOWER = 4;
const C_DOT = 8;
const C_HYPHEN = 16;
const CHAR_CLASS = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (let c = 48; c <= 57; c++) t[c] = C_DIGIT;
  for (let c = 65; c <= 90; c++) t[c] = C_UPPER;
  for (let c = 97; c <= 122; c++) t[c] = C_LOWER;
  t[46] = C_DOT;
  t[45] = C_HYPHEN;
  return t;
})();

function charClass(c: number): number {
  return c < 128 ? CHAR_CLASS[c]! : 0;
}

/**
 * Free-text readings of one token (already trimmed of `.`/`-` at both ends). `prevStart`/`prevEnd`
 * delimit the word right before it when that word is adjacent (else `prevStart` is -1).
 */
function claimFreeToken(
  scan: Scan,
  start: number,
  end: number,
  keyword: readonly CodeSystem[] | undefined,
  prevStart: number,
  prevEnd: number,
  /** The token's {@link charClass} bits and {@link tokenHash}, when the caller has them (else -1). */
  tokenClasses = -1,
  tokenHashValue = 0,
): boolean {
  scan.unclaimed = undefined;
  if (end - start > MAX_LENGTH) return false;
  if (end - start < 3 && !keyword) return false; // shortest free-text code: `I10`
  const { text } = scan;
  let classes = tokenClasses;
  let hash = tokenHashValue;
  if (classes < 0) {
    classes = 0;
    hash = 0;
    for (let p = start; p < end; p++) {
      const c = text.charCodeAt(p);
      classes |= charClass(c);
      hash = (Math.imul(hash, 31) + c) & 0x3fffffff;
    }
  }
  if (!(classes & C_DIGIT)) return false; // every code shape we claim in prose has a digit
  if (keyword) {
    // the keyword table hands out one system list per keyword, so readings are cached by it
    const { raw, value: candidates } = contextReadings(scan, start, end, keyword, false);
    if (candidates !== null) {
      emit(scan, start, end, raw, candidates, 'high', 'keyword');
      return true;
    }
  }
  if (classes & C_LOWER) return false; // `A1c`, `q6h`, `hl7.org`: free-text codes are upper case
  const numeric = !(classes & C_UPPER);
  if (numeric && !(classes & (C_DOT | C_HYPHEN))) return false; // bare numbers: context only
  let entry = scan.freeCache.get(text, start, end, hash);
  if (entry === undefined) {
    const token = text.slice(start, end);
    entry = scan.freeCache.add(hash, token, freeReading(scan, token));
  }
  const { raw, value: reading } = entry;
  if (
    reading.known !== undefined &&
    !(prevStart >= 0 && isNotBeforeCodes(text, prevStart, prevEnd)) &&
    !(numeric && unitFollows(text, end))
  ) {
    if (!reading.knownMuted && emit(scan, start, end, raw, reading.known, 'high', 'known'))
      reading.knownMuted = true;
    return true;
  }
  if (reading.shape === undefined) {
    scan.unclaimed = entry;
    return false;
  }
  if (!reading.shapeMuted && emit(scan, start, end, raw, reading.shape, 'medium', 'shape'))
    reading.shapeMuted = true;
  return true;
}

/** The keyword-free readings of a free-text token (upper case, with a digit). */
function freeReading(scan: Scan, raw: string): FreeReading {
  const first = raw.charCodeAt(0);
  const all = recogniseAll(raw, first >= 48 && first <= 57 ? DIGIT_FIRST : LETTER_FIRST);
  if (all.length === 0) return NO_READING;
  const isKnown = scan.isKnown;
  let known: CodeCandidate[] | undefined;
  if (isKnown) {
    for (const r of all) {
      if (FREE_TEXT_KNOWN.has(r.system) && isKnown(r.system, r.code))
        (known ??= []).push({ ...r, known: true });
    }
  }
  const distinctive = all.filter((r) => isDistinctiveShape(r.system, raw));
  const shape = distinctive.length > 0 ? knownFirst(scan, distinctive) : undefined;
  return { known, shape, knownMuted: false, shapeMuted: false };
}

/** Systems a free-text token may be claimed in by index membership alone. */
const FREE_TEXT_KNOWN: ReadonlySet<CodeSystem> = new Set<CodeSystem>([
  'icd10cm',
  'icd10pcs',
  'hcpcs',
  'cpt',
  'icd9cm-dx',
  'loinc',
  'ndc',
]);

/**
 * Whether a word starting with these two characters may be a keyword of {@link systemsForKeywordAt}:
 * first C, H, I, L, N, P, R or S; second C, D, N, O, P, V or X (`CVX`, `HCPCS`, `ICD-10`, `LOINC`…).
 */
function mayStartKeyword(first: number, second: number): boolean {
  const a = first & ~32;
  const b = second & ~32;
  return (
    (a === 67 || a === 72 || a === 73 || a === 76 || a === 78 || a === 80 || a === 82 || a === 83) &&
    (b === 67 || b === 68 || b === 78 || b === 79 || b === 80 || b === 86 || b === 88)
  );
}

/** Whether a keyword of {@link systemsForKeywordAt} may end with this character (C D I M S T X 0 9). */
function mayEndKeyword(c: number): boolean {
  const u = c >= 97 ? c - 32 : c;
  return (
    u === 67 || u === 68 || u === 73 || u === 77 || u === 83 || u === 84 || u === 88 || u === 48 || u === 57
  );
}

/**
 * Whether `text[start, end)` may be a keyword of {@link systemsForKeywordAt} (3 to 10 characters,
 * `CVX` … `ICD-10-PCS`, with a first, second and last character that some keyword has): asked before
 * the word is looked up, which most words before a number are not worth.
 */
export function couldBeKeywordAt(text: string, start: number, end: number): boolean {
  return (
    end - start >= 3 &&
    end - start <= 10 &&
    mayStartKeyword(text.charCodeAt(start), text.charCodeAt(start + 1)) &&
    mayEndKeyword(text.charCodeAt(end - 1))
  );
}

/** Characters allowed between a keyword and its code: space, tab, `:`, `#`, `*`, `(`, `=`. */
function isGapChar(c: number): boolean {
  return c === 32 || c === 9 || c === 58 || c === 35 || c === 42 || c === 40 || c === 61;
}

/**
 * Free-text scanning. Text is read as maximal runs of `[A-Za-z0-9.-]` ("tokens", trimmed of `.`/`-`
 * at both ends); only a token with a digit can be a code, so the walk jumps from digit to digit
 * (a regex finds the next one far faster than a character loop) and expands each to its run. The
 * word before a token (for keywords such as `CVX 150` and for `Room B12`) is found by looking back
 * over at most four gap characters; every character is visited a bounded number of times.
 */
function scanFreeText(scan: Scan): void {
  const { text } = scan;
  const { coveredStart, coveredEnd } = scan;
  // Covered ranges by start (they usually arrive in order; JSON closes objects inside out).
  let order: number[] | undefined;
  for (let k = 1; k < coveredStart.length; k++) {
    if (coveredStart[k - 1]! > coveredStart[k]!) {
      order = coveredStart.map((_, idx) => idx).sort((x, y) => coveredStart[x]! - coveredStart[y]!);
      break;
    }
  }
  const ncov = coveredStart.length;
  let ci = 0;
  const n = text.length;
  const digit = /[0-9]/g;
  // The last run expanded, so looking back never walks over it again.
  let lastRunStart = -1;
  let lastRunEnd = -1;
  // Where the search for the next digit resumes.
  let from = 0;
  for (;;) {
    // A digit a few characters on is found directly; farther ones by the regex (much faster per
    // character than a loop, but dearer per call).
    let d = from;
    const near = Math.min(n, from + 6);
    while (d < near && (text.charCodeAt(d) < 48 || text.charCodeAt(d) > 57)) d++;
    if (d === near) {
      digit.lastIndex = near;
      if (!digit.test(text)) break;
      d = digit.lastIndex - 1;
    }
    let i = d;
    while (i > 0 && charClass(text.charCodeAt(i - 1)) !== 0) i--;
    // [i, j) is a maximal run; `_` or a letter glued on either side (`dx_1`, `word@x`) still splits.
    // The token is the run without `.`/`-` at either end: [s, e), with its classes and hash.
    let s = i;
    while (text.charCodeAt(s) === 46 || text.charCodeAt(s) === 45) s++; // stops at the digit at the latest
    let j = s;
    let e = s;
    let classes = 0;
    let hash = 0;
    let tokenClasses = 0;
    let tokenHashValue = 0;
    while (j < n) {
      const c = text.charCodeAt(j);
      const k = charClass(c);
      if (k === 0) break;
      classes |= k;
      hash = (Math.imul(hash, 31) + c) & 0x3fffffff;
      j++;
      if (c !== 46 && c !== 45) {
        e = j;
        tokenClasses = classes;
        tokenHashValue = hash;
      }
    }
    from = j;
    const runStart = i;
    const previousRunStart = lastRunStart;
    const previousRunEnd = lastRunEnd;
    lastRunStart = i;
    lastRunEnd = j;
    if (s >= e || e - s > MAX_LENGTH + 8) continue;
    while (ci < ncov && coveredEnd[order ? order[ci]! : ci]! <= s) ci++;
    if (ci < ncov) {
      const k = order ? order[ci]! : ci;
      if (coveredStart[k]! < e) {
        // Covered: so is every later run that starts before the range ends.
        if (coveredEnd[k]! > j) from = coveredEnd[k]!;
        continue;
      }
    }
    if ((i > 0 && text.charCodeAt(i - 1) === 95) || (j < n && text.charCodeAt(j) === 95)) continue;
    // Bare digits, a short token or a lower-case one without hyphen is claimed only after a keyword.
    const keywordOnly =
      tokenClasses === C_DIGIT ||
      e - s < 3 ||
      ((tokenClasses & C_LOWER) !== 0 && (tokenClasses & C_HYPHEN) === 0);
    // The word right before, when only a short gap of allowed characters separates them.
    let prevStart = -1;
    let prevEnd = -1;
    if (s === runStart) {
      let g = s - 1;
      while (g >= 0 && s - g <= 5 && isGapChar(text.charCodeAt(g))) g--;
      if (g >= 0 && s - g <= 5) {
        const c = text.charCodeAt(g);
        if (charClass(c) !== 0 && c !== 46 && c !== 45 && !(keywordOnly && !mayEndKeyword(c))) {
          prevEnd = g + 1;
          let r = g;
          if (g < previousRunEnd && g >= previousRunStart) r = previousRunStart;
          else while (r > 0 && charClass(text.charCodeAt(r - 1)) !== 0) r--;
          while (text.charCodeAt(r) === 46 || text.charCodeAt(r) === 45) r++;
          prevStart = r;
        }
      }
    }
    if (keywordOnly && prevStart < 0) continue;
    let keyword: readonly CodeSystem[] | undefined;
    const wordEnd = Math.min(prevEnd, prevStart + 16);
    if (prevStart >= 0 && couldBeKeywordAt(text, prevStart, wordEnd))
      keyword = systemsForKeywordAt(text, prevStart, wordEnd);
    if (keywordOnly && keyword === undefined) continue;
    if (
      !claimFreeToken(scan, s, e, keyword, prevStart, wordEnd, tokenClasses, tokenHashValue) &&
      tokenClasses & C_HYPHEN &&
      tokenClasses & (C_UPPER | C_DOT) // parts of digits and lower case only (`2025-10-06`) are nothing
    ) {
      // A hyphenated run that is not itself a code (`I10-I15`, `G35.B-/`): try its parts.
      const whole = scan.unclaimed;
      if (whole?.partsBarren === true) continue;
      // whether what the parts give depends on the token alone: a part read as a number (no upper
      // case) may depend on a unit after it
      let contextFree = true;
      let claimed = false;
      let p = s;
      while (p < e) {
        let q = p;
        let partClasses = 0;
        for (let c = text.charCodeAt(q); q < e && c !== 45; c = text.charCodeAt(++q))
          partClasses |= charClass(c);
        let partStart = p;
        let partEnd = q;
        while (partStart < partEnd && text.charCodeAt(partStart) === 46) partStart++;
        while (partEnd > partStart && text.charCodeAt(partEnd - 1) === 46) partEnd--;
        // a part is claimed only with a digit, in upper case or with a dot (`E11.65`, `250.40`)
        if (
          partEnd > partStart &&
          partClasses & C_DIGIT &&
          partClasses & (C_UPPER | C_DOT) &&
          !(partClasses & C_LOWER)
        ) {
          if (!(partClasses & C_UPPER)) contextFree = false;
          if (claimFreeToken(scan, partStart, partEnd, undefined, -1, -1)) claimed = true;
        }
        p = q + 1;
      }
      if (whole !== undefined && !claimed && contextFree) whole.partsBarren = true;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// FHIR JSON

interface JsonFrame {
  readonly isObject: boolean;
  expectKey: boolean;
  key: string | undefined;
  system: string | undefined;
  codes: Range[];
  modifierCodes: boolean;
}

/**
 * The end of the JSON string whose opening quote is at `open` (the index of its closing quote, or the
 * text's length when unterminated), and whether it holds a backslash escape. Linear, no regex.
 */
export function jsonStringEnd(text: string, open: number): { end: number; escaped: boolean } {
  const n = text.length;
  let j = open + 1;
  let escaped = false;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === 92) {
      escaped = true;
      j += 2;
      continue;
    }
    if (d === 34) break;
    j++;
  }
  return { end: Math.min(j, n), escaped };
}

function scanJson(scan: Scan): void {
  const { text } = scan;
  const stack: JsonFrame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const { end: j, escaped } = jsonStringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top && top.isObject) {
        if (top.expectKey) {
          top.key = escaped ? undefined : text.slice(i + 1, j);
          top.expectKey = false;
        } else if (!escaped) {
          if (top.key === 'system') top.system = text.slice(i + 1, j);
          else if (top.key === 'code') top.codes.push({ start: i + 1, end: j });
        }
      }
      i = j + 1;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      const parent = stack[stack.length - 1];
      stack.push({
        isObject: c === 123,
        expectKey: c === 123,
        key: undefined,
        system: undefined,
        codes: [],
        modifierCodes: parent?.modifierCodes === true || parent?.key === 'modifier',
      });
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      const frame = stack.pop();
      if (frame && frame.isObject && frame.system !== undefined) {
        const ctx = systemsForFhirUri(frame.system);
        for (const r of frame.codes) claimInContext(scan, r.start, r.end, ctx, 'fhir', frame.modifierCodes);
      }
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top && top.isObject) {
        top.expectKey = true;
        top.key = undefined;
      }
    }
    i++;
  }
}

// ---------------------------------------------------------------------------------------------
// FHIR XML

function scanXml(scan: Scan): void {
  const re = /<(\/?)coding\b|<(system|code)\s+value="([^"<>]*)"/g;
  let system: string | undefined;
  let codes: Range[] = [];
  const flush = (): void => {
    if (system !== undefined)
      for (const r of codes) claimInContext(scan, r.start, r.end, systemsForFhirUri(system), 'fhir');
    system = undefined;
    codes = [];
  };
  for (let m = re.exec(scan.text); m !== null; m = re.exec(scan.text)) {
    if (m[2] === undefined) {
      flush();
      continue;
    }
    const value = m[3] ?? '';
    const start = m.index + m[0].length - 1 - value.length;
    if (m[2] === 'system') system = value;
    else codes.push({ start, end: start + value.length });
  }
  flush();
}

// ---------------------------------------------------------------------------------------------
// HL7 v2

function scanHl7(scan: Scan): void {
  const { text } = scan;
  let i = 0;
  while (i < text.length && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 0xfeff)) i++;
  const fieldSep = text.charAt(i + 3) || '|';
  const enc = text.slice(i + 4, i + 8);
  const compSep = enc.charAt(0) || '^';
  const repSep = enc.charAt(1) || '~';
  const n = text.length;
  // Walk field by field; a field ends at the field separator, a segment at CR or LF.
  let fieldStart = i;
  for (let p = i; p <= n; p++) {
    const ch = p < n ? text.charAt(p) : '\r';
    if (ch === fieldSep || ch === '\r' || ch === '\n') {
      scanHl7Field(scan, fieldStart, p, compSep, repSep);
      fieldStart = p + 1;
    }
  }
}

function scanHl7Field(scan: Scan, start: number, end: number, compSep: string, repSep: string): void {
  const { text } = scan;
  let repStart = start;
  for (let p = start; p <= end; p++) {
    if (p === end || text.charAt(p) === repSep) {
      // Component boundaries of [repStart, p), at most 6 needed.
      const bounds: number[] = [repStart];
      for (let q = repStart; q < p && bounds.length <= 6; q++)
        if (text.charAt(q) === compSep) bounds.push(q + 1);
      const comp = (k: number): Range | undefined => {
        if (k >= bounds.length) return undefined;
        const s = bounds[k]!;
        const e = k + 1 < bounds.length ? bounds[k + 1]! - 1 : findCompEnd(text, s, p, compSep);
        return { start: s, end: e };
      };
      for (const [codeIdx, sysIdx] of [
        [0, 2],
        [3, 5],
      ] as const) {
        const sysR = comp(sysIdx);
        const codeR = comp(codeIdx);
        if (!sysR || !codeR) continue;
        const ctx = systemsForHl7Name(text.slice(sysR.start, sysR.end));
        if (ctx) claimInContext(scan, codeR.start, codeR.end, ctx, 'hl7');
      }
      repStart = p + 1;
    }
  }
}

function findCompEnd(text: string, s: number, limit: number, compSep: string): number {
  let e = s;
  while (e < limit && text.charAt(e) !== compSep) e++;
  return e;
}

// ---------------------------------------------------------------------------------------------
// X12

function scanX12(scan: Scan): void {
  const { text } = scan;
  let i = 0;
  while (i < text.length && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 0xfeff)) i++;
  let elemSep = '*';
  let compSep = ':';
  let segTerm = '~';
  if (text.startsWith('ISA', i) && text.length > i + 105) {
    elemSep = text.charAt(i + 3);
    compSep = text.charAt(i + 104);
    segTerm = text.charAt(i + 105);
  }
  const n = text.length;
  let segStart = i;
  for (let p = i; p <= n; p++) {
    if (p === n || text.charAt(p) === segTerm) {
      let s = segStart;
      while (s < p && isBlank(text.charCodeAt(s))) s++;
      if (s < p) scanX12Segment(scan, s, p, elemSep, compSep);
      segStart = p + 1;
    }
  }
}

function splitRanges(text: string, start: number, end: number, sep: string): Range[] {
  const out: Range[] = [];
  let s = start;
  for (let p = start; p <= end; p++) {
    if (p === end || text.charAt(p) === sep) {
      out.push({ start: s, end: p });
      s = p + 1;
    }
  }
  return out;
}

function scanX12Segment(scan: Scan, start: number, end: number, elemSep: string, compSep: string): void {
  const { text } = scan;
  const elems = splitRanges(text, start, end, elemSep);
  const id = text.slice(elems[0]!.start, elems[0]!.end).trim();
  const slice = (r: Range): string => text.slice(r.start, r.end).trim();
  if (id === 'HI') {
    for (const el of elems.slice(1)) {
      const comps = splitRanges(text, el.start, el.end, compSep);
      if (comps.length < 2) continue;
      claimInContext(scan, comps[1]!.start, comps[1]!.end, systemsForX12Qualifier(slice(comps[0]!)), 'x12');
    }
  } else if (id === 'SV1' || id === 'SV2' || id === 'SV3' || id === 'SV5' || id === 'SVD') {
    for (const el of elems.slice(1)) {
      const comps = splitRanges(text, el.start, el.end, compSep);
      if (comps.length < 2 || slice(comps[0]!) !== 'HC') continue;
      const ctx = systemsForX12Qualifier('HC');
      claimInContext(scan, comps[1]!.start, comps[1]!.end, ctx, 'x12');
      for (const m of comps.slice(2, 6)) claimInContext(scan, m.start, m.end, ctx, 'x12', true);
    }
  } else if (id === 'LIN' || id === 'CTP' || id === 'PO1') {
    for (let k = 1; k + 1 < elems.length; k++) {
      if (slice(elems[k]!) === 'N4')
        claimInContext(scan, elems[k + 1]!.start, elems[k + 1]!.end, systemsForX12Qualifier('N4'), 'x12');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CSV / TSV

interface CsvHeader {
  readonly delimiter: string;
  readonly columns: readonly ({ systems: readonly CodeSystem[]; modifier: boolean } | undefined)[];
}

/** The header of a delimited document when at least one column is named for a code system. */
/**
 * The first non-empty line of a delimited document (at most 4096 characters), where it ends, and the
 * delimiter it uses most (`,`, tab, `|` or `;`; `''` when it has none). Shared by the CSV scanner
 * and the date-of-service reader.
 */
export function csvFirstLine(text: string): { line: string; end: number; delimiter: string } {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < text.length && (text.charCodeAt(start) === 10 || text.charCodeAt(start) === 13)) start++;
  let end = start;
  while (
    end < text.length &&
    end - start < 4096 &&
    text.charCodeAt(end) !== 10 &&
    text.charCodeAt(end) !== 13
  )
    end++;
  const line = text.slice(start, end);
  let delimiter = '';
  let best = 0;
  for (const d of [',', '\t', '|', ';']) {
    const count = line.split(d).length - 1;
    if (count > best) {
      best = count;
      delimiter = d;
    }
  }
  return { line, end, delimiter };
}

function csvHeader(text: string): CsvHeader | undefined {
  const { line, end, delimiter } = csvFirstLine(text);
  if (delimiter === '') return undefined;
  const cells = line.split(delimiter).map((c) => c.trim().replace(/^"|"$/g, ''));
  if (
    cells.length < 2 ||
    cells.some((c) => c.length > 48 || !/^[A-Za-z0-9_ ()#./-]*$/.test(c) || c.split(' ').length > 4)
  )
    return undefined;
  // The next line must have as many cells (delimiters outside quotes): prose rarely does.
  let next = end;
  while (next < text.length && (text.charCodeAt(next) === 10 || text.charCodeAt(next) === 13)) next++;
  let count = 0;
  let quoted = false;
  let k = next;
  for (; k < text.length && k - next < 65536; k++) {
    const ch = text.charAt(k);
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === delimiter) count++;
  }
  if (k === next || count !== cells.length - 1) return undefined;
  const columns = cells.map((c) => systemsForCsvHeader(c));
  return columns.some((c) => c !== undefined) ? { delimiter, columns } : undefined;
}

/** Claims codes in code-named columns; returns `false` when the text has no such header. */
function scanCsv(scan: Scan): boolean {
  const header = csvHeader(scan.text);
  if (!header) return false;
  const { text } = scan;
  const columns = header.columns.map((c) =>
    c ? { ctx: { kind: 'systems', systems: c.systems } as ContextSystems, modifier: c.modifier } : undefined,
  );
  const delim = header.delimiter.charCodeAt(0);
  const QUOTE = 34;
  const LF = 10;
  const CR = 13;
  const n = text.length;
  let row = 0;
  let col = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i <= n) {
    // Read one cell starting at i; a quoted cell may span lines and contain doubled quotes.
    let cellStart = i;
    let cellEnd: number;
    let next: number;
    if (i < n && text.charCodeAt(i) === QUOTE) {
      let j = i + 1;
      while (j < n) {
        if (text.charCodeAt(j) === QUOTE) {
          if (text.charCodeAt(j + 1) === QUOTE) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      cellStart = i + 1;
      cellEnd = Math.min(j, n);
      next = j + 1;
    } else {
      cellEnd = i;
      next = i;
    }
    // (an unquoted cell's spaces are noted on the way: it is all of [i, next))
    let spaces = 0;
    while (next < n) {
      const c = text.charCodeAt(next);
      if (c === delim || c === LF || c === CR) break;
      if (c === 32) spaces++;
      next++;
    }
    const quoted = i < n && text.charCodeAt(i) === QUOTE;
    if (cellEnd === i && !quoted) cellEnd = next;
    if (row > 0) scanCsvCell(scan, cellStart, cellEnd, columns[col], quoted ? -1 : spaces);
    else cover(scan, cellStart, cellEnd);
    if (next >= n) break;
    const sep = text.charCodeAt(next);
    if (sep === delim) {
      col++;
      i = next + 1;
    } else {
      row++;
      col = 0;
      i = next + (sep === CR && text.charCodeAt(next + 1) === LF ? 2 : 1);
    }
  }
  return true;
}

function scanCsvCell(
  scan: Scan,
  start: number,
  end: number,
  column: { ctx: ContextSystems; modifier: boolean } | undefined,
  /** Spaces in the cell when the caller counted them, else -1. */
  spaces = -1,
): void {
  const { text } = scan;
  if (!column) {
    // An unmapped single-token cell (an amount, an id, a date) is data, not prose.
    let hasSpace = spaces > 0;
    if (spaces < 0) for (let p = start; p < end && !hasSpace; p++) hasSpace = text.charCodeAt(p) === 32;
    if (!hasSpace) cover(scan, start, end);
    return;
  }
  cover(scan, start, end);
  // Tokens inside the cell: `I10|I16.9`, `E11.9; E78.5`, `Z79.4 (long term)`. A lone token may be
  // reported malformed; one of several may be a word (`Z79.4 (long term)`).
  let first = start;
  while (first < end && !isTokenChar(text.charCodeAt(first))) first++;
  if (first === end) return;
  let firstEnd = first;
  while (firstEnd < end && isTokenChar(text.charCodeAt(firstEnd))) firstEnd++;
  let more = firstEnd;
  while (more < end && !isTokenChar(text.charCodeAt(more))) more++;
  const single = more === end;
  let p = first;
  while (p < end) {
    if (!isTokenChar(text.charCodeAt(p))) {
      p++;
      continue;
    }
    let q = p;
    while (q < end && isTokenChar(text.charCodeAt(q))) q++;
    claimInContext(scan, p, q, column.ctx, 'csv', column.modifier, single);
    p = q;
  }
}
