// `npm run bench [NAME…]`: runs every `bench/*.bench.ts` (or only `bench/NAME.bench.ts` for each
// NAME given) with tsx, one after the other, each in its own process.
//
// A bench prints one line per figure,
//
//     NAME.figure: value unit (baseline: value unit, ratio: r, goal: g)
//
// and writes `bench-results/NAME.json` as `{"figures": [{name, value, unit, baseline, ratio, goal,
// met}]}` (see bench/lib/figures.ts). This script exits non-zero when a bench crashes (or writes no
// results), not when a goal is unmet: an unmet goal is a figure with `met: false`, printed in the
// summary at the end.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = path.join(root, 'bench');
const resultsDir = path.join(root, 'bench-results');

function benchNames() {
  if (!fs.existsSync(benchDir)) return [];
  return fs
    .readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.slice(0, -'.bench.ts'.length))
    .sort();
}

const available = benchNames();
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!available.includes(name)) {
    console.error(`[bench] no bench/${name}.bench.ts (available: ${available.join(', ') || 'none'})`);
    process.exit(2);
  }
}
const names = wanted.length > 0 ? wanted : available;
if (names.length === 0) {
  console.error('[bench] no bench/*.bench.ts found');
  process.exit(2);
}

fs.mkdirSync(resultsDir, { recursive: true });
const crashed = [];
const summary = [];
for (const name of names) {
  const file = path.join(benchDir, `${name}.bench.ts`);
  const out = path.join(resultsDir, `${name}.json`);
  fs.rmSync(out, { force: true });
  console.log(`\n[bench] ${name}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: 'inherit' });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0 || !fs.existsSync(out)) {
    const why = r.status !== 0 ? `exit ${r.status ?? r.signal}` : `no ${path.relative(root, out)}`;
    console.error(`[bench] ${name} crashed (${why}) after ${seconds} s`);
    crashed.push(name);
    continue;
  }
  const { figures } = JSON.parse(fs.readFileSync(out, 'utf8'));
  for (const f of figures) summary.push({ bench: name, ...f });
  console.log(`[bench] ${name} done in ${seconds} s → ${path.relative(root, out)}`);
}

if (summary.length > 0) {
  console.log('\n[bench] summary');
  for (const f of summary) {
    const mark = f.met === true ? 'met' : f.met === false ? 'NOT MET' : 'no goal';
    console.log(`  ${f.bench}.${f.name}: ${f.value} ${f.unit}  goal ${f.goal ?? '-'}  ${mark}`);
  }
}
if (crashed.length > 0) {
  console.error(`\n[bench] crashed: ${crashed.join(', ')}`);
  process.exit(1);
}
