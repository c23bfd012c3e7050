/**
 * Codify as document 002 describes it: `POST {API_URL}/v1/codify` with a JSON body
 * `{medical_note, model?}`, a bearer token, optional `x-doctor` / `x-patient` audit headers, and an
 * answer whose `final_code_assessments` carry at least `code` and `description`.
 *
 * Two environments, like a client's two deployments, each with its own token (document 002: "use
 * different tokens for development and production"):
 * - development: `POST /v1/codify` (base URL = the sandbox URL), token `CODIFY_TOKEN`;
 * - production: `POST /production/v1/codify` (base URL = the sandbox URL + {@link CODIFY_PRODUCTION_PREFIX}),
 *   token `CODIFY_PRODUCTION_TOKEN`.
 * A token of the other environment is refused (401) like an unknown one. Both tokens can be
 * overridden from the environment variables of the same names.
 *
 * Checks, in this order (errors are `{detail, request_id}` with an `x-request-id` header, the shape a
 * FastAPI service answers):
 * 1. bearer token → 401 (`WWW-Authenticate: Bearer`);
 * 2. `Content-Type: application/json` → 415;
 * 3. the body is a JSON object → 400; `medical_note` a string → 400 "medical_note must be a string",
 *    present and not blank → 400 "medical_note is required"; at most {@link CODIFY_NOTE_LIMIT}
 *    characters (UTF-16 code units, JavaScript's `length`) → 413;
 * 4. `model`, when given, one of {@link CODIFY_MODELS} → 400 "unknown model 'x'; available: balanced,
 *    fast, accurate" (the real model names are not documented; refusing unknown ones lets tests reach
 *    a 400 with a server message through a well-formed request). Default `balanced`.
 *
 * The answer is deterministic: the note is cut into words (letters and digits, case-insensitive) and
 * searched, leftmost-longest and without overlaps, for (a) the long title of every billable code of
 * the real ICD-10-CM FY2026 order file and (b) a small table of common clinical phrases
 * ({@link COMMON_PHRASES}: "type 2 diabetes" → E11.9, "hypertension" → I10…). Phrases are held in a
 * word trie (built on the first request, about 0.4 s), so a note is searched in time linear in its
 * length (times the longest title, 31 words). Each code appears once, at its first mention, in note
 * order: `{code (dotted), description (the FY2026 long title), confidence, evidence (the matched text),
 * rationale, code_system: 'ICD-10-CM', billable: true}`. The top level also has `request_id`,
 * `model` and `processing_time_ms`; `x-request-id` repeats the id. It is a test double, not a coder:
 * negation, context and combination codes are ignored.
 *
 * Switches ({@link CodifyRuntimeOptions}: at start `startSandbox({codify})`, in process
 * `sandbox.codify.configure()`, over HTTP `POST /__sandbox/codify/options`; `reset()` restores the
 * startup options): `statuses` (answered in order, one per accepted request, before any success; 429
 * carries `Retry-After`), `delayMs` (a slow answer; a client that goes away is noticed at once, the
 * work stops and the request is recorded `aborted`), and `answer` (the well-formed answer or one of
 * {@link CODIFY_ANSWER_VARIANTS}: not JSON, no `final_code_assessments`, an assessment without
 * `code`, a rich answer with extra fields, codes the index does not know). The generic faults of
 * `faults.ts` (cut connections, rate limits with HTTP dates…) apply to these paths too.
 *
 * Every request that reaches the route is recorded ({@link CodifyRequestRecord}): the audit headers,
 * the model, the note's LENGTH and SHA-256 (never its text), user agent, content type, the body's
 * field names, the status, whether the client went away. `GET /__sandbox/codify/requests` lists them.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { type SandboxApp, bearerToken, isJsonContentType, newRequestId, readBody, sendJson } from '../app';
import type { RouteRequest, Router } from '../router';
// The sandbox otherwise shares no code with the extension (eslint.config.mjs). This loader is the
// exception on purpose, as in services/crosswalks.ts: it only turns the public order file into a
// code/title table (it is tested on its own), and the Codify client under test does not use it.
// eslint-disable-next-line no-restricted-imports
import { loadIcd10CmOrder } from '../../src/core/codes/loaders/icd10Order';

// ---------------------------------------------------------------------------------------------
// Public surface

/** The path of the development environment (document 002). */
export const CODIFY_PATH = '/v1/codify';
/** Prefix of the production environment's base URL: `${sandbox.url}${CODIFY_PRODUCTION_PREFIX}`. */
export const CODIFY_PRODUCTION_PREFIX = '/production';

export const CODIFY_DEFAULT_TOKEN = 'sandbox-codify-development-token-0000';
export const CODIFY_DEFAULT_PRODUCTION_TOKEN = 'sandbox-codify-production-token-0000';

/** Models the sandbox accepts; the first is the default. */
export const CODIFY_MODELS = ['balanced', 'fast', 'accurate'] as const;

/** Longest note accepted, characters (`length`); longer is 413. The document gives no limit. */
export const CODIFY_NOTE_LIMIT = 200_000;

/**
 * What a successful request is answered with:
 * - `matched` (default): the codes found in the note;
 * - `notJson`: 200, `Content-Type: application/json`, a body that is not JSON (a gateway's HTML page);
 * - `noAssessments`: valid JSON without `final_code_assessments` (`{request_id, model, result}`);
 * - `missingCode`: the matches plus one assessment without `code`;
 * - `rich`: the matches, each with extra fields (`hcc`, `alternatives`, `negated`, `section`…), and
 *   extra top-level fields (`api_version`, `warnings`, `usage`): nothing of it may be lost;
 * - `unknownCodes`: {@link UNKNOWN_CODE_ASSESSMENTS} (a code that does not exist, a header, a code
 *   deleted in FY2026, an undotted code, a description that is not the FY2026 title), then the matches.
 */
export const CODIFY_ANSWER_VARIANTS = [
  'matched',
  'notJson',
  'noAssessments',
  'missingCode',
  'rich',
  'unknownCodes',
] as const;
export type CodifyAnswerVariant = (typeof CODIFY_ANSWER_VARIANTS)[number];

/** The fixed assessments of the `unknownCodes` answer, before the matches. */
export const UNKNOWN_CODE_ASSESSMENTS: ReadonlyArray<Readonly<Record<string, unknown>>> = [
  { code: 'Z99.999', description: 'Not an ICD-10-CM code', confidence: 0.41 },
  {
    code: 'E11.6',
    description: 'Type 2 diabetes mellitus with other specified complications',
    confidence: 0.52,
  },
  { code: 'E78.01', description: 'Familial hypercholesterolemia', confidence: 0.63 },
  { code: 'E1165', description: 'Type 2 diabetes mellitus with hyperglycemia', confidence: 0.74 },
  { code: 'I10', description: 'Hypertension (essential)', confidence: 0.85 },
].map((a) => ({ ...a, code_system: 'ICD-10-CM', rationale: 'Sandbox: unknownCodes answer' }));

/**
 * Common clinical phrases and their codes (dotted). Each code must be a billable FY2026 code: the
 * sandbox refuses to start matching otherwise, so the table stays true to the data.
 */
export const COMMON_PHRASES: Readonly<Record<string, string>> = {
  'type 2 diabetes': 'E11.9',
  'type 2 diabetes mellitus': 'E11.9',
  'type ii diabetes': 'E11.9',
  t2dm: 'E11.9',
  'type 1 diabetes': 'E10.9',
  'type 1 diabetes mellitus': 'E10.9',
  hypertension: 'I10',
  'essential hypertension': 'I10',
  'high blood pressure': 'I10',
  'urinary tract infection': 'N39.0',
  uti: 'N39.0',
  sepsis: 'A41.9',
  hyperlipidemia: 'E78.5',
  copd: 'J44.9',
  'chronic obstructive pulmonary disease': 'J44.9',
  'chronic kidney disease stage 3': 'N18.30',
  'ckd stage 3': 'N18.30',
  'hip fracture': 'S72.009A',
  pneumonia: 'J18.9',
  asthma: 'J45.909',
  'atrial fibrillation': 'I48.91',
  'heart failure': 'I50.9',
  'congestive heart failure': 'I50.9',
  obesity: 'E66.9',
  depression: 'F32.A',
  anxiety: 'F41.9',
  hypothyroidism: 'E03.9',
  gerd: 'K21.9',
  'acid reflux': 'K21.9',
  migraine: 'G43.909',
  'acute kidney injury': 'N17.9',
  anemia: 'D64.9',
  'chest pain': 'R07.9',
  headache: 'R51.9',
  'low back pain': 'M54.50',
  'coronary artery disease': 'I25.10',
  'obstructive sleep apnea': 'G47.33',
  dehydration: 'E86.0',
  fever: 'R50.9',
  dyspnea: 'R06.00',
  'shortness of breath': 'R06.00',
};

/** What can be changed while the sandbox runs (`configure`, `POST /__sandbox/codify/options`). */
export const codifyRuntimeOptionsSchema = z
  .object({
    /** Wait this long before answering a valid request, ms (after `statuses`). null/0 = at once. */
    delayMs: z.number().int().nonnegative().nullable().optional(),
    /**
     * Statuses (400–599) to answer, in order, one per valid request, before answering normally.
     * Setting it replaces what is left of the previous sequence; `[]` clears it.
     */
    statuses: z.array(z.number().int().min(400).max(599)).optional(),
    /** `Retry-After` seconds on a 429 of `statuses` (default 1); null = no header. */
    retryAfterSeconds: z.number().nonnegative().nullable().optional(),
    /** The kind of successful answer (default `matched`). */
    answer: z.enum(CODIFY_ANSWER_VARIANTS).optional(),
  })
  .strict();
export type CodifyRuntimeOptions = z.infer<typeof codifyRuntimeOptionsSchema>;

/** `startSandbox({ codify })`. */
export interface CodifyOptions extends CodifyRuntimeOptions {
  /** Where the code-set files are (default `sandbox/data`). */
  dataDir?: string;
}

/** The options in force (`statuses`: what is left of the sequence). */
export interface ResolvedCodifyOptions {
  delayMs: number;
  statuses: number[];
  retryAfterSeconds: number | null;
  answer: CodifyAnswerVariant;
}

/** One request that reached the Codify route. Never the note's text. */
export interface CodifyRequestRecord {
  /** 1-based, counted since the last reset. */
  seq: number;
  environment: 'development' | 'production';
  /** `x-doctor` / `x-patient` headers, when sent. */
  doctor?: string;
  patient?: string;
  /** `model` of the body, when it is a string. */
  model?: string;
  /** Characters (`length`) of `medical_note`; 0 when absent or not a string. */
  noteLength: number;
  /** Hex SHA-256 of the UTF-8 note, so a test can check the text arrived intact without reading it. */
  noteSha256?: string;
  userAgent?: string;
  contentType?: string;
  /** Top-level field names of the JSON body (to check that nothing but the note and model is sent). */
  bodyFields: string[];
  /** Whether an `Authorization` header came (never its value). */
  authorization: boolean;
  /** Status answered; 0 while unanswered or when the client went away first. */
  status: number;
  /** The client went away before the answer was sent (cancelled, timed out). */
  aborted: boolean;
  /** Answered or aborted. */
  settled: boolean;
}

/** `sandbox.state().codify` and `GET /__sandbox/state` → `codify`. */
export interface CodifyState {
  requests: number;
  /** Requests neither answered nor aborted. */
  inFlight: number;
  aborted: number;
  /** Answered 200. */
  answered: number;
  /** Whether the phrase index is built. */
  indexLoaded: boolean;
}

/** In-process control of the Codify service (`sandbox.codify`). */
export interface CodifyControl {
  readonly credentials: { readonly development: string; readonly production: string };
  /** The options in force (a copy). */
  readonly options: ResolvedCodifyOptions;
  configure(patch: CodifyRuntimeOptions): void;
  /** Copies of the records, in arrival order. */
  requests(): CodifyRequestRecord[];
  clearRequests(): void;
  state(): CodifyState;
  /** Resolves with (a copy of) the `seq`-th record once its body has been read (default: the next one). */
  received(seq?: number): Promise<CodifyRequestRecord>;
  /** Resolves with (a copy of) the `seq`-th record once it is answered or aborted. */
  settled(seq: number): Promise<CodifyRequestRecord>;
  /** Builds the phrase index now instead of on the first request (benchmarks). */
  ready(): Promise<void>;
  /** Codes the matcher finds in a text (what `POST /v1/codify` would answer, `matched`). */
  match(note: string): Promise<Array<Record<string, unknown>>>;
}

/** What {@link registerCodify} returns: the control plus the hook adding `/__sandbox/codify/*`. */
export interface CodifyService extends CodifyControl {
  registerControl(control: Router): void;
}

// ---------------------------------------------------------------------------------------------
// The phrase index

const ORDER_FILE = 'icd10cm/icd10cm-order-2026.txt';
/** Word ids are below this; a trie edge is `node * WORD_SPACE + word`. */
const WORD_SPACE = 2 ** 20;
const WORD = /[\p{L}\p{N}]+/gu;

interface Phrase {
  code: string;
  description: string;
  kind: 'title' | 'phrase';
}

/** A word trie over titles and common phrases. */
class PhraseIndex {
  private readonly words = new Map<string, number>();
  private readonly edges = new Map<number, number>();
  private readonly terminal = new Map<number, Phrase>();
  private nodes = 1;

  add(text: string, phrase: Phrase): void {
    let node = 0;
    let any = false;
    for (const m of text.toLowerCase().matchAll(WORD)) {
      let id = this.words.get(m[0]);
      if (id === undefined) {
        id = this.words.size;
        if (id >= WORD_SPACE) throw new Error('too many distinct words for the phrase index');
        this.words.set(m[0], id);
      }
      const key = node * WORD_SPACE + id;
      let child = this.edges.get(key);
      if (child === undefined) {
        child = this.nodes++;
        this.edges.set(key, child);
      }
      node = child;
      any = true;
    }
    // the first phrase to end at a node keeps it (titles are added before the common phrases)
    if (any && !this.terminal.has(node)) this.terminal.set(node, phrase);
  }

  /** Leftmost-longest, non-overlapping matches, one per code (its first mention), in note order. */
  find(note: string): Array<{ phrase: Phrase; start: number; end: number }> {
    const tokens: Array<{ id: number; start: number; end: number }> = [];
    for (const m of note.matchAll(WORD)) {
      tokens.push({
        id: this.words.get(m[0].toLowerCase()) ?? -1,
        start: m.index,
        end: m.index + m[0].length,
      });
    }
    const out: Array<{ phrase: Phrase; start: number; end: number }> = [];
    const seen = new Set<string>();
    for (let i = 0; i < tokens.length;) {
      let node = 0;
      let best: { phrase: Phrase; last: number } | undefined;
      for (let j = i; j < tokens.length && tokens[j].id >= 0; j++) {
        const child = this.edges.get(node * WORD_SPACE + tokens[j].id);
        if (child === undefined) break;
        node = child;
        const phrase = this.terminal.get(node);
        if (phrase) best = { phrase, last: j };
      }
      if (!best) {
        i++;
        continue;
      }
      if (!seen.has(best.phrase.code)) {
        seen.add(best.phrase.code);
        out.push({ phrase: best.phrase, start: tokens[i].start, end: tokens[best.last].end });
      }
      i = best.last + 1;
    }
    return out;
  }
}

const dotted = (code: string): string => (code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code);

async function buildIndex(dataDir: string): Promise<PhraseIndex> {
  const result = loadIcd10CmOrder(await readFile(path.join(dataDir, ORDER_FILE)), { fileName: ORDER_FILE });
  const { columns } = result;
  if (!columns) throw new Error('the ICD-10-CM order loader gave no columns');
  const index = new PhraseIndex();
  const titles = new Map<string, string>();
  for (let i = 0; i < columns.codes.length; i++) {
    if (columns.billable?.[i] !== 1) continue;
    const code = dotted(columns.codes[i]);
    const title = columns.titles.at(i) ?? '';
    titles.set(code, title);
    index.add(title, { code, description: title, kind: 'title' });
  }
  for (const [text, code] of Object.entries(COMMON_PHRASES)) {
    const description = titles.get(code);
    if (description === undefined) throw new Error(`common phrase "${text}": ${code} is not a billable code`);
    index.add(text, { code, description, kind: 'phrase' });
  }
  return index;
}

/** The `matched` answer's assessments; `rich` adds fields the client does not know. */
function assessmentsOf(index: PhraseIndex, note: string, rich = false): Array<Record<string, unknown>> {
  return index.find(note).map(({ phrase, start, end }) => {
    const a: Record<string, unknown> = {
      code: phrase.code,
      description: phrase.description,
      confidence: phrase.kind === 'title' ? 0.95 : 0.85,
      evidence: note.slice(start, end),
      rationale:
        phrase.kind === 'title'
          ? `The note states the ICD-10-CM FY2026 long title of ${phrase.code}.`
          : `The note uses a common phrase for ${phrase.code} (sandbox phrase table).`,
      code_system: 'ICD-10-CM',
      billable: true,
    };
    if (!rich) return a;
    return {
      ...a,
      negated: false,
      section: 'Assessment and Plan',
      evidence_spans: [{ start, end }],
      hcc: { version: 'V28', category: phrase.code.startsWith('E11') ? '38' : null },
      alternatives: [{ code: phrase.code.slice(0, 3), description: 'Category (header)', confidence: 0.1 }],
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The service

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function resolve(o: CodifyRuntimeOptions, previous?: ResolvedCodifyOptions): ResolvedCodifyOptions {
  return {
    delayMs: o.delayMs === undefined ? (previous?.delayMs ?? 0) : (o.delayMs ?? 0),
    statuses: o.statuses !== undefined ? [...o.statuses] : [...(previous?.statuses ?? [])],
    retryAfterSeconds:
      o.retryAfterSeconds === undefined ? (previous?.retryAfterSeconds ?? 1) : o.retryAfterSeconds,
    answer: o.answer ?? previous?.answer ?? 'matched',
  };
}

/** Registers Codify (document 002): `POST /v1/codify` and `POST /production/v1/codify`. */
export function registerCodify(app: SandboxApp, opts: CodifyOptions = {}): CodifyService {
  const tokens = {
    development: app.env.CODIFY_TOKEN || CODIFY_DEFAULT_TOKEN,
    production: app.env.CODIFY_PRODUCTION_TOKEN || CODIFY_DEFAULT_PRODUCTION_TOKEN,
  } as const;
  app.credentials.CODIFY_TOKEN = tokens.development;
  app.credentials.CODIFY_PRODUCTION_TOKEN = tokens.production;

  const startup = codifyRuntimeOptionsSchema.parse({
    delayMs: opts.delayMs,
    statuses: opts.statuses,
    retryAfterSeconds: opts.retryAfterSeconds,
    answer: opts.answer,
  });
  const dataDir = opts.dataDir ?? path.resolve(__dirname, '..', 'data');
  let options = resolve(startup);

  let indexPromise: Promise<PhraseIndex> | undefined;
  let indexLoaded = false;
  const phraseIndex = (): Promise<PhraseIndex> => {
    if (!indexPromise) {
      indexPromise = buildIndex(dataDir).then((index) => {
        indexLoaded = true;
        return index;
      });
      indexPromise.catch(() => (indexPromise = undefined)); // a failed build is tried again next time
    }
    return indexPromise;
  };

  // ---- records and waiters

  const records: CodifyRequestRecord[] = [];
  /** Sequence numbers handed out since the last reset (records may have been cleared since). */
  let seq = 0;
  let waiters: Array<{
    test: () => CodifyRequestRecord | undefined;
    resolve: (r: CodifyRequestRecord) => void;
  }> = [];
  const notify = (): void => {
    waiters = waiters.filter((w) => {
      const r = w.test();
      if (r) w.resolve({ ...r, bodyFields: [...r.bodyFields] });
      return !r;
    });
  };
  const waitFor = (test: () => CodifyRequestRecord | undefined): Promise<CodifyRequestRecord> =>
    new Promise((resolve) => {
      waiters.push({ test, resolve });
      notify();
    });
  const find = (n: number): CodifyRequestRecord | undefined => records.find((r) => r.seq === n);

  const configure = (patch: CodifyRuntimeOptions): void => {
    options = resolve(codifyRuntimeOptionsSchema.parse(patch), options);
  };
  const clearRequests = (): void => {
    records.length = 0;
  };
  app.onReset(() => {
    options = resolve(startup);
    clearRequests();
    seq = 0;
  });
  const state = (): CodifyState => ({
    requests: records.length,
    inFlight: records.filter((r) => !r.settled).length,
    aborted: records.filter((r) => r.aborted).length,
    answered: records.filter((r) => r.status === 200).length,
    indexLoaded,
  });
  app.addState('codify', state);

  // ---- the route

  const handle = async (r: RouteRequest, environment: 'development' | 'production'): Promise<void> => {
    const started = performance.now();
    const { req, res } = r;
    const raw = await readBody(req);
    const record: CodifyRequestRecord = {
      seq: ++seq,
      environment,
      doctor: header(req, 'x-doctor'),
      patient: header(req, 'x-patient'),
      noteLength: 0,
      userAgent: header(req, 'user-agent'),
      contentType: header(req, 'content-type'),
      bodyFields: [],
      authorization: req.headers.authorization !== undefined,
      status: 0,
      aborted: false,
      settled: false,
    };
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const fields = isRecord(body) ? body : undefined;
    if (fields) {
      record.bodyFields = Object.keys(fields);
      if (typeof fields.medical_note === 'string') {
        record.noteLength = fields.medical_note.length;
        record.noteSha256 = createHash('sha256').update(fields.medical_note, 'utf8').digest('hex');
      }
      if (typeof fields.model === 'string') record.model = fields.model;
    }
    records.push(record);
    const settle = (): void => {
      if (record.settled) return;
      record.settled = true;
      if (res.writableFinished) record.status = res.statusCode;
      else record.aborted = true;
      notify();
    };
    res.once('close', settle);
    notify();
    if (res.destroyed) return settle();

    const fail = (status: number, detail: string, headers: Record<string, string> = {}): void => {
      const requestId = newRequestId();
      sendJson(res, status, { detail, request_id: requestId }, { 'x-request-id': requestId, ...headers });
    };

    if (bearerToken(req) !== tokens[environment]) {
      fail(
        401,
        bearerToken(req) === undefined
          ? 'Not authenticated: send Authorization: Bearer <token>'
          : 'Invalid token for this environment',
        { 'www-authenticate': 'Bearer' },
      );
      return;
    }
    if (!isJsonContentType(req)) {
      fail(415, 'Content-Type must be application/json');
      return;
    }
    if (!fields) {
      fail(400, 'The request body must be a JSON object: {"medical_note": "...", "model": "..."}');
      return;
    }
    if (fields.medical_note !== undefined && typeof fields.medical_note !== 'string') {
      fail(400, 'medical_note must be a string');
      return;
    }
    const note = typeof fields.medical_note === 'string' ? fields.medical_note : '';
    if (note.trim() === '') {
      fail(400, 'medical_note is required');
      return;
    }
    if (note.length > CODIFY_NOTE_LIMIT) {
      fail(413, `medical_note is too long: ${note.length} characters; the limit is ${CODIFY_NOTE_LIMIT}`);
      return;
    }
    if (fields.model !== undefined && fields.model !== null) {
      if (typeof fields.model !== 'string' || !(CODIFY_MODELS as readonly string[]).includes(fields.model)) {
        const shown = typeof fields.model === 'string' ? fields.model.slice(0, 100) : typeof fields.model;
        fail(400, `unknown model '${shown}'; available: ${CODIFY_MODELS.join(', ')}`);
        return;
      }
    }
    const model = typeof fields.model === 'string' ? fields.model : CODIFY_MODELS[0];

    const status = options.statuses.shift();
    if (status !== undefined) {
      const headers: Record<string, string> = {};
      if (status === 429 && options.retryAfterSeconds !== null)
        headers['retry-after'] = String(options.retryAfterSeconds);
      fail(status, `Sandbox: HTTP ${status} ${STATUS_TEXT[status] ?? ''}`.trim(), headers);
      return;
    }

    if (options.delayMs > 0 && !(await waitUnlessClosed(options.delayMs, res))) return;
    const index = await phraseIndex();
    if (res.destroyed) return;
    const requestId = newRequestId();
    const top = { request_id: requestId, model };
    const processing = (): number => Math.round(performance.now() - started);
    const matched = (): Array<Record<string, unknown>> => assessmentsOf(index, note);
    const send = (b: unknown): void => sendJson(res, 200, b, { 'x-request-id': requestId });
    switch (options.answer) {
      case 'matched':
        send({ final_code_assessments: matched(), ...top, processing_time_ms: processing() });
        return;
      case 'notJson': {
        const text = '<html><head><title>502 Bad Gateway</title></head><body>upstream</body></html>';
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
          'x-request-id': requestId,
        });
        res.end(text);
        return;
      }
      case 'noAssessments':
        send({ ...top, result: { codes: matched().map((a) => a.code) }, processing_time_ms: processing() });
        return;
      case 'missingCode':
        send({
          final_code_assessments: [
            ...matched(),
            { description: 'An assessment without a code', confidence: 0.5, code_system: 'ICD-10-CM' },
          ],
          ...top,
          processing_time_ms: processing(),
        });
        return;
      case 'rich':
        send({
          final_code_assessments: assessmentsOf(index, note, true),
          ...top,
          processing_time_ms: processing(),
          api_version: '2.1-sandbox',
          warnings: ['Sandbox: this answer carries fields the client does not know'],
          usage: { input_characters: note.length, model },
        });
        return;
      case 'unknownCodes':
        send({
          final_code_assessments: [...UNKNOWN_CODE_ASSESSMENTS.map((a) => ({ ...a })), ...matched()],
          ...top,
          processing_time_ms: processing(),
        });
        return;
    }
  };

  app.router.post(CODIFY_PATH, (r) => handle(r, 'development'));
  app.router.post(`${CODIFY_PRODUCTION_PREFIX}${CODIFY_PATH}`, (r) => handle(r, 'production'));

  // ---- control

  const copy = (r: CodifyRequestRecord): CodifyRequestRecord => ({ ...r, bodyFields: [...r.bodyFields] });

  const registerControl = (control: Router): void => {
    control.get('/__sandbox/codify/options', ({ res }) => sendJson(res, 200, options));
    control.post('/__sandbox/codify/options', async (r) => {
      const parsed = codifyRuntimeOptionsSchema.safeParse(await readJson(r.req));
      if (!parsed.success) {
        sendJson(r.res, 400, { message: 'invalid codify options', issues: parsed.error.issues });
        return;
      }
      configure(parsed.data);
      sendJson(r.res, 200, options);
    });
    control.get('/__sandbox/codify/requests', ({ res }) =>
      sendJson(res, 200, { requests: records.map(copy) }),
    );
    control.delete('/__sandbox/codify/requests', ({ res }) => {
      clearRequests();
      res.writeHead(204).end();
    });
    // Long poll for tests in another process: `?until=received|settled&timeoutMs=` (default
    // settled, 10 s); 408 when the record does not get there in time.
    control.get('/__sandbox/codify/requests/:seq', async ({ res, params, query }) => {
      const n = Number(params.seq);
      const until = query.get('until') ?? 'settled';
      const timeoutMs = Number(query.get('timeoutMs') ?? 10_000);
      if (
        !Number.isInteger(n) ||
        n < 1 ||
        (until !== 'received' && until !== 'settled') ||
        !(timeoutMs >= 0)
      ) {
        sendJson(res, 400, { message: 'expected /__sandbox/codify/requests/<n>?until=received|settled' });
        return;
      }
      const wanted = until === 'received' ? received(n) : settled(n);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>(
        (resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)),
      );
      const record = await Promise.race([wanted, timeout]);
      clearTimeout(timer);
      if (record) sendJson(res, 200, record);
      else sendJson(res, 408, { message: `request ${n} was not ${until} within ${timeoutMs} ms` });
    });
  };

  const received = (n?: number): Promise<CodifyRequestRecord> => {
    const wanted = n ?? seq + 1;
    return waitFor(() => find(wanted));
  };
  const settled = (n: number): Promise<CodifyRequestRecord> =>
    waitFor(() => {
      const r = find(n);
      return r?.settled ? r : undefined;
    });

  return {
    credentials: tokens,
    get options() {
      return { ...options, statuses: [...options.statuses] };
    },
    configure,
    requests: () => records.map(copy),
    clearRequests,
    state,
    received,
    settled,
    ready: async () => {
      await phraseIndex();
    },
    match: async (note) => assessmentsOf(await phraseIndex(), note),
    registerControl,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Waits `ms`; resolves false as soon as the client goes away (the work is then dropped). */
function waitUnlessClosed(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', closed);
      resolve(!res.destroyed);
    };
    const closed = (): void => done();
    const timer = setTimeout(done, ms);
    res.once('close', closed);
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString('utf8');
  try {
    return raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
  } catch {
    return undefined;
  }
}
