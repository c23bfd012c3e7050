/**
 * Codify results as files (issue 7, item 4: export as CSV or JSON). Pure text builders.
 *
 * A lazy chunk (esbuild.js LAZY_CHUNKS: `src/core/codify/export.ts`): the CSV writer pulls in
 * papaparse, which activation must not pay for. The host reaches this module only with a
 * `require('…/core/codify/export')` inside the function that exports.
 */
import * as Papa from 'papaparse';
import type { EnrichedAssessment } from '../../shared/codifyProtocol';

/** Columns every CSV export starts with; the assessments' extra fields follow, in first-seen order. */
export const CSV_COLUMNS = [
  'code',
  'description',
  'system',
  'display',
  'index_title',
  'index_release',
  'billable',
  'index_status',
  'successors',
  'disagreement',
] as const;

/** Extra field names of `assessments` in first-seen order. */
export function extraFieldsOf(assessments: readonly EnrichedAssessment[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const a of assessments) {
    for (const k of Object.keys(a.extra)) {
      if (!seen.has(k)) {
        seen.add(k);
        out.push(k);
      }
    }
  }
  return out;
}

/** A cell for a value of any type: text as is, numbers and booleans as written, anything else as JSON. */
function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * One row per assessment: Codify's code and description, what the local index says (system,
 * canonical display, title, release, billable, status, successors separated by spaces,
 * disagreement), then every extra field of the answer (an extra field that collides with a fixed
 * column gets an `extra:` prefix). Cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
 * `@` first) are escaped with a leading `'` (papaparse's `escapeFormulae`): the text came from a
 * server. CRLF line ends, as RFC 4180 and spreadsheets expect.
 */
export function assessmentsToCsv(
  assessments: readonly EnrichedAssessment[],
  extraFields: readonly string[] = extraFieldsOf(assessments),
): string {
  const fixed = new Set<string>(CSV_COLUMNS);
  const extraHeaders = extraFields.map((f) => (fixed.has(f) ? `extra:${f}` : f));
  const rows = assessments.map((a) => {
    const i = a.index;
    return [
      a.code,
      a.description,
      i.system ?? '',
      i.display ?? '',
      i.title ?? '',
      i.release ?? '',
      i.billable === undefined ? '' : String(i.billable),
      i.status,
      (i.successors ?? []).join(' '),
      i.disagreement ?? '',
      ...extraFields.map((f) => cell(a.extra[f])),
    ];
  });
  const csv = Papa.unparse(
    { fields: [...CSV_COLUMNS, ...extraHeaders], data: rows },
    { newline: '\r\n', escapeFormulae: true },
  );
  // papaparse ends a header-only table with a newline but not one with rows
  return csv.endsWith('\r\n') ? csv : `${csv}\r\n`;
}

/** What a JSON export holds besides the assessments. */
export interface JsonExportContext {
  /** Request ids the server returned. */
  readonly requestIds: readonly string[];
  /** Top-level fields of the answer other than the assessments. */
  readonly answerFields?: Readonly<Record<string, unknown>>;
}

/**
 * The results as JSON: the request ids, the answer's other top-level fields, and per assessment
 * the assessment exactly as Codify sent it (`code`, `description`, then its other fields) beside
 * `localIndex`, what the local index says. Two-space indent, trailing newline.
 */
export function assessmentsToJson(
  assessments: readonly EnrichedAssessment[],
  context: JsonExportContext = { requestIds: [] },
): string {
  const body = {
    requestIds: [...context.requestIds],
    answerFields: { ...(context.answerFields ?? {}) },
    assessments: assessments.map((a) => ({
      assessment: { code: a.code, description: a.description, ...a.extra },
      localIndex: a.index,
    })),
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}
