/**
 * How a bench reports (scripts/bench.mjs runs the benches): one line per figure on stdout,
 *
 *     NAME.figure: value unit (baseline: value unit, ratio: r, goal: g)
 *
 * and `bench-results/NAME.json` = `{"figures": [{name, value, unit, baseline, ratio, goal, met}]}`.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One measured figure beside its baseline from the same run. */
export interface Figure {
  name: string;
  /** The measurement; `null` when it could not be taken (see `note`). */
  value: number | null;
  unit: string;
  /** The baseline measured in the same run (e.g. curl), in `unit`; `null` when there is none. */
  baseline: number | null;
  /** value / baseline, when both exist. */
  ratio: number | null;
  /** The goal as an expression over `value` or `ratio`, e.g. `ratio >= 0.9`. */
  goal: string | null;
  /** Whether the goal was met; `null` when not measured or no goal. */
  met: boolean | null;
  /** How it was measured (runs, best or median, what the baseline is), or why it was skipped. */
  note?: string;
}

/** Builds a figure, computing `ratio` and `met` from a goal `{on, op, limit}`. */
export function figure(
  name: string,
  value: number | null,
  unit: string,
  baseline: number | null,
  goal: { on: 'value' | 'ratio'; op: '>=' | '<='; limit: number } | null,
  note?: string,
): Figure {
  const ratio = value !== null && baseline !== null && baseline !== 0 ? round(value / baseline, 3) : null;
  let met: boolean | null = null;
  if (goal && value !== null) {
    const subject = goal.on === 'value' ? value : ratio;
    if (subject !== null) met = goal.op === '>=' ? subject >= goal.limit : subject <= goal.limit;
  }
  return {
    name,
    value: value === null ? null : round(value, 3),
    unit,
    baseline: baseline === null ? null : round(baseline, 3),
    ratio,
    goal: goal ? `${goal.on} ${goal.op} ${goal.limit}` : null,
    met,
    ...(note !== undefined ? { note } : {}),
  };
}

/** Prints the figures' lines and writes `bench-results/<bench>.json`. */
export function report(bench: string, figures: Figure[]): void {
  for (const f of figures) {
    const value = f.value === null ? 'not measured' : `${f.value} ${f.unit}`;
    const baseline = f.baseline === null ? 'none' : `${f.baseline} ${f.unit}`;
    console.log(
      `${bench}.${f.name}: ${value} (baseline: ${baseline}, ratio: ${f.ratio ?? '-'}, goal: ${f.goal ?? '-'})` +
        `${f.met === false ? ' NOT MET' : ''}${f.note ? `\n    ${f.note}` : ''}`,
    );
  }
  const dir = path.resolve(__dirname, '..', '..', 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${bench}.json`), `${JSON.stringify({ figures }, null, 2)}\n`);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
