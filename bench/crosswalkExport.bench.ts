/**
 * Issue 6's figure: export of the seeded conversions crosswalk (ICD-10-CM FY2026 conversions,
 * version 1: 2,171 mappings, 5,886 source → target pairs, 10 mappings a page) with the sandbox
 * limited to 20 requests/s and 5 % of the otherwise-accepted calls answered 429 (`Retry-After: 1`).
 *
 * - `export`: wall time of reading every page the way the extension's export does
 *   (`CrosswalksClient.mappings` with `retryRateLimit: false` + `fetchAllMappings` with
 *   `EXPORT_CONCURRENCY`, as `readVersion` in src/crosswalks/documents.ts). Baseline: the floor the
 *   rate limit sets, pages ÷ 20 s (from the page count of this run). Goal: ratio ≤ 1.2. The floor
 *   leaves out the bucket the sandbox starts with (one second's worth), so a ratio a little under 1
 *   is possible.
 * - `naiveSequential` (no goal): the same pages read one at a time, each 429 waited out by the HTTP
 *   client's own retry (Retry-After honoured, exponential back-off): no shared pacing. Same baseline.
 *
 * Both runs must produce exactly the stored rows of that version: the exported (source system,
 * source code, target system, target code) pairs are compared with the sandbox's stored version,
 * read through `sandbox.crosswalks.get`; a missing, extra or doubled row throws (the bench crashes
 * rather than print a time for a wrong export).
 *
 * The sandbox runs in this process (it is the Node HTTP server of the tests). Before each run the
 * limiter is configured again: a full bucket, and the PRNG behind the 5 % restarted from the same
 * seed, so both runs meet the same sequence of draws. The IMO token is fetched before timing.
 *
 * Run: `npm run bench -- crosswalkExport` (or `node --import tsx bench/crosswalkExport.bench.ts`).
 */
import { CrosswalksClient } from '../src/api/crosswalks';
import { ImoAuth } from '../src/api/imoAuth';
import { createImoApiClient } from '../src/api/normalize';
import { EXPORT_CONCURRENCY, fetchAllMappings } from '../src/core/crosswalks/exportAll';
import type { Mapping } from '../src/core/crosswalks/model';
import { startSandbox } from '../sandbox/server';
import { CROSSWALK_SEEDS } from '../sandbox/services/crosswalks';
import { type Figure, figure, report } from './lib/figures';

const BENCH = 'crosswalkExport';
const UA = 'clinical-coder-bench/0.1.0';
const RATE = 20;
const FRACTION = 0.05;
const SEED = 6;
/** As `MAPPING_PAGE_SIZE` in src/crosswalks/nodes.ts (the server answers at most 10 anyway). */
const PAGE_SIZE = 10;
const ID = CROSSWALK_SEEDS.conversions.identifier;
const VERSION = 1;

type Pair = string;
const pairsOf = (
  mappings: ReadonlyArray<
    Pick<Mapping, 'sourceCodeSystem' | 'sourceCode' | 'targetCodeSystem'> & {
      targets: ReadonlyArray<{ targetCode: string }>;
    }
  >,
): Pair[] =>
  mappings.flatMap((m) =>
    m.targets.map((t) =>
      JSON.stringify([m.sourceCodeSystem, m.sourceCode, m.targetCodeSystem, t.targetCode]),
    ),
  );

/** Throws unless `got` holds exactly the pairs of `expected`, each once. */
function checkRows(what: string, got: Pair[], expected: ReadonlySet<Pair>): void {
  const counts = new Map<Pair, number>();
  for (const p of got) counts.set(p, (counts.get(p) ?? 0) + 1);
  const doubled = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
  const extra = [...counts.keys()].filter((p) => !expected.has(p));
  const missing = [...expected].filter((p) => !counts.has(p));
  if (doubled.length + extra.length + missing.length > 0 || got.length !== expected.size) {
    throw new Error(
      `${what}: wrong rows: ${got.length} exported for ${expected.size} stored; ` +
        `${missing.length} missing (${missing.slice(0, 3).join(' ')}), ` +
        `${doubled.length} doubled (${doubled.slice(0, 3).join(' ')}), ` +
        `${extra.length} not stored (${extra.slice(0, 3).join(' ')})`,
    );
  }
}

async function main(): Promise<void> {
  const limits = { requestsPerSecond: RATE, rateLimitFraction: FRACTION, seed: SEED };
  const sb = await startSandbox({ quiet: true, crosswalks: limits });
  try {
    await sb.crosswalks.ready();
    const stored = (await sb.crosswalks.get(ID))?.versions.find((v) => v.version === VERSION);
    if (!stored) throw new Error(`the sandbox has no version ${VERSION} of ${ID}`);
    const expected = new Set(pairsOf(stored.mappings));
    if (expected.size !== pairsOf(stored.mappings).length)
      throw new Error('the stored version repeats a pair');

    const auth = new ImoAuth({
      baseUrl: () => sb.url,
      userAgent: UA,
      audience: () => sb.credentials.IMO_AUDIENCE,
      getCredentials: async () => ({
        clientId: sb.credentials.IMO_CLIENT_ID,
        clientSecret: sb.credentials.IMO_CLIENT_SECRET,
      }),
    });
    const client = new CrosswalksClient(createImoApiClient({ auth, baseUrl: () => sb.url, userAgent: UA }));
    await auth.getToken(); // sign-in is not part of the export (the token route is not limited)

    /** A full bucket and the same sequence of 5 % draws for each run; returns 429s answered so far. */
    const restartLimiter = (): number => {
      sb.crosswalks.configure(limits);
      return sb.crosswalks.state().rateLimited;
    };

    // --- the extension's export
    let limitedBefore = restartLimiter();
    let t0 = performance.now();
    const r = await fetchAllMappings(
      (page, signal) =>
        client.mappings(ID, VERSION, { pageSize: PAGE_SIZE, pageNumber: page }, signal, {
          retryRateLimit: false,
        }),
      { concurrency: EXPORT_CONCURRENCY },
    );
    const exportS = (performance.now() - t0) / 1000;
    const exportLimited = sb.crosswalks.state().rateLimited - limitedBefore;
    checkRows('export', pairsOf(r.mappings), expected);
    const pages = r.pages;
    if (pages !== Math.ceil(stored.mappings.length / PAGE_SIZE)) {
      throw new Error(`export read ${pages} pages for ${stored.mappings.length} mappings`);
    }
    const floor = pages / RATE;

    // --- naive: one page after the other, the HTTP client's per-request 429 retry
    limitedBefore = restartLimiter();
    t0 = performance.now();
    const naive: Mapping[] = [];
    let naivePages = 0;
    for (let n = 1; ; n++) {
      const page = await client.mappings(ID, VERSION, { pageSize: PAGE_SIZE, pageNumber: n });
      naive.push(...page.items);
      naivePages++;
      if (naive.length >= page.total || page.items.length === 0) break;
    }
    const naiveS = (performance.now() - t0) / 1000;
    const naiveLimited = sb.crosswalks.state().rateLimited - limitedBefore;
    checkRows('naive export', pairsOf(naive), expected);

    const setup =
      `sandbox in process, ${RATE} requests/s (bucket of one second), ${FRACTION * 100} % of accepted calls 429 ` +
      `(seed ${SEED}); baseline = floor ${pages} pages / ${RATE} per s`;
    const figures: Figure[] = [
      figure(
        'export',
        exportS,
        's',
        floor,
        { on: 'ratio', op: '<=', limit: 1.2 },
        `${setup}; fetchAllMappings, concurrency ${EXPORT_CONCURRENCY}, 429s not retried by the HTTP client; ` +
          `${pages} pages, ${r.total} mappings, ${expected.size} pairs exactly; ${exportLimited} answered 429, ` +
          `${r.rateLimitPauses} rate-limit pauses (a 429 waited out), pace at the end ${r.paceMs.toFixed(1)} ms between starts`,
      ),
      figure(
        'naiveSequential',
        naiveS,
        's',
        floor,
        null,
        `${setup}; one page at a time, the HTTP client's per-request 429 retry; ${naivePages} pages, ` +
          `${expected.size} pairs exactly; ${naiveLimited} answered 429`,
      ),
    ];
    report(BENCH, figures);
  } finally {
    await sb.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
