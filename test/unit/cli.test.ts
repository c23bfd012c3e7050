/**
 * The `clinical-coder` CLI, run from source (`node --import tsx src/cli.ts`) as a pipeline would run
 * it: exit codes, stdout/stderr and the index cache. The bundled code sets come from dist/data
 * (built here by scripts/build-data.mjs when missing); every run uses a temporary cache file.
 */

import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('clinical-coder CLI', function () {
  this.timeout(60_000);
  let tmp: string;
  let cache: string;

  /** Runs the CLI with the shared temp cache (unless `--cache`/`--no-cache` is given). */
  function cli(
    args: readonly string[],
    options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<CliResult> {
    const withCache = args.some((a) => a === '--cache' || a === '--no-cache')
      ? args
      : [...args, '--cache', cache];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...withCache], {
        cwd: ROOT,
        env: {
          ...process.env,
          NO_COLOR: '1',
          CLINICAL_CODER_CACHE: '',
          XDG_CACHE_HOME: path.join(tmp, 'xdg'),
          ...options.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.stdin ?? '');
    });
  }

  function write(name: string, text: string): string {
    const file = path.join(tmp, name);
    writeFileSync(file, text);
    return file;
  }

  before(async function () {
    this.timeout(180_000);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'clinical-coder-cli-'));
    cache = path.join(tmp, 'cache', 'index.json');
    if (!existsSync(path.join(ROOT, 'dist', 'data', 'sources.json'))) {
      const r = spawnSync(process.execPath, ['scripts/build-data.mjs'], { cwd: ROOT, encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
    }
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('the index cache', () => {
    it('builds the cache on the first run and loads it on the next', async () => {
      const first = await cli(['releases', '--json']);
      assert.strictEqual(first.code, 0, first.stderr);
      const a = JSON.parse(first.stdout) as { fromCache: boolean; cacheFile: string };
      assert.strictEqual(a.fromCache, false);
      assert.strictEqual(a.cacheFile, cache);
      assert.ok(existsSync(cache));

      const second = await cli(['releases', '--json']);
      const b = JSON.parse(second.stdout) as {
        fromCache: boolean;
        releases: { id: string; active: boolean; source: string; count: number }[];
      };
      assert.strictEqual(b.fromCache, true);
      const icd10 = b.releases.find((r) => r.id === 'icd10cm-FY2026');
      assert.ok(icd10 && icd10.active && icd10.source === 'bundled' && icd10.count > 90_000);

      const rebuilt = await cli(['releases', '--json', '--rebuild']);
      assert.strictEqual((JSON.parse(rebuilt.stdout) as { fromCache: boolean }).fromCache, false);
    });

    it('uses $CLINICAL_CODER_CACHE by default, and --no-cache reads and writes nothing', async () => {
      const envCache = path.join(tmp, 'env-cache', 'index.json');
      const r = await cli(['releases', '--json', '--no-cache'], { env: { CLINICAL_CODER_CACHE: envCache } });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual((JSON.parse(r.stdout) as { cacheFile?: string }).cacheFile, undefined);
      assert.ok(!existsSync(envCache));
    });

    it('lists releases as text with the active mark', async () => {
      const r = await cli(['releases']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\* {2}icd10cm-FY2026 +ICD-10-CM FY2026 +98,\d{3} codes +bundled$/m);
      assert.match(r.stdout, /^\* {2}cvx-\S+ +CVX /m);
    });
  });

  describe('lookup', () => {
    it('prints system, release, status and title, aligned, for dotted and undotted codes', async () => {
      const r = await cli(['lookup', 'E11.65', 'e1165', 'J0696', 'cvx:150', 'icd9cm-dx:250.00']);
      assert.strictEqual(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.strictEqual(lines.length, 5);
      assert.match(
        lines[0]!,
        /^E11\.65 +ICD-10-CM FY2026 +billable +Type 2 diabetes mellitus with hyperglycemia$/,
      );
      assert.strictEqual(lines[1], lines[0], 'e1165 reads as E11.65');
      assert.match(lines[2]!, /^J0696 +HCPCS 2020 +valid +Injection, ceftriaxone sodium, per 250 mg$/);
      assert.match(
        lines[3]!,
        /^150 +CVX \S+ +Active +Influenza, injectable, quadrivalent, preservative free$/,
      );
      assert.match(
        lines[4]!,
        /^250\.00 +ICD-9-CM diagnoses v32 +billable +Diabetes mellitus without mention/,
      );
      // aligned: the release column starts at the same place on every line
      const col = lines.map((l) => l.indexOf(l.split(/ {2,}/)[1]!));
      assert.ok(
        col.every((c) => c === col[0]),
        lines.join('\n'),
      );
    });

    it('shows headers, deletions with successors and modifiers', async () => {
      const r = await cli(['lookup', 'G35', 'M54.5', 'KX']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^G35 +ICD-10-CM FY2026 +deleted in FY2026 +Multiple sclerosis +→ G35\.A, G35\.B0/m,
      );
      assert.match(
        r.stdout,
        /^M54\.5 +ICD-10-CM FY2026 +header +Low back pain +→ M54\.50, M54\.51, M54\.59$/m,
      );
      assert.match(
        r.stdout,
        /^KX +HCPCS 2020 +modifier +Requirements specified in the medical policy have been met$/m,
      );
    });

    it('exits 1 when a code is not found, still printing the others', async () => {
      const r = await cli(['lookup', 'E11.65', 'Q99.999', 'icd10cm:Z99.999', 'ZZZ']);
      assert.strictEqual(r.code, 1);
      assert.match(r.stdout, /^E11\.65 .*billable/m);
      assert.match(r.stdout, /^Q99\.999 +ICD-10-CM +not found$/m);
      assert.match(r.stdout, /^ZZZ +- +not found +not a code of any known system$/m);
      assert.match(r.stdout, /^Z99\.999 +ICD-10-CM +not found/m);
    });

    it('forces a system with system:code, and rejects an unknown system with exit 2', async () => {
      const forced = await cli(['lookup', 'hcpcs:E11.65']);
      assert.strictEqual(forced.code, 1);
      assert.match(forced.stdout, /not found/);
      const bad = await cli(['lookup', 'nosuch:E11.65']);
      assert.strictEqual(bad.code, 2);
      assert.match(bad.stderr, /unknown code system 'nosuch'/);
      assert.match(bad.stderr, /Usage: clinical-coder lookup/);
    });

    it('prints JSON objects with --json', async () => {
      const r = await cli(['lookup', '--json', 'e1165', 'G35', 'ZZZ']);
      assert.strictEqual(r.code, 1);
      const out = JSON.parse(r.stdout) as Record<string, unknown>[];
      assert.strictEqual(out.length, 3);
      assert.deepStrictEqual(
        {
          input: out[0]!.input,
          found: out[0]!.found,
          system: out[0]!.system,
          code: out[0]!.code,
          status: out[0]!.status,
          release: out[0]!.release,
          title: out[0]!.title,
        },
        {
          input: 'e1165',
          found: true,
          system: 'icd10cm',
          code: 'E11.65',
          status: 'billable',
          release: 'icd10cm-FY2026',
          title: 'Type 2 diabetes mellitus with hyperglycemia',
        },
      );
      assert.strictEqual(out[1]!.status, 'deleted');
      assert.strictEqual(out[1]!.retiredIn, 'icd10cm-FY2026');
      assert.ok((out[1]!.successors as { code: string }[]).some((s) => s.code === 'G35.A'));
      assert.deepStrictEqual(out[2], { input: 'ZZZ', found: false, systems: [], status: 'not-found' });
    });

    it('reads codes from standard input with -', async () => {
      const r = await cli(['lookup', '-'], { stdin: 'E11.65\nJ0696, cvx:150\n' });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout.trimEnd().split('\n').length, 3);
    });
  });

  describe('validate', () => {
    it('reports the claims CSV as path:line:col: severity: message [rule] with a summary on stderr', async () => {
      const file = 'samples/claims_batch_2025Q4.csv';
      const r = await cli(['validate', file]);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      for (const l of lines)
        assert.match(
          l,
          /^samples\/claims_batch_2025Q4\.csv:\d+:\d+: (error|warning|info|hint): .+ \[[\w-]+\]$/,
        );
      // line 14: CLM-25-100237,1,SYN-000619,2025-11-05,11,M54.5 — the dx1 column starts at column 42
      assert.ok(
        lines.some((l) => l.startsWith(`${file}:14:42: warning: `) && /M54\.5/.test(l)),
        `M54.5 header warning missing:\n${r.stdout}`,
      );
      // line 13: CLM-25-100236,1,SYN-000528,2025-11-03,11,E538 — undotted code, a hint
      assert.ok(
        lines.some((l) => l.startsWith(`${file}:13:42: hint: `) && /E53\.8|E538/.test(l)),
        `E538 undotted hint missing:\n${r.stdout}`,
      );
      assert.match(r.stderr, /^\d+ errors?, \d+ warnings?(, \d+ infos?)?(, \d+ hints?)? in 1 file$/m);
    });

    it('reports the 837P excerpt (X12) with its G35 problem on line 38', async () => {
      const file = 'samples/claim_837p_excerpt.x12';
      const r = await cli(['validate', file, '--json']);
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      const out = JSON.parse(r.stdout) as {
        files: {
          path: string;
          format: string;
          problems: { line: number; column: number; code: string; severity: string }[];
        }[];
        summary: { errors: number; files: number };
      };
      assert.strictEqual(out.files[0]!.path, file);
      assert.strictEqual(out.files[0]!.format, 'x12');
      assert.strictEqual(out.summary.files, 1);
      // HI*ABK:G35~ — the code starts at column 8
      const g35 = out.files[0]!.problems.find((p) => p.line === 38);
      assert.ok(g35, JSON.stringify(out.files[0]!.problems));
      assert.strictEqual(g35.column, 8);
      assert.ok(['error', 'warning'].includes(g35.severity));
      assert.strictEqual(r.code, out.summary.errors > 0 ? 1 : 0);
    });

    it('exits 1 when a file has errors (an unknown ICD-10-CM code in a dx column)', async () => {
      const file = write('unknown.csv', 'claim_id,dx1,hcpcs\nC1,E11.65,G0008\nC2,Q99.999,G0008\n');
      const r = await cli(['validate', file, '--dos', '2025-11-01']);
      assert.strictEqual(r.code, 1, r.stdout + r.stderr);
      assert.ok(
        r.stdout.split('\n').some((l) => l.startsWith(`${file}:3:4: error: `)),
        `expected an error at 3:4:\n${r.stdout}`,
      );
      assert.match(r.stderr, /^1 error, 0 warnings in 1 file$/m);

      const clean = write('clean.csv', 'claim_id,dx1,hcpcs\nC1,E11.65,G0008\n');
      const ok = await cli(['validate', clean, '--dos', '2025-11-01']);
      assert.strictEqual(ok.code, 0, ok.stdout + ok.stderr);
      assert.strictEqual(ok.stdout, '');
    });

    it('reads standard input with -, and --json summarises', async () => {
      const r = await cli(['validate', '-', '--json', '--stdin-filename', 'claims.csv'], {
        stdin: 'claim_id,dx1\nC2,Q99.999\n',
      });
      assert.strictEqual(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout) as {
        files: { path: string; problems: Record<string, unknown>[] }[];
        summary: { errors: number; files: number };
      };
      assert.strictEqual(out.files[0]!.path, 'claims.csv');
      const p = out.files[0]!.problems[0]!;
      for (const key of [
        'line',
        'column',
        'endLine',
        'endColumn',
        'severity',
        'rule',
        'message',
        'code',
        'system',
        'fixes',
      ])
        assert.ok(key in p, `missing ${key}`);
      assert.deepStrictEqual([p.line, p.column, p.endLine, p.endColumn], [2, 4, 2, 11]);
      assert.strictEqual(out.summary.errors, 1);
    });

    it('--rule RULE=off turns a rule off; --quiet reports errors only', async () => {
      const file = 'samples/claims_batch_2025Q4.csv';
      const r = await cli(['validate', file, '--rule', 'undotted-code=off']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /undotted-code/);
      assert.match(r.stdout, /\[header-code\]/);
      assert.doesNotMatch(r.stderr, /hint/);
      const quiet = await cli(['validate', file, '--quiet']);
      assert.strictEqual(quiet.stdout, '');
      assert.match(quiet.stderr, /^0 errors, 0 warnings in 1 file$/m);
      const bad = await cli(['validate', file, '--rule', 'no-such-rule=off']);
      assert.strictEqual(bad.code, 2);
      assert.match(bad.stderr, /rules: unknown-code, /);
    });

    it('--max-warnings 0 fails on warnings; a missing file is exit 2', async () => {
      const r = await cli(['validate', 'samples/claims_batch_2025Q4.csv', '--max-warnings', '0']);
      assert.strictEqual(r.code, 1);
      assert.match(r.stderr, /too many warnings/);
      const missing = await cli(['validate', path.join(tmp, 'nope.csv')]);
      assert.strictEqual(missing.code, 2);
      assert.match(missing.stderr, /nope\.csv: no such file or directory/);
      assert.doesNotMatch(missing.stderr, /\n\s+at /, 'no stack trace');
    });
  });

  describe('options', () => {
    it('--release with an unknown id exits 2 and lists the loaded releases', async () => {
      const r = await cli(['lookup', 'E11.65', '--release', 'icd10cm=FY1999']);
      assert.strictEqual(r.code, 2);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, /no loaded release of ICD-10-CM has id 'FY1999'/);
      assert.match(r.stderr, /^ {2}icd10cm-FY2026 {2}\(ICD-10-CM FY2026\)$/m);
      const ok = await cli(['releases', '--release', 'icd10cm=icd10cm-FY2026']);
      assert.strictEqual(ok.code, 0, ok.stderr);
    });

    it('--index adds a code table: CPT codes resolve', async () => {
      const dir = path.join(tmp, 'sets');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      writeFileSync(
        path.join(dir, 'cpt-2026.csv'),
        'code,description\n99213,"Office or other outpatient visit, established patient, low MDM"\n0042T,Cerebral perfusion analysis\n',
      );
      const before = await cli(['lookup', 'cpt:99213']);
      assert.strictEqual(before.code, 1);
      // a folder, next to the bundled sets (its own cache file, so the shared one stays warm)
      const withBundled = await cli([
        'lookup',
        '99213',
        'E11.65',
        '--index',
        dir,
        '--cache',
        path.join(tmp, 'c1.json'),
      ]);
      assert.strictEqual(withBundled.code, 0, withBundled.stdout + withBundled.stderr);
      assert.match(
        withBundled.stdout,
        /^99213 +CPT 2026 +valid +Office or other outpatient visit, established patient, low MDM$/m,
      );
      assert.match(withBundled.stdout, /^E11\.65 +ICD-10-CM FY2026 +billable/m);
      // a file, alone
      const file = path.join(dir, 'cpt-2026.csv');
      const alone = await cli(['lookup', 'cpt:0042T', '--index', file, '--no-bundled', '--no-cache']);
      assert.strictEqual(alone.code, 0, alone.stdout + alone.stderr);
      assert.match(alone.stdout, /^0042T +CPT 2026 +valid +Cerebral perfusion analysis$/m);
      const rel = await cli(['releases', '--json', '--index', dir, '--no-bundled', '--no-cache']);
      const out = JSON.parse(rel.stdout) as { releases: { id: string; source: string }[] };
      assert.deepStrictEqual(
        out.releases.map((r) => [r.id, r.source]),
        [['cpt-2026', 'cpt-2026.csv']],
      );
    });

    it('--index with a missing path exits 2', async () => {
      const r = await cli(['lookup', 'E11.65', '--index', path.join(tmp, 'missing')]);
      assert.strictEqual(r.code, 2);
      assert.match(r.stderr, /missing: no such file or directory/);
    });

    it('an unknown option prints a message and the usage on stderr, exit 2', async () => {
      const r = await cli(['lookup', 'E11.65', '--frobnicate']);
      assert.strictEqual(r.code, 2);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, /^clinical-coder: unknown option '--frobnicate'/);
      assert.match(r.stderr, /Usage: clinical-coder lookup/);
      const noCommand = await cli([]);
      assert.strictEqual(noCommand.code, 2);
      assert.match(noCommand.stderr, /Usage: clinical-coder <command>/);
      const misplaced = await cli(['lookup', 'E11.65', '--dos', '2025-01-01']);
      assert.strictEqual(misplaced.code, 2);
      assert.match(misplaced.stderr, /only for 'validate'/);
    });

    it('--help per command and --version', async () => {
      const main = await cli(['--help']);
      assert.strictEqual(main.code, 0);
      assert.match(main.stdout, /^Usage: clinical-coder <command>/);
      const lookup = await cli(['lookup', '-h']);
      assert.match(lookup.stdout, /^Usage: clinical-coder lookup/);
      const validate = await cli(['help', 'validate']);
      assert.match(validate.stdout, /--max-warnings N/);
      const version = await cli(['--version']);
      const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
      assert.strictEqual(version.stdout.trim(), pkg.version);
    });
  });
});
