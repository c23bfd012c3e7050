/**
 * Crosswalk mappings as CSV: the export (one row per mapping target, canonical order, so two
 * exports can be diffed line by line) and the import (the same columns, plus an optional `action`),
 * with a plan that groups the rows into API batches that remember their CSV lines.
 *
 * CSV reading and writing is papaparse's (RFC 4180 quoting); nothing here splits lines by hand.
 *
 * Formula injection: the export keeps every cell exactly as the server has it by default, because
 * the file is meant to be diffed and imported again and a changed cell would be a changed value.
 * Spreadsheet programs run cells that start with `=`, `+`, `-`, `@` (or tab/CR) as formulas; pass
 * `{ spreadsheetSafe: true }` to {@link toCsv} for a file meant for Excel, and its display and
 * attribute cells that start so get a leading `'`. Codes, slugs and identifiers never start so and
 * are never changed. Such a file is for reading: importing it back would keep the `'` in attribute
 * values.
 */

import * as Papa from 'papaparse';
// `../../core/codes` rather than `../codes`: the ESLint layer rule reads any `../codes` as the
// `codes` feature folder, though from here it is core's own module.
import { escapeMarkdown } from '../../core/codes/hoverText';
import { CROSSWALK_LIMITS, isKnownSlug, textLength } from './limits';
import type { CustomAttribute, Mapping, MappingDeletion, MappingTarget, NewMapping } from './model';

/** The fixed columns of an export, in order. Attribute columns (`attr:<key>`, keys sorted) follow. */
export const CROSSWALK_CSV_COLUMNS = [
  'sourceCodeSystem',
  'sourceCode',
  'sourceDisplay',
  'targetCodeSystem',
  'targetCode',
  'targetDisplay',
  'codeIdentifier',
] as const;

/** Prefix of a target custom-attribute column: `attr:Sub-category`. */
export const ATTRIBUTE_COLUMN_PREFIX = 'attr:';

/** The optional import column saying what to do with a row: `add` (the default) or `delete`. */
export const ACTION_COLUMN = 'action';

/** Columns an import must have. */
export const REQUIRED_IMPORT_COLUMNS = [
  'sourceCodeSystem',
  'sourceCode',
  'targetCodeSystem',
  'targetCode',
] as const;

/** Line end of exported files (RFC 4180). */
const CRLF = '\r\n';

/** Cells that a spreadsheet would read as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Ordinal comparison: the same order on every machine and locale (what a canonical file needs). */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Options of {@link toCsv}. */
export interface CsvExportOptions {
  /**
   * Prefix display and attribute cells that start with `=`, `+`, `-`, `@`, tab or CR with `'` so a
   * spreadsheet shows them as text. Default `false`: cells are exact (see the module comment).
   */
  spreadsheetSafe?: boolean;
}

/**
 * The attribute keys of the targets of `mappings`, sorted: the `attr:<key>` columns of an export.
 */
export function attributeKeysOf(mappings: readonly Mapping[]): string[] {
  const keys = new Set<string>();
  for (const m of mappings)
    for (const t of m.targets ?? []) for (const a of t.customAttributes ?? []) keys.add(a.key);
  return [...keys].sort(cmp);
}

/** The header of an export of `mappings`: {@link CROSSWALK_CSV_COLUMNS}, then `attr:<key>` per key. */
export function csvColumnsFor(mappings: readonly Mapping[]): string[] {
  return [
    ...CROSSWALK_CSV_COLUMNS,
    ...attributeKeysOf(mappings).map((k) => `${ATTRIBUTE_COLUMN_PREFIX}${k}`),
  ];
}

/**
 * Attribute values of one target by key. A key given twice on one target (the server treats keys as
 * unique, so this should not happen) keeps both values, joined by a line break, rather than one.
 */
function attributeValues(t: MappingTarget | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of t?.customAttributes ?? []) {
    const prev = out.get(a.key);
    out.set(a.key, prev === undefined ? (a.value ?? '') : `${prev}\n${a.value ?? ''}`);
  }
  return out;
}

/**
 * The mappings as CSV text: the header of {@link csvColumnsFor}, then one row per target (a mapping
 * without targets gives one row with empty target columns), sorted by source system, source code,
 * target system, target code (ordinal, then code identifier), CRLF line ends including after the
 * last row, RFC 4180 quoting. An attribute a target does not have is an empty cell (so an attribute
 * whose value is empty reads back as absent). Crosswalk-level data (name, attributes) is not in the
 * file: it is a plain table.
 */
export function toCsv(mappings: readonly Mapping[], options: CsvExportOptions = {}): string {
  const keys = attributeKeysOf(mappings);
  const header = [...CROSSWALK_CSV_COLUMNS, ...keys.map((k) => `${ATTRIBUTE_COLUMN_PREFIX}${k}`)];
  const safe = (v: string): string => (options.spreadsheetSafe && FORMULA_START.test(v) ? `'${v}` : v);
  const rows: string[][] = [];
  for (const m of mappings) {
    const targets: (MappingTarget | undefined)[] = m.targets?.length ? m.targets : [undefined];
    for (const t of targets) {
      const attrs = attributeValues(t);
      rows.push([
        m.sourceCodeSystem ?? '',
        m.sourceCode ?? '',
        safe(m.sourceDisplay ?? ''),
        m.targetCodeSystem ?? '',
        t?.targetCode ?? '',
        safe(t?.targetDisplay ?? ''),
        t?.identifier ?? '',
        ...keys.map((k) => safe(attrs.get(k) ?? '')),
      ]);
    }
  }
  const order = [0, 1, 3, 4, 6];
  rows.sort((a, b) => {
    for (const i of order) {
      const c = cmp(a[i], b[i]);
      if (c !== 0) return c;
    }
    return cmp(JSON.stringify(a), JSON.stringify(b));
  });
  const text = Papa.unparse({ fields: header, data: rows }, { newline: CRLF, quotes: false });
  // Papa ends a header-only table with a line break, and a table with rows without one.
  return text.endsWith(CRLF) ? text : text + CRLF;
}

/** What an import row asks for. */
export type ImportAction = 'add' | 'delete';

/** One valid row of an import file. Codes are trimmed, slugs trimmed and lower-cased. */
export interface ImportRow {
  /** 1-based line of the file where the row starts (the header is on line 1 unless blank lines precede it). */
  readonly line: number;
  readonly action: ImportAction;
  readonly sourceCodeSystem: string;
  readonly sourceCode: string;
  readonly targetCodeSystem: string;
  readonly targetCode: string;
  /** From the non-empty `attr:<key>` cells of an `add` row, in column order; empty for deletes. */
  readonly customAttributes: CustomAttribute[];
}

/** A row that will not be imported, and why. */
export interface InvalidRow {
  readonly line: number;
  readonly reason: string;
}

/** What {@link parseImportCsv} found. */
export interface ParsedImport {
  readonly rows: ImportRow[];
  readonly invalid: InvalidRow[];
  /** Problems with the file as a whole (header); when any, `rows` and `invalid` are empty. */
  readonly problems: string[];
  /** The delimiter used: `\t` when the header line has a tab, `,` otherwise. */
  readonly delimiter: ',' | '\t';
}

/** Where each line starts, to turn an offset into a 1-based line number (CRLF, LF and CR all end a line, as in the editor). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10) starts.push(i + 1);
  }
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** A record as papaparse read it, with where it starts and ends in the text. */
interface RawRecord {
  fields: string[];
  start: number;
  end: number;
  errors: Papa.ParseError[];
}

function readRecords(text: string, delimiter: string): RawRecord[] {
  const out: RawRecord[] = [];
  let start = 0;
  Papa.parse<string[]>(text, {
    delimiter,
    header: false,
    skipEmptyLines: false,
    step: (r) => {
      const end = r.meta.cursor;
      out.push({ fields: r.data, start, end, errors: r.errors });
      start = end;
    },
  });
  return out;
}

type Column =
  | { kind: 'field'; name: (typeof REQUIRED_IMPORT_COLUMNS)[number] | 'action' }
  | { kind: 'attr'; key: string }
  | { kind: 'ignored' };

const KNOWN_COLUMNS = new Map<string, Column>([
  ...REQUIRED_IMPORT_COLUMNS.map((n): [string, Column] => [n.toLowerCase(), { kind: 'field', name: n }]),
  [ACTION_COLUMN, { kind: 'field', name: 'action' }],
  ['sourcedisplay', { kind: 'ignored' }],
  ['targetdisplay', { kind: 'ignored' }],
  ['codeidentifier', { kind: 'ignored' }],
]);

/** Reads the header; returns the columns or the problems that stop the import. */
function readHeader(
  fields: readonly string[],
  rawHeaderLine: string,
): { columns: Column[]; problems: string[] } {
  const problems: string[] = [];
  const columns: Column[] = [];
  const seen = new Map<string, string>();
  fields.forEach((raw, i) => {
    const name = raw.trim();
    const lower = name.toLowerCase();
    let col: Column | undefined;
    let id: string;
    if (lower.startsWith(ATTRIBUTE_COLUMN_PREFIX)) {
      const key = name.slice(ATTRIBUTE_COLUMN_PREFIX.length).trim();
      id = `attr\u0000${key}`; // keys are data: compared exactly
      if (key === '')
        problems.push(`Column ${i + 1} ("${name}") has no attribute key after "${ATTRIBUTE_COLUMN_PREFIX}".`);
      else if (textLength(key) > CROSSWALK_LIMITS.attributeKeyMax) {
        problems.push(
          `Column ${i + 1}: the attribute key is ${textLength(key)} characters long; at most ${CROSSWALK_LIMITS.attributeKeyMax} are allowed.`,
        );
      }
      col = { kind: 'attr', key };
    } else {
      id = lower;
      col = KNOWN_COLUMNS.get(lower);
      if (!col) {
        if (name === '') problems.push(`Column ${i + 1} has no name.`);
        else {
          problems.push(
            `Unknown column "${name}" (column ${i + 1}). Columns are ${[...CROSSWALK_CSV_COLUMNS, ACTION_COLUMN].join(', ')} and ${ATTRIBUTE_COLUMN_PREFIX}<key> for attributes.`,
          );
        }
        col = { kind: 'ignored' };
      }
    }
    const first = seen.get(id);
    if (first !== undefined && name !== '')
      problems.push(`Column "${name}" appears twice (also "${first}").`);
    else seen.set(id, name);
    columns.push(col);
  });
  const present = new Set(columns.flatMap((c) => (c.kind === 'field' ? [c.name] : [])));
  const missing = REQUIRED_IMPORT_COLUMNS.filter((n) => !present.has(n));
  if (missing.length > 0) {
    let msg = `Missing required column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`;
    if (fields.length === 1 && rawHeaderLine.includes(';')) {
      msg += ' The file looks semicolon-separated; save it as comma-separated (or tab-separated) CSV.';
    }
    problems.unshift(msg);
  }
  return { columns, problems };
}

function describeQuoteError(errors: readonly Papa.ParseError[]): string {
  const codes = new Set(errors.map((e) => e.code));
  if (codes.has('MissingQuotes')) return 'a quoted field is never closed';
  if (codes.has('InvalidQuotes')) return 'a closing quote is followed by other text';
  return errors[0]?.message ?? 'malformed quotes';
}

/**
 * Reads an import file. Its columns are those of {@link toCsv} (`sourceDisplay`, `targetDisplay` and
 * `codeIdentifier` optional and ignored), `attr:<key>` columns that become target attributes, and an
 * optional `action` column: `add` (the default, also when empty) or `delete`.
 *
 * - A UTF-8 BOM is stripped. The delimiter is a tab when the header line contains one (TSV),
 *   otherwise a comma; semicolon files are refused with a hint (a problem).
 * - Column names are matched trimmed and case-insensitively; attribute keys after `attr:` are taken
 *   exactly (trimmed). Unknown, nameless or repeated columns are problems (a misspelt attribute
 *   column must not be dropped silently), as are missing required columns; then there are no rows.
 * - Rows: blank lines are skipped. A row with broken quoting, a different number of fields than the
 *   header (extra empty trailing fields excepted), an unknown action or slug, an empty code, an
 *   attribute value over 5000 characters, or that repeats an earlier row (same action, source
 *   system and code, target system and code) is invalid, with its line and the reason. A row that
 *   deletes what an earlier row adds (or the reverse) is invalid too: the order of the two calls
 *   would decide the outcome.
 * - Slugs are trimmed and lower-cased; codes are trimmed and otherwise kept exactly (no dot or case
 *   change: the server stores what it is sent). Empty attribute cells mean "no such attribute";
 *   attributes of delete rows are ignored.
 */
export function parseImportCsv(input: string): ParsedImport {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const firstBreak = text.search(/\r|\n/);
  const firstLine = firstBreak < 0 ? text : text.slice(0, firstBreak);
  const delimiter: ',' | '\t' = firstLine.includes('\t') ? '\t' : ',';
  const empty = (problems: string[]): ParsedImport => ({ rows: [], invalid: [], problems, delimiter });

  const starts = lineStarts(text);
  const records = readRecords(text, delimiter);
  const isBlankRecord = (r: RawRecord): boolean =>
    r.errors.length === 0 && r.fields.every((f) => f.trim() === '');
  const headerIndex = records.findIndex((r) => !isBlankRecord(r));
  if (headerIndex < 0) return empty(['The file is empty: it needs a header row and at least one mapping.']);
  const headerRec = records[headerIndex];
  if (headerRec.errors.length > 0) {
    return empty([
      `The header on line ${lineOf(starts, headerRec.start)} is malformed: ${describeQuoteError(headerRec.errors)}.`,
    ]);
  }
  const { columns, problems } = readHeader(headerRec.fields, text.slice(headerRec.start, headerRec.end));
  if (problems.length > 0) return empty(problems);

  const rows: ImportRow[] = [];
  const invalid: InvalidRow[] = [];
  const seen = new Map<string, { line: number; action: ImportAction }>();

  for (const rec of records.slice(headerIndex + 1)) {
    if (isBlankRecord(rec)) continue;
    const line = lineOf(starts, rec.start);
    if (rec.errors.length > 0) {
      const endLine = lineOf(starts, Math.max(rec.start, rec.end - 1));
      const span = endLine > line ? ` (lines ${line}–${endLine} were read as this one row)` : '';
      invalid.push({ line, reason: `Malformed quotes: ${describeQuoteError(rec.errors)}${span}.` });
      continue;
    }
    const f = rec.fields;
    const extraFilled = f.slice(columns.length).some((v) => v.trim() !== '');
    if (f.length < columns.length || extraFilled) {
      invalid.push({ line, reason: `The row has ${f.length} fields; the header has ${columns.length}.` });
      continue;
    }

    const values: Record<string, string> = {};
    const attrs: CustomAttribute[] = [];
    const reasons: string[] = [];
    columns.forEach((c, i) => {
      const v = f[i];
      if (c.kind === 'field') values[c.name] = v.trim();
      else if (c.kind === 'attr' && v !== '') {
        if (textLength(v) > CROSSWALK_LIMITS.attributeValueMax) {
          reasons.push(
            `attribute "${c.key}" is ${textLength(v)} characters long; at most ${CROSSWALK_LIMITS.attributeValueMax} are allowed`,
          );
        }
        attrs.push({ key: c.key, value: v });
      }
    });
    const actionText = (values.action ?? '').toLowerCase();
    let action: ImportAction = 'add';
    if (actionText === 'delete') action = 'delete';
    else if (actionText !== '' && actionText !== 'add')
      reasons.unshift(`unknown action "${values.action}" (use add or delete)`);
    const sourceCodeSystem = values.sourceCodeSystem.toLowerCase();
    const targetCodeSystem = values.targetCodeSystem.toLowerCase();
    const checkSlug = (field: string, slug: string): void => {
      if (slug === '') reasons.push(`${field} is empty`);
      else if (!isKnownSlug(slug)) reasons.push(`unknown ${field} "${slug}"`);
    };
    checkSlug('sourceCodeSystem', sourceCodeSystem);
    if (values.sourceCode === '') reasons.push('sourceCode is empty');
    checkSlug('targetCodeSystem', targetCodeSystem);
    if (values.targetCode === '') reasons.push('targetCode is empty');
    if (reasons.length > 0) {
      const r = reasons.join('; ');
      invalid.push({ line, reason: r.charAt(0).toUpperCase() + r.slice(1) + '.' });
      continue;
    }

    const key = JSON.stringify([sourceCodeSystem, values.sourceCode, targetCodeSystem, values.targetCode]);
    const earlier = seen.get(key);
    if (earlier) {
      invalid.push({
        line,
        reason:
          earlier.action === action
            ? `Duplicate of line ${earlier.line}.`
            : `Conflicts with line ${earlier.line}: one row adds and the other deletes the same mapping.`,
      });
      continue;
    }
    seen.set(key, { line, action });
    rows.push({
      line,
      action,
      sourceCodeSystem,
      sourceCode: values.sourceCode,
      targetCodeSystem,
      targetCode: values.targetCode,
      customAttributes: action === 'add' ? attrs : [],
    });
  }
  return { rows, invalid, problems: [], delimiter };
}

/** A batch of additions: one `POST …/mappings` call. */
export interface AddBatch {
  readonly kind: 'add';
  readonly mappings: NewMapping[];
  /** The CSV lines whose rows this batch carries, ascending. */
  readonly lines: number[];
  /** The line of each target: `targetLines[i][j]` is the line of `mappings[i].targets[j]`. */
  readonly targetLines: number[][];
}

/** A batch of deletions: one `DELETE …/mappings` call. */
export interface DeleteBatch {
  readonly kind: 'delete';
  readonly mappings: MappingDeletion[];
  /** The CSV lines whose rows this batch carries, ascending. */
  readonly lines: number[];
  /** The line of each target code: `targetLines[i][j]` is the line of `mappings[i].targetCodes[j]`. */
  readonly targetLines: number[][];
}

/** One API call of an import. */
export type Batch = AddBatch | DeleteBatch;

/**
 * A row adding a target that exists already but with other attribute values. Adding it again would
 * not change the attributes (as far as document 003 says); the mapping-attribute endpoint does
 * (`PATCH …/mappings/{codeIdentifier}/attributes`). Only the attributes the row gives are set;
 * an import never removes attributes.
 */
export interface AttributeChange {
  readonly row: ImportRow;
  /** The target's code identifier, from `existing`; `undefined` when the server did not give one. */
  readonly codeIdentifier: string | undefined;
  /** The attributes to add or update. */
  readonly set: CustomAttribute[];
}

/** What an import will do; see {@link planImport}. */
export interface ImportPlan {
  readonly adds: AddBatch[];
  readonly deletes: DeleteBatch[];
  /** Add rows whose target exists already with the same attributes: nothing to send. */
  readonly unchanged: ImportRow[];
  /** Delete rows whose target is not in the crosswalk: nothing to send. */
  readonly notPresent: ImportRow[];
  readonly attributeChanges: AttributeChange[];
  /** Row counts (targets, not mappings). `invalid` is the count passed in the options. */
  readonly summary: {
    adds: number;
    deletes: number;
    unchanged: number;
    notPresent: number;
    attributeChanges: number;
    invalid: number;
  };
}

/** Options of {@link planImport}. */
export interface PlanOptions {
  /** Mappings (source system + code + target system) per API call; default 50, at least 1. */
  batchSize?: number;
  /** The invalid rows of the parse, counted in the summary. */
  invalid?: readonly InvalidRow[];
}

/** Default mappings per API call of an import. */
export const DEFAULT_IMPORT_BATCH_SIZE = 50;

const mappingKey = (s: string, c: string, t: string): string => JSON.stringify([s, c, t]);

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Turns import rows into API calls. Rows are grouped into one mapping per source system, source code
 * and target system (in the order of their first line), and the mappings are split into batches of
 * at most `batchSize`, each listing the CSV lines it carries, so a failure midway can say which
 * lines were applied. With `existing` (the crosswalk's current mappings), adds of targets already
 * there are `unchanged` (or an {@link AttributeChange} when the row's attribute values differ) and
 * deletes of targets not there are `notPresent`; neither is sent. Codes are compared exactly.
 *
 * Note that each call on a published version makes a new version (document 003), so a larger batch
 * size means fewer versions.
 */
export function planImport(
  rows: readonly ImportRow[],
  existing?: readonly Mapping[],
  options: PlanOptions = {},
): ImportPlan {
  const size = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_IMPORT_BATCH_SIZE));
  const present = new Map<string, MappingTarget>();
  for (const m of existing ?? []) {
    for (const t of m.targets ?? []) {
      present.set(JSON.stringify([m.sourceCodeSystem, m.sourceCode, m.targetCodeSystem, t.targetCode]), t);
    }
  }
  const lookup = (r: ImportRow): MappingTarget | undefined =>
    present.get(JSON.stringify([r.sourceCodeSystem, r.sourceCode, r.targetCodeSystem, r.targetCode]));

  const unchanged: ImportRow[] = [];
  const notPresent: ImportRow[] = [];
  const attributeChanges: AttributeChange[] = [];
  const addGroups = new Map<string, { mapping: NewMapping; lines: number[] }>();
  const deleteGroups = new Map<string, { mapping: MappingDeletion; lines: number[] }>();

  for (const r of rows) {
    const key = mappingKey(r.sourceCodeSystem, r.sourceCode, r.targetCodeSystem);
    const base = {
      sourceCode: r.sourceCode,
      sourceCodeSystem: r.sourceCodeSystem,
      targetCodeSystem: r.targetCodeSystem,
    };
    if (r.action === 'add') {
      const there = existing ? lookup(r) : undefined;
      if (there) {
        const have = attributeValues(there);
        const set = r.customAttributes.filter((a) => have.get(a.key) !== (a.value ?? ''));
        if (set.length === 0) unchanged.push(r);
        else attributeChanges.push({ row: r, codeIdentifier: there.identifier, set });
        continue;
      }
      let g = addGroups.get(key);
      if (!g) {
        g = { mapping: { ...base, targets: [] }, lines: [] };
        addGroups.set(key, g);
      }
      g.mapping.targets.push(
        r.customAttributes.length > 0
          ? { targetCode: r.targetCode, customAttributes: r.customAttributes.map((a) => ({ ...a })) }
          : { targetCode: r.targetCode },
      );
      g.lines.push(r.line);
    } else {
      if (existing && !lookup(r)) {
        notPresent.push(r);
        continue;
      }
      let g = deleteGroups.get(key);
      if (!g) {
        g = { mapping: { ...base, targetCodes: [] }, lines: [] };
        deleteGroups.set(key, g);
      }
      g.mapping.targetCodes.push(r.targetCode);
      g.lines.push(r.line);
    }
  }

  const sortLines = (groups: { lines: number[] }[]): number[] =>
    groups.flatMap((g) => g.lines).sort((a, b) => a - b);
  const adds: AddBatch[] = chunk([...addGroups.values()], size).map((gs) => ({
    kind: 'add',
    mappings: gs.map((g) => g.mapping),
    lines: sortLines(gs),
    targetLines: gs.map((g) => g.lines),
  }));
  const deletes: DeleteBatch[] = chunk([...deleteGroups.values()], size).map((gs) => ({
    kind: 'delete',
    mappings: gs.map((g) => g.mapping),
    lines: sortLines(gs),
    targetLines: gs.map((g) => g.lines),
  }));
  return {
    adds,
    deletes,
    unchanged,
    notPresent,
    attributeChanges,
    summary: {
      adds: adds.reduce((n, b) => n + b.lines.length, 0),
      deletes: deletes.reduce((n, b) => n + b.lines.length, 0),
      unchanged: unchanged.length,
      notPresent: notPresent.length,
      attributeChanges: attributeChanges.length,
      invalid: options.invalid?.length ?? 0,
    },
  };
}

/** Options of {@link formatImportPreview}. */
export interface PreviewOptions {
  /** Heading of the document (default "Crosswalk import preview"). */
  title?: string;
  /** Rows listed per section before "… and N more" (default 500). */
  maxRows?: number;
}

const md = (s: string): string => escapeMarkdown(s);

function attrText(attrs: readonly CustomAttribute[]): string {
  return attrs.map((a) => `${md(a.key)} = ${md(a.value ?? '')}`).join('; ');
}

function table(head: string[], rows: string[][], max: number): string[] {
  const out = [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---:' : '---')).join(' | ')} |`,
  ];
  for (const r of rows.slice(0, max)) out.push(`| ${r.join(' | ')} |`);
  if (rows.length > max) out.push('', `… and ${rows.length - max} more.`);
  return out;
}

/**
 * A markdown preview of an import for a read-only document: a summary, then the rows to add (by
 * batch), to delete, whose attributes change, unchanged, not present, and the invalid rows with
 * their reasons. Every value from the file is escaped.
 */
export function formatImportPreview(
  plan: ImportPlan,
  invalid: readonly InvalidRow[],
  options: PreviewOptions = {},
): string {
  const max = Math.max(1, options.maxRows ?? 500);
  const s = plan.summary;
  const out: string[] = [`# ${md(options.title ?? 'Crosswalk import preview')}`, ''];
  out.push(
    '| | rows |',
    '|---|---:|',
    `| Add | ${s.adds} |`,
    `| Delete | ${s.deletes} |`,
    `| Change attributes | ${s.attributeChanges} |`,
    `| Unchanged (already there) | ${s.unchanged} |`,
    `| Not present (nothing to delete) | ${s.notPresent} |`,
    `| Invalid (not imported) | ${invalid.length} |`,
    '',
  );
  const calls = plan.adds.length + plan.deletes.length;
  out.push(
    `${calls} API call${calls === 1 ? '' : 's'}: ${plan.adds.length} to add, ${plan.deletes.length} to delete.`,
    '',
  );

  const src = (sys: string, code: string): string => `${md(sys)} ${md(code)}`;
  if (plan.adds.length > 0) {
    out.push('## Add', '');
    const rows: string[][] = [];
    plan.adds.forEach((b, bi) => {
      b.mappings.forEach((m, i) => {
        m.targets.forEach((t, j) => {
          rows.push([
            String(b.targetLines[i]?.[j] ?? ''),
            src(m.sourceCodeSystem, m.sourceCode),
            src(m.targetCodeSystem, t.targetCode),
            attrText(t.customAttributes ?? []),
            String(bi + 1),
          ]);
        });
      });
    });
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    out.push(...table(['Line', 'Source', 'Target', 'Attributes', 'Call'], rows, max), '');
  }
  if (plan.deletes.length > 0) {
    out.push('## Delete', '');
    const rows: string[][] = [];
    plan.deletes.forEach((b, bi) => {
      b.mappings.forEach((m, i) => {
        m.targetCodes.forEach((code, j) => {
          rows.push([
            String(b.targetLines[i]?.[j] ?? ''),
            src(m.sourceCodeSystem, m.sourceCode),
            src(m.targetCodeSystem, code),
            String(bi + 1),
          ]);
        });
      });
    });
    rows.sort((a, b) => Number(a[0]) - Number(b[0]));
    out.push(...table(['Line', 'Source', 'Target', 'Call'], rows, max), '');
  }
  const rowCells = (r: ImportRow): string[] => [
    String(r.line),
    src(r.sourceCodeSystem, r.sourceCode),
    src(r.targetCodeSystem, r.targetCode),
  ];
  if (plan.attributeChanges.length > 0) {
    out.push('## Change attributes', '');
    const rows = plan.attributeChanges.map((c) => [
      ...rowCells(c.row),
      attrText(c.set) + (c.codeIdentifier ? '' : ' *(no code identifier: cannot be changed)*'),
    ]);
    out.push(...table(['Line', 'Source', 'Target', 'Set'], rows, max), '');
  }
  if (plan.unchanged.length > 0) {
    out.push('## Unchanged (already in the crosswalk)', '');
    out.push(...table(['Line', 'Source', 'Target'], plan.unchanged.map(rowCells), max), '');
  }
  if (plan.notPresent.length > 0) {
    out.push('## Not present (nothing to delete)', '');
    out.push(...table(['Line', 'Source', 'Target'], plan.notPresent.map(rowCells), max), '');
  }
  if (invalid.length > 0) {
    out.push('## Invalid rows (not imported)', '');
    const rows = [...invalid].sort((a, b) => a.line - b.line).map((r) => [String(r.line), md(r.reason)]);
    out.push(...table(['Line', 'Reason'], rows, max), '');
  }
  return out.join('\n');
}
