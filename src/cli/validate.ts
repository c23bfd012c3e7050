/** `clinical-coder validate FILE…`: the code diagnostics of each file, as `path:line:col: severity: message [rule]`. */

import type { CodeIndex } from '../core/codes/codeIndex';
import { documentFormatOf } from '../core/codes/documentFormat';
import type { DocumentFormat } from '../core/codes/findCodes';
import { validateCodes } from '../core/codes/validate';
import type { CodeProblem, Severity } from '../core/codes/validate';
import type { ValidateOptions } from './args';
import { plural } from './output';
import type { Paint } from './output';

/** Maps UTF-16 offsets to 1-based line and column. CR LF, LF and lone CR (HL7) all end a line. */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }
}

/** A problem with its position, as reported. */
export interface ReportedProblem {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly start: number;
  readonly end: number;
  readonly severity: Severity;
  readonly rule: string;
  readonly message: string;
  readonly code: string;
  readonly system: string;
  readonly fixes: readonly { title: string; replacement: string; isPreferred?: boolean }[];
}

export interface FileReport {
  /** As given on the command line (`<stdin>` or `--stdin-filename` for standard input). */
  readonly path: string;
  readonly format?: DocumentFormat;
  readonly problems: readonly ReportedProblem[];
  /** Set when the file could not be read. */
  readonly error?: string;
}

/** Validates one document's text. A leading byte-order mark is ignored (columns count without it). */
export function validateText(
  displayPath: string,
  fileName: string | undefined,
  raw: string,
  index: CodeIndex,
  options: ValidateOptions,
): FileReport {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const format = documentFormatOf(fileName, text);
  const problems = validateCodes(text, index, {
    format,
    rules: options.rules,
    ...(options.dateOfService !== undefined ? { dateOfService: options.dateOfService } : {}),
  });
  const lines = new LineMap(text);
  const reported = [...problems]
    .filter((p) => !options.quiet || p.severity === 'error')
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .map((p) => report(p, lines));
  return { path: displayPath, format, problems: reported };
}

function report(p: CodeProblem, lines: LineMap): ReportedProblem {
  const start = lines.position(p.start);
  const end = lines.position(p.end);
  return {
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    start: p.start,
    end: p.end,
    severity: p.severity,
    rule: p.rule,
    message: p.message,
    code: p.code,
    system: p.system,
    fixes: p.fixes.map((f) => ({
      title: f.title,
      replacement: f.replacement,
      ...(f.isPreferred !== undefined ? { isPreferred: f.isPreferred } : {}),
    })),
  };
}

export interface Summary {
  readonly errors: number;
  readonly warnings: number;
  readonly information: number;
  readonly hints: number;
  /** Files checked (read successfully). */
  readonly files: number;
  /** Files that could not be read. */
  readonly unreadable: number;
}

export function summarise(reports: readonly FileReport[]): Summary {
  const count = (s: Severity): number =>
    reports.reduce((n, r) => n + r.problems.filter((p) => p.severity === s).length, 0);
  return {
    errors: count('error'),
    warnings: count('warning'),
    information: count('information'),
    hints: count('hint'),
    files: reports.filter((r) => r.error === undefined).length,
    unreadable: reports.filter((r) => r.error !== undefined).length,
  };
}

/** The word a text line shows for a severity (`information` is shortened to the usual `info`). */
function severityWord(s: Severity): string {
  return s === 'information' ? 'info' : s;
}

const SEVERITY_STYLE: Readonly<Record<Severity, Parameters<Paint>[0]>> = {
  error: 'red',
  warning: 'yellow',
  information: 'blue',
  hint: 'dim',
};

/** `path:line:col: severity: message [rule]`, one line per problem. */
export function formatProblemsText(reports: readonly FileReport[], paint: Paint): string {
  let out = '';
  for (const r of reports) {
    for (const p of r.problems) {
      const where = `${r.path}:${p.line}:${p.column}`;
      out += `${where}: ${paint(SEVERITY_STYLE[p.severity], severityWord(p.severity))}: ${p.message} ${paint('dim', `[${p.rule}]`)}\n`;
    }
  }
  return out;
}

/** `3 errors, 5 warnings, 2 hints in 4 files` (info and hints only when there are some). */
export function formatSummary(s: Summary): string {
  const parts = [plural(s.errors, 'error'), plural(s.warnings, 'warning')];
  if (s.information > 0) parts.push(plural(s.information, 'info', 'infos'));
  if (s.hints > 0) parts.push(plural(s.hints, 'hint'));
  return `${parts.join(', ')} in ${plural(s.files, 'file')}`;
}
