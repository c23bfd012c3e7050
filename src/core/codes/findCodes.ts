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
 * Complexity: every pass is a single left-to-right walk (no regex over the whole text except
 * anchored, quantifier-flat ones on bounded tokens), so a scan is O(n) plus O(m log m) to order
 * the m matches. A 1 MB adversarial line scans in milliseconds (see the unit tests).
 */

import {
  systemsForCsvHeader,
  systemsForFhirUri,
  systemsForHl7Name,
  systemsForKeyword,
  systemsForX12Qualifier,
} from './systems';
import type { CodeSystem, ContextSystems } from './systems';
import { canonicalModifier, isDistinctiveShape, MAX_CODE_LENGTH, recogniseAll } from './recognise';
import type { Recognised } from './recognise';

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
  /** Ranges that free-text scanning must skip (claimed or foreign). */
  readonly covered: Range[];
}

/** Finds every code in `text`. See the module comment for the rules; output is sorted by `start`. */
export function findCodes(text: string, context: FindCodesContext = {}): CodeMatch[] {
  const scan: Scan = { text, isKnown: context.isKnown, matches: [], covered: [] };
  const format = context.format ?? detectFormat(text);
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
  scan.matches.sort((a, b) => a.start - b.start);
  return scan.matches;
}

/** The match covering `offset` (start ≤ offset ≤ end, so a caret just after a code counts), if any. */
export function findCodeAt(
  text: string,
  offset: number,
  context: FindCodesContext = {},
): CodeMatch | undefined {
  const matches = findCodes(text, context);
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
  while (start < end && isBlank(scan.text.charCodeAt(start))) start++;
  while (end > start && isBlank(scan.text.charCodeAt(end - 1))) end--;
  if (start >= end || ctx === undefined) return;
  scan.covered.push({ start, end });
  if (ctx.kind === 'foreign') return;
  const raw = scan.text.slice(start, end);
  if (raw.length > MAX_CODE_LENGTH + 2) return;
  let found: Recognised[];
  if (modifier) {
    const m = canonicalModifier(raw);
    found = m === undefined ? [] : [{ system: ctx.systems[0]!, code: m, kind: 'modifier' }];
  } else {
    found = recogniseAll(raw, ctx.systems);
  }
  if (found.length > 0) {
    scan.matches.push({
      start,
      end,
      text: raw,
      candidates: knownFirst(scan, found),
      confidence: 'high',
      evidence,
    });
  } else if (reportMalformed && TOKENISH.test(raw)) {
    const code = raw.toUpperCase();
    const kind = modifier ? 'modifier' : 'code';
    scan.matches.push({
      start,
      end,
      text: raw,
      candidates: ctx.systems.map((system) => ({ system, code, kind })),
      confidence: 'high',
      evidence,
      malformed: true,
    });
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

/**
 * Systems tried for a free-text token by its first character, in preference order. HCPCS comes
 * before ICD-10-CM because prose writes ICD-10-CM dotted: an undotted `G0439` that both indexes
 * know (HCPCS G0439, ICD-10-CM G04.39) is far more likely the HCPCS code; both stay as candidates.
 */
const LETTER_FIRST: readonly CodeSystem[] = ['hcpcs', 'icd10cm', 'icd10pcs', 'icd9cm-dx'];
const DIGIT_FIRST: readonly CodeSystem[] = ['icd10pcs', 'cpt', 'icd9cm-dx', 'icd9cm-proc', 'loinc', 'ndc'];

/** Free-text readings of one token (already trimmed of `.`/`-` at both ends). */
function claimFreeToken(
  scan: Scan,
  start: number,
  end: number,
  keyword: readonly CodeSystem[] | undefined,
  prevWord: string,
): boolean {
  if (end - start > MAX_CODE_LENGTH) return false;
  if (end - start < 3 && !keyword) return false; // shortest free-text code: `I10`
  const { text } = scan;
  let hasDigit = false;
  let hasLower = false;
  let hasLetter = false;
  for (let p = start; p < end; p++) {
    const c = text.charCodeAt(p);
    if (c >= 48 && c <= 57) hasDigit = true;
    else if (c >= 97 && c <= 122) hasLower = true;
    else if (c >= 65 && c <= 90) hasLetter = true;
  }
  if (!hasDigit) return false; // every code shape we claim in prose has a digit
  const raw = text.slice(start, end);
  if (keyword) {
    const found = recogniseAll(raw, keyword);
    if (found.length > 0) {
      scan.matches.push({
        start,
        end,
        text: raw,
        candidates: knownFirst(scan, found),
        confidence: 'high',
        evidence: 'keyword',
      });
      return true;
    }
  }
  if (hasLower) return false; // `A1c`, `q6h`, `hl7.org`: free-text codes are upper case
  const first = text.charCodeAt(start);
  const numeric = !hasLetter;
  if (numeric && raw.indexOf('.') < 0 && raw.indexOf('-') < 0) return false; // bare numbers: context only
  const all = recogniseAll(raw, first >= 48 && first <= 57 ? DIGIT_FIRST : LETTER_FIRST);
  if (all.length === 0) return false;
  const isKnown = scan.isKnown;
  if (isKnown && !NOT_BEFORE_CODES.has(prevWord.toUpperCase()) && !(numeric && unitFollows(text, end))) {
    const known = all.filter((r) => FREE_TEXT_KNOWN.has(r.system) && isKnown(r.system, r.code));
    if (known.length > 0) {
      scan.matches.push({
        start,
        end,
        text: raw,
        candidates: known.map((r) => ({ ...r, known: true })),
        confidence: 'high',
        evidence: 'known',
      });
      return true;
    }
  }
  const distinctive = all.filter((r) => isDistinctiveShape(r.system, raw));
  if (distinctive.length === 0) return false;
  scan.matches.push({
    start,
    end,
    text: raw,
    candidates: knownFirst(scan, distinctive),
    confidence: 'medium',
    evidence: 'shape',
  });
  return true;
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

function hasHyphen(text: string, s: number, e: number): boolean {
  for (let p = s; p < e; p++) if (text.charCodeAt(p) === 45) return true;
  return false;
}

function scanFreeText(scan: Scan): void {
  const { text } = scan;
  const covered = scan.covered.slice().sort((a, b) => a.start - b.start);
  let ci = 0;
  let prevWord = '';
  let prevEnd = -1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isTokenChar(text.charCodeAt(j))) j++;
    // [i, j) is a maximal run; `_` or a letter glued on either side (`dx_1`, `word@x`) still splits.
    let s = i;
    let e = j;
    while (s < e && (text.charCodeAt(s) === 46 || text.charCodeAt(s) === 45)) s++;
    while (e > s && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--;
    while (ci < covered.length && covered[ci]!.end <= s) ci++;
    const isCovered = ci < covered.length && covered[ci]!.start < e;
    const glued = (i > 0 && text.charCodeAt(i - 1) === 95) || (j < n && text.charCodeAt(j) === 95);
    if (s < e && !isCovered && !glued && e - s <= MAX_CODE_LENGTH + 8) {
      const gap = prevEnd >= 0 ? text.slice(prevEnd, s) : '';
      const adjacent = prevEnd >= 0 && gap.length <= 4 && /^[ \t:#*(=]*$/.test(gap);
      const keyword = adjacent ? systemsForKeyword(prevWord) : undefined;
      if (!claimFreeToken(scan, s, e, keyword, adjacent ? prevWord : '') && hasHyphen(text, s, e)) {
        // A hyphenated run that is not itself a code (`I10-I15`, `G35.B-/`): try its parts.
        let p = s;
        while (p < e) {
          let q = p;
          while (q < e && text.charCodeAt(q) !== 45) q++;
          let ps = p;
          let pe = q;
          while (ps < pe && text.charCodeAt(ps) === 46) ps++;
          while (pe > ps && text.charCodeAt(pe - 1) === 46) pe--;
          if (pe > ps) claimFreeToken(scan, ps, pe, undefined, '');
          p = q + 1;
        }
      }
    }
    prevWord = text.slice(s, Math.min(e, s + 16));
    prevEnd = e;
    i = j;
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

function scanJson(scan: Scan): void {
  const { text } = scan;
  const stack: JsonFrame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      let j = i + 1;
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
function csvHeader(text: string): CsvHeader | undefined {
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
  if (best === 0) return undefined;
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
  const { columns } = header;
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
    while (next < n) {
      const c = text.charCodeAt(next);
      if (c === delim || c === LF || c === CR) break;
      next++;
    }
    if (cellEnd === i && !(i < n && text.charCodeAt(i) === QUOTE)) cellEnd = next;
    if (row > 0) scanCsvCell(scan, cellStart, cellEnd, columns[col]);
    else scan.covered.push({ start: cellStart, end: cellEnd });
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
  column: { systems: readonly CodeSystem[]; modifier: boolean } | undefined,
): void {
  const { text } = scan;
  if (!column) {
    // An unmapped single-token cell (an amount, an id, a date) is data, not prose.
    let hasSpace = false;
    for (let p = start; p < end && !hasSpace; p++) hasSpace = text.charCodeAt(p) === 32;
    if (!hasSpace) scan.covered.push({ start, end });
    return;
  }
  scan.covered.push({ start, end });
  const ctx: ContextSystems = { kind: 'systems', systems: column.systems };
  // Tokens inside the cell: `I10|I16.9`, `E11.9; E78.5`, `Z79.4 (long term)`.
  const tokens: Range[] = [];
  let p = start;
  while (p < end) {
    if (!isTokenChar(text.charCodeAt(p))) {
      p++;
      continue;
    }
    let q = p;
    while (q < end && isTokenChar(text.charCodeAt(q))) q++;
    tokens.push({ start: p, end: q });
    p = q;
  }
  const single = tokens.length === 1;
  for (const t of tokens) claimInContext(scan, t.start, t.end, ctx, 'csv', column.modifier, single);
}
