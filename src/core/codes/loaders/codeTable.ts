/**
 * Loader for a plain two-column `code,description` table (CSV, TSV, semicolon- or pipe-separated),
 * the format users export from spreadsheets. Quoted fields follow RFC 4180 (see `delimited.ts`).
 * A header row is recognised when its first field names a code column (`code`, `icd10`, `cpt`…);
 * then the code and description columns are found by name, otherwise columns 1 and 2 are used.
 */
import { forEachRecord, sniffDelimiter } from './delimited';
import { decodeInput, newCounts, Rejections } from './text';
import type { CodeEntry, CodeSystemId, LoaderInput, LoaderOptions, LoadResult, ReleaseInfo } from './types';

/** Options for {@link loadCodeTable}. */
export interface CodeTableOptions extends LoaderOptions {
  /** Code system the table holds (required: a plain table does not say). */
  readonly system: CodeSystemId;
  /** Field delimiter; sniffed from the first line when absent. */
  readonly delimiter?: string;
  /** Charset of byte input; default `utf-8`. */
  readonly charset?: 'utf-8' | 'windows-1252' | 'latin1';
  /** Remove dots from codes (`E11.9` → `E119`), as the canonical form of ICD codes has none. Default `true`. */
  readonly stripDots?: boolean;
}

const CODE_HEADER =
  /^(code|codes|code ?value|.*[ _]code|icd-?10(-?cm|-?pcs)?|icd-?9(-?cm)?|hcpcs|cpt|cvx|loinc(_num)?|snomed( ?ct)?|concept ?id|id)$/i;
const DESC_HEADER =
  /^(desc|description|long ?description|title|long ?title|name|display|term|long_common_name|label)$/i;
const CODE_SHAPE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$/;

/** Loads a `code,description` table; `counts.header` is 1 when a header row was recognised. */
export function loadCodeTable(input: LoaderInput, options: CodeTableOptions): LoadResult {
  const text = decodeInput(input, options.charset ?? 'utf-8');
  const delimiter = options.delimiter ?? sniffDelimiter(text);
  const counts = newCounts();
  counts.header = 0;
  const rejected = new Rejections(counts, options);
  const entries: CodeEntry[] = [];
  const seen = new Set<string>();
  const stripDots = options.stripDots ?? true;
  let codeCol = 0;
  let descCol = 1;
  let first = true;
  counts.lines = forEachRecord(text, delimiter, (r) => {
    const raw = r.fields.map((f) => f.trim());
    if (first) {
      first = false;
      if (CODE_HEADER.test(raw[0] ?? '') || raw.some((f) => DESC_HEADER.test(f))) {
        counts.header = 1;
        counts.skipped++;
        const c = raw.findIndex((f) => CODE_HEADER.test(f));
        const dcol = raw.findIndex((f) => DESC_HEADER.test(f));
        if (c >= 0) codeCol = c;
        if (dcol >= 0) descCol = dcol;
        else descCol = codeCol === 0 ? 1 : 0;
        return;
      }
    }
    if (raw.length === 1 && raw[0] === '') {
      counts.skipped++;
      return;
    }
    const line = r.fields.join(delimiter);
    if (r.problem) return rejected.add(r.line, r.problem, line);
    if (raw.length <= Math.max(codeCol, descCol))
      return rejected.add(
        r.line,
        `expected at least ${Math.max(codeCol, descCol) + 1} fields, found ${raw.length}`,
        line,
      );
    let code = raw[codeCol]!.toUpperCase();
    if (stripDots) code = code.replace(/\./g, '');
    const title = raw[descCol]!;
    if (!CODE_SHAPE.test(code))
      return rejected.add(r.line, `'${raw[codeCol]}' does not look like a code`, line);
    if (!title) return rejected.add(r.line, 'description is empty', line);
    if (seen.has(code)) return rejected.add(r.line, `duplicate code ${code}`, line);
    seen.add(code);
    entries.push({ code, title });
  });
  counts.entries = entries.length;
  const release: ReleaseInfo = options.release ?? {
    id: `${options.system}-${options.fileName ?? 'table'}`,
    label: options.fileName ?? `${options.system} table`,
  };
  return { system: options.system, release, entries, counts, rejected: rejected.list };
}
