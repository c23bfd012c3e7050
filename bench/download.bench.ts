/**
 * Issue 4's figures for the download engine and paging, each beside a baseline from the same run:
 *
 * (a) `throughput`: `downloadFile` fetching a generated 512 MiB file from the sandbox on loopback,
 *     vs `curl -s -o <file> <url>` on a fresh presigned URL of the same file. Goal ≥ 0.9× curl.
 *     5 runs each, alternating, median taken. Both write to the same folder on disk (os.tmpdir()).
 *     `downloadFile` runs with its defaults (sha256 while streaming, fsync before the rename); a
 *     second figure without the fsync shows what that durability step costs.
 *     `plainNodeThroughput` (no goal) shows what Node itself reaches: `http.get` piped into a file.
 * (b) `addedPeakRss`: the download code's added peak RSS while streaming that file (RSS sampled
 *     every 10 ms in the downloading child process, minus its RSS just before). Goal ≤ 50 MB. Its
 *     baseline is the same measurement for plain Node's `http.get` → file.
 * (c) `loadAll60Versions`: "Load all" of the 60-version sub-product (`Pager` + `loadAll` + the
 *     Download API client, default page size 10 → 6 pages) with the sandbox limited to 5 requests/s,
 *     vs the floor `pages / 5 s`. Goal ≤ 1.2× the floor. Median of 3 runs, the limiter refilled
 *     between runs. Also with a burst of 1 (the strictest token bucket), for information.
 *
 * Processes: this one orchestrates; the sandbox runs in a child (`sandbox` role) so it does not
 * share an event loop with the code measured; each `downloadFile` run is a child (`fetch` role).
 * Everything generated is deleted at the end.
 *
 * Run: `npm run bench download` (or `node --import tsx bench/download.bench.ts`).
 */
import { type ChildProcess, spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { createWriteStream, promises as fs } from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { createInterface } from 'readline';
import { pipeline } from 'stream/promises';
import { DownloadClient, type Version } from '../src/api/download';
import { ImoAuth } from '../src/api/imoAuth';
import { createImoApiClient } from '../src/api/normalize';
import { Pager, loadAll } from '../src/core/paging';
import { downloadFile } from '../src/node/download';
import { startSandbox } from '../sandbox/server';
import type { LargeFileInfo } from '../sandbox/services/download';
import { type Figure, figure, report } from './lib/figures';

const BENCH = 'download';
const LARGE_FILE_BYTES = 512 * 1024 * 1024;
/** Runs of each download variant (median taken): loopback figures on a shared machine are noisy. */
const RUNS = 5;
/** Runs of each Load-all variant. */
const LOAD_ALL_RUNS = 3;
const RATE = 5;
const UA = 'clinical-coder-bench/0.1.0';
const MONTHLY = { product: 'imo-core-18', subProduct: 'problem-terminology-monthly-55' };
const MiB = 1024 * 1024;

interface SandboxHandle {
  url: string;
  credentials: Record<string, string>;
  largeFile: LargeFileInfo;
  child: ChildProcess;
}

interface FetchJob {
  sandboxUrl: string;
  credentials: Record<string, string>;
  largeFile: LargeFileInfo;
  dir: string;
  fsync: boolean;
  /** `engine`: `downloadFile`; `plain`: the floor of Node itself, `http.get` piped to a file, no checks. */
  mode: 'engine' | 'plain';
}

interface FetchResult {
  ms: number;
  size: number;
  sha256: string;
  rssBeforeMb: number;
  rssPeakMb: number;
  maxRssDeltaMb: number;
}

function imoClient(
  url: string,
  credentials: Record<string, string>,
): { auth: ImoAuth; client: DownloadClient } {
  const auth = new ImoAuth({
    baseUrl: () => url,
    userAgent: UA,
    audience: () => credentials.IMO_AUDIENCE,
    getCredentials: async () => ({
      clientId: credentials.IMO_CLIENT_ID,
      clientSecret: credentials.IMO_CLIENT_SECRET,
    }),
  });
  const client = new DownloadClient(createImoApiClient({ auth, baseUrl: () => url, userAgent: UA }));
  return { auth, client };
}

async function freshUrl(client: DownloadClient, f: LargeFileInfo, signal?: AbortSignal): Promise<string> {
  const files = await client.listFiles(f.productSlug, f.subProductSlug, f.versionSlug, signal);
  const file = files.find((x) => x.file_name === f.fileName);
  if (!file) throw new Error(`${f.fileName} is not listed`);
  return file.download_url;
}

// ---------------------------------------------------------------------------------------------
// child roles

/** `sandbox` role: a sandbox with the benchmark file; prints one JSON line when ready. */
async function sandboxRole(): Promise<void> {
  const sb = await startSandbox({ quiet: true, download: { largeFileBytes: LARGE_FILE_BYTES } });
  const largeFile = await sb.download.largeFile(); // digests computed before anyone measures
  process.stdout.write(`${JSON.stringify({ url: sb.url, credentials: sb.credentials, largeFile })}\n`);
  const stop = (): void => {
    sb.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.stdin.on('end', stop); // the parent went away
  process.stdin.resume();
  process.once('SIGTERM', stop);
}

/** `fetch` role: one `downloadFile` of the large file, timed, with RSS sampled. */
async function fetchRole(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_FETCH ?? '{}') as FetchJob;
  const { auth, client } = imoClient(job.sandboxUrl, job.credentials);
  await auth.getToken(); // sign-in is not part of the download
  const rss = (): number => process.memoryUsage.rss();
  const before = rss();
  const maxRssBefore = process.resourceUsage().maxRSS * 1024;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 10);
  const started = performance.now();
  const r =
    job.mode === 'engine'
      ? await downloadFile({
          targetDir: job.dir,
          fileName: job.largeFile.fileName,
          overwrite: true,
          fsync: job.fsync,
          userAgent: UA,
          getUrl: async (signal) => ({ url: await freshUrl(client, job.largeFile, signal) }),
        })
      : await plainNodeDownload(
          await freshUrl(client, job.largeFile),
          path.join(job.dir, job.largeFile.fileName),
        );
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  const maxRssAfter = process.resourceUsage().maxRSS * 1024;
  await fs.rm(r.path, { force: true });
  const out: FetchResult = {
    ms,
    size: r.size,
    sha256: r.sha256,
    rssBeforeMb: before / 1e6,
    rssPeakMb: peak / 1e6,
    maxRssDeltaMb: Math.max(0, maxRssAfter - maxRssBefore) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** What plain Node does with no checks at all: `http.get` piped into a file. */
async function plainNodeDownload(
  url: string,
  file: string,
): Promise<{ path: string; size: number; sha256: string }> {
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.get(url, resolve).on('error', reject),
  );
  await pipeline(res, createWriteStream(file));
  return { path: file, size: (await fs.stat(file)).size, sha256: '' };
}

// ---------------------------------------------------------------------------------------------
// orchestration

function spawnRole(role: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', __filename, role], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
}

/** The first stdout line of a child, parsed as JSON. */
function firstJsonLine<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${what} printed "${line.slice(0, 200)}"`));
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before answering`)));
    child.once('error', reject);
  });
}

async function startSandboxChild(): Promise<SandboxHandle> {
  const child = spawnRole('sandbox');
  const ready = await firstJsonLine<Omit<SandboxHandle, 'child'>>(child, 'the sandbox');
  return { ...ready, child };
}

async function runFetchChild(job: FetchJob): Promise<FetchResult> {
  const child = spawnRole('fetch', { BENCH_FETCH: JSON.stringify(job) });
  const result = await firstJsonLine<FetchResult>(child, 'the download child');
  await new Promise((resolve) =>
    child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
  );
  return result;
}

/** curl is the baseline of figure (a): use it, or install it (Debian, as root), or say why not. */
function ensureCurl(): string | undefined {
  const has = (): boolean => spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
  if (has()) return undefined;
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    console.log('[download] curl is missing: apt-get install -y curl');
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'curl'], { stdio: 'inherit' });
    if (has()) return undefined;
  }
  return 'curl is not installed and could not be installed (needs root and apt-get); install curl to measure this figure';
}

/** One curl download to `file`; its own `time_total`, in ms. */
function curlOnce(url: string, file: string): number {
  const r = spawnSync('curl', ['-s', '-o', file, '-w', '%{time_total}', url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`curl failed (${r.status}): ${r.stderr}`);
  return Number(r.stdout.trim()) * 1000;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  const fh = await fs.open(file, 'r');
  try {
    for await (const chunk of fh.createReadStream()) h.update(chunk as Buffer);
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mibPerSecond = (bytes: number, ms: number): number => bytes / MiB / (ms / 1000);

async function throughputFigures(sb: SandboxHandle, client: DownloadClient, dir: string): Promise<Figure[]> {
  const f = sb.largeFile;
  const curlMissing = ensureCurl();
  const job: FetchJob = {
    sandboxUrl: sb.url,
    credentials: sb.credentials,
    largeFile: f,
    dir,
    fsync: true,
    mode: 'engine',
  };

  const ours: FetchResult[] = [];
  const oursNoSync: FetchResult[] = [];
  const plain: FetchResult[] = [];
  const curl: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (!curlMissing) {
      const file = path.join(dir, `curl-${f.fileName}`);
      curl.push(curlOnce(await freshUrl(client, f), file));
      if (i === 0 && (await sha256File(file)) !== f.sha256) throw new Error('curl fetched different bytes');
      await fs.rm(file, { force: true });
    }
    const r = await runFetchChild(job);
    if (r.sha256 !== f.sha256 || r.size !== f.size) throw new Error('downloadFile produced different bytes');
    ours.push(r);
    oursNoSync.push(await runFetchChild({ ...job, fsync: false }));
    plain.push(await runFetchChild({ ...job, mode: 'plain' }));
    console.log(
      `[download] run ${i + 1}/${RUNS}: downloadFile ${mibPerSecond(f.size, r.ms).toFixed(0)} MiB/s, ` +
        `without fsync ${mibPerSecond(f.size, oursNoSync[i].ms).toFixed(0)} MiB/s, ` +
        `plain Node pipe ${mibPerSecond(f.size, plain[i].ms).toFixed(0)} MiB/s` +
        (curl[i] !== undefined ? `, curl ${mibPerSecond(f.size, curl[i]).toFixed(0)} MiB/s` : ''),
    );
  }

  const speed = (rs: FetchResult[]): number => mibPerSecond(f.size, median(rs.map((r) => r.ms)));
  const curlMibs = curl.length > 0 ? mibPerSecond(f.size, median(curl)) : null;
  const how =
    `median of ${RUNS} runs each, alternating, ${(f.size / MiB).toFixed(0)} MiB generated file, loopback, ` +
    `written to ${os.tmpdir()}; curl timed by its own time_total, the others around the download call ` +
    `in a child process (getUrl included)`;
  const skipped = `skipped: ${curlMissing}`;
  const rssDelta = (rs: FetchResult[]): number => Math.max(...rs.map((r) => r.rssPeakMb - r.rssBeforeMb));
  const engineRuns = [...ours, ...oursNoSync];
  return [
    figure(
      'throughput',
      curlMissing ? null : speed(ours),
      'MiB/s',
      curlMibs,
      { on: 'ratio', op: '>=', limit: 0.9 },
      curlMissing
        ? `${skipped} (downloadFile alone: ${speed(ours).toFixed(0)} MiB/s)`
        : `${how}; downloadFile with its defaults: sha256 of every byte, fsync before the rename`,
    ),
    figure(
      'throughputWithoutFsync',
      curlMissing ? null : speed(oursNoSync),
      'MiB/s',
      curlMibs,
      { on: 'ratio', op: '>=', limit: 0.9 },
      curlMissing ? skipped : `${how}; downloadFile with fsync: false (curl does not fsync either)`,
    ),
    figure(
      'plainNodeThroughput',
      curlMissing ? null : speed(plain),
      'MiB/s',
      curlMibs,
      null,
      curlMissing
        ? skipped
        : `${how}; for reference, the ceiling of Node here: http.get piped into a file, no hashing, no checks`,
    ),
    figure(
      'addedPeakRss',
      rssDelta(engineRuns),
      'MB',
      rssDelta(plain),
      { on: 'value', op: '<=', limit: 50 },
      `worst of ${engineRuns.length} downloadFile runs: RSS sampled every 10 ms during the download minus ` +
        `RSS just before (${median(ours.map((r) => r.rssBeforeMb)).toFixed(0)} MB); baseline = the same for ` +
        `plain Node (http.get piped into a file), i.e. what Node's HTTP stack alone adds; ` +
        `maxRSS delta of downloadFile ${Math.max(...engineRuns.map((r) => r.maxRssDeltaMb)).toFixed(1)} MB`,
    ),
  ];
}

async function loadAllFigures(sb: SandboxHandle, client: DownloadClient): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const variant of [
    { name: 'loadAll60Versions', burst: null, what: 'the sandbox default bucket (burst = 5)', goal: true },
    {
      name: 'loadAll60VersionsBurst1',
      burst: 1,
      what: 'a burst of 1 (the strictest bucket; no goal, for information)',
      goal: false,
    },
  ]) {
    const times: number[] = [];
    let pages = 0;
    let limited = 0;
    let failure: string | undefined;
    for (let i = 0; i < LOAD_ALL_RUNS; i++) {
      // a fresh, full bucket for each run
      await sandboxControl(sb, 'PATCH', '/__sandbox/download/options', {
        rateLimitPerSecond: RATE,
        rateLimitBurst: variant.burst,
      });
      const before = (
        (await sandboxControl(sb, 'GET', '/__sandbox/state')) as { download: { rateLimited: number } }
      ).download.rateLimited;
      const pager = new Pager<Version>((v) => v.id);
      const started = performance.now();
      try {
        await loadAll(pager, (page, signal) =>
          client.listVersions(MONTHLY.product, MONTHLY.subProduct, page, signal),
        );
      } catch (e) {
        failure = e instanceof Error ? e.message : String(e);
        break;
      }
      times.push(performance.now() - started);
      if (pager.items.length !== 60) throw new Error(`loaded ${pager.items.length} versions, expected 60`);
      pages = pager.loadedPages;
      const after = (
        (await sandboxControl(sb, 'GET', '/__sandbox/state')) as { download: { rateLimited: number } }
      ).download.rateLimited;
      limited += after - before;
      await new Promise((r) => setTimeout(r, 1100)); // let the bucket refill before the next run
    }
    await sandboxControl(sb, 'PATCH', '/__sandbox/download/options', { rateLimitPerSecond: null });
    const floor = pages > 0 ? pages / RATE : null;
    out.push(
      figure(
        variant.name,
        failure || times.length === 0 ? null : median(times) / 1000,
        's',
        floor,
        variant.goal ? { on: 'ratio', op: '<=', limit: 1.2 } : null,
        failure
          ? `failed: ${failure}`
          : `median of ${LOAD_ALL_RUNS}; ${pages} pages (page size 10, concurrency 2), ${RATE} requests/s with ${variant.what}; ` +
              `baseline = floor ${pages} requests / ${RATE} per s; ${limited} answers were 429 over the ${LOAD_ALL_RUNS} runs`,
      ),
    );
  }
  return out;
}

async function sandboxControl(
  sb: SandboxHandle,
  method: string,
  p: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(sb.url + p, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cc-bench-download-'));
  let sb: SandboxHandle | undefined;
  try {
    console.log(`[download] starting the sandbox with a ${LARGE_FILE_BYTES / MiB} MiB generated file…`);
    sb = await startSandboxChild();
    const { auth, client } = imoClient(sb.url, sb.credentials);
    await auth.getToken();
    const figures = [...(await throughputFigures(sb, client, dir)), ...(await loadAllFigures(sb, client))];
    report(BENCH, figures);
  } finally {
    sb?.child.stdin?.end();
    sb?.child.kill('SIGTERM');
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
const run = role === 'sandbox' ? sandboxRole : role === 'fetch' ? fetchRole : main;
run().catch((e: unknown) => {
  console.error(`[download] ${role ?? 'bench'} failed:`, e);
  process.exit(1);
});
