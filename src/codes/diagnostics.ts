import * as vscode from 'vscode';
import { Commands, DIAGNOSTIC_SOURCE, Settings } from '../constants';
import type { CodeIndex } from '../core/codes/codeIndex';
import type { DocumentFormat } from '../core/codes/findCodes';
import type * as ValidateModule from '../core/codes/validate';
import type { CodeProblem, RuleId, Severity, ValidateOptions } from '../core/codes/validate';
import { registerCommand, UserError } from '../platform/commands';
import type { Logger } from '../platform/log';
import { CodeProblemActions, undottedEdit } from './codeActions';
import type { Published, PublishedChunk } from './codeActions';
import type { DocumentCodes } from './documentCodes';
import { documentFormat } from './documentCodes';
import type { CodeIndexService } from './service';

/*
 * Code diagnostics: validate every open document the code features apply to (and whose
 * language-overridable `clinicalCoder.codes.diagnostics.enabled` is on), debounced, in the
 * background, and incrementally.
 *
 * Incremental: the text is cut into chunks of ~256 KB at structural boundaries (lines; CSV rows;
 * X12 claims). Each chunk is validated on its own, yielding to the event loop between chunks, and
 * its problems are cached under its exact text, the prefix it was validated with, the index
 * generation, the format, the rules and the date of service. Cuts are content-defined (a rolling
 * hash decides where, past a minimum size, a chunk may end), so an edit changes the chunk it falls
 * in and, when it moves a cut, usually one or two more before the cuts re-align: the other chunks
 * keep their exact text and come from the cache (a one-line edit in a 10 MB file re-validates one
 * chunk of ~40).
 *
 * Structure survives chunking:
 * - The format is decided once for the whole document and passed explicitly.
 * - CSV: every chunk after the first is validated behind the header line and the first data row
 *   (the scanner recognises a header by comparing it with the row below); HL7 behind the first
 *   segment (it declares the separators); X12 behind the ISA segment (same). Problems inside that
 *   prefix are dropped and offsets are shifted back.
 * - Dates of service. Where the date is document-wide (text, HL7; JSON and XML are never split),
 *   the dates are found over the whole document (chunk by chunk, in order, cached) and the first
 *   one is passed as `dateOfService` to every chunk when the document has more than one chunk; a
 *   one-chunk document is validated exactly like the CLI does (the validator reads the date).
 *   CSV and X12 carry their dates per row / per claim: under 2 MB they are validated whole in one
 *   pass; above, they are cut only at row / CLM boundaries, so every chunk (behind its prefix) is a
 *   small CSV / X12 document of complete rows / claims and the validator reads each row's or
 *   claim's own date from it, exactly as in a whole-document pass. No `dateOfService` is passed
 *   for them: a "uniform" chunk date would also stamp the rows that state none.
 * - JSON and XML cannot be split: they are validated whole, still after the debounce and off the
 *   activation path.
 *
 * The index is loaded lazily: `service.ready()` is first awaited by a validation run, i.e. after
 * the first debounce, never during activation. Only counts and timings are logged.
 */

/**
 * Chunks end at the first boundary after the rolling hash fires past this size; it fires about once
 * every 4 K characters of varied text (less often in repetitive text), so chunks average ~240 KB...
 */
const CHUNK_MIN = 224 * 1024;
/** ...or, when it does not fire, at the first boundary past this size. */
const CHUNK_MAX = 512 * 1024;
/** CSV and X12 below this size are validated in one pass (per-row / per-claim dates, see above). */
const WHOLE_PASS_LIMIT = 2 * 1024 * 1024;
/** Schemes that are never validated (output channels, debug consoles, git's copies of files). */
const EXCLUDED_SCHEMES = new Set(['output', 'debug', 'git', 'gitfs', 'vscode-scm']);

export interface DiagnosticsApi {
  readonly collection: vscode.DiagnosticCollection;
  /** validates now (no debounce) and resolves when the document's diagnostics are published */
  refresh(doc: vscode.TextDocument): Promise<void>;
  refreshAll(): void;
}

interface Deps {
  service: CodeIndexService;
  codes: DocumentCodes;
  log: Logger;
  applies: (doc: vscode.TextDocument) => boolean;
}

// ---------------------------------------------------------------------------------------------
// Chunking (pure)

/** 256 pseudo-random words for the gear rolling hash (fixed seed: cuts must be reproducible). */
const GEAR = ((): Int32Array => {
  const table = new Int32Array(256);
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x;
  }
  return table;
})();

const LF = 10;
const CR = 13;
const QUOTE = 34;

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === LF || c === CR;
}

/** The offset right after the line break at or after `p` (CR LF is one break), or `text.length`. */
function lineEndFrom(text: string, p: number): number {
  const n = text.length;
  for (let i = p; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) return i + 1;
    if (c === CR) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  }
  return n;
}

/**
 * The first position at or past `start + CHUNK_MIN` where the gear rolling hash fires (its top 12
 * bits, which depend on the last 32 characters only, are zero), else `start + CHUNK_MAX`; `n` if
 * the text ends first. Content-defined: an edit moves a cut only if it changes the characters that
 * decide it or shifts the minimum past a firing point, and the cuts after it re-align within about
 * a chunk or two.
 */
function armedAt(text: string, start: number): number {
  const n = text.length;
  const from = start + CHUNK_MIN;
  const limit = Math.min(n, start + CHUNK_MAX);
  if (from >= n) return n;
  let h = 0;
  for (let p = Math.max(start, from - 32); p < limit; p++) {
    h = ((h << 1) + GEAR[text.charCodeAt(p) & 255]!) | 0;
    if (p >= from && h >>> 20 === 0) return p;
  }
  return limit;
}

/** Where each chunk ends, per format. */
interface Cutter {
  /** The end of the chunk that starts at `start` (a boundary, or the text's end). */
  next(start: number): number;
  /** What every chunk but the first is validated behind. */
  readonly prefix: string;
}

/** Text and HL7: chunks end at line ends (HL7 segments end at CR or LF). */
function lineCutter(text: string, format: DocumentFormat): Cutter {
  let prefix = '';
  if (format === 'hl7') {
    let i = 0;
    while (i < text.length && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 0xfeff)) i++;
    prefix = text.slice(0, lineEndFrom(text, i));
  }
  return {
    prefix,
    next: (start) => {
      const armed = armedAt(text, start);
      return armed >= text.length ? text.length : lineEndFrom(text, armed);
    },
  };
}

/** The CSV delimiter as the scanner picks it: the most frequent of `, \t | ;` in the first line. */
function csvDelimiter(text: string): number {
  const line = text.slice(0, lineEndFrom(text, 0));
  let best = 0;
  let delimiter = ',';
  for (const d of [',', '\t', '|', ';']) {
    const count = line.split(d).length - 1;
    if (count > best) {
      best = count;
      delimiter = d;
    }
  }
  return delimiter.charCodeAt(0);
}

/**
 * The end of the CSV row starting at `start` (past its line break), reading quotes like the
 * scanner does: a quote opens a quoted cell only at the start of a cell, `""` inside is a quote,
 * and a quoted cell may span lines. With `armAt`, the first row end at or after `armAt(…)`.
 */
function csvRowEnd(text: string, start: number, delim: number, armed = start): number {
  const n = text.length;
  let atCellStart = true;
  for (let p = start; p < n; p++) {
    const c = text.charCodeAt(p);
    if (atCellStart && c === QUOTE) {
      p++;
      while (p < n) {
        if (text.charCodeAt(p) === QUOTE) {
          if (text.charCodeAt(p + 1) === QUOTE) p += 2;
          else break;
        } else p++;
      }
      atCellStart = false;
      continue;
    }
    if (c === delim) atCellStart = true;
    else if (c === LF || c === CR) {
      const end = c === CR && text.charCodeAt(p + 1) === LF ? p + 2 : p + 1;
      if (end > armed) return end;
      atCellStart = true;
      p = end - 1;
    } else atCellStart = false;
  }
  return n;
}

/** CSV: chunks end at row ends; later chunks are validated behind the header and first data row. */
function csvCutter(text: string): Cutter {
  const delim = csvDelimiter(text);
  const headerEnd = csvRowEnd(text, 0, delim);
  const prefix = text.slice(0, csvRowEnd(text, headerEnd, delim));
  return {
    prefix,
    next: (start) => {
      const armed = armedAt(text, start);
      return armed >= text.length ? text.length : csvRowEnd(text, start, delim, armed);
    },
  };
}

/** X12: chunks end right before a `CLM` segment; later chunks are validated behind the ISA segment. */
function x12Cutter(text: string): Cutter {
  let i = 0;
  while (i < text.length && (isBlank(text.charCodeAt(i)) || text.charCodeAt(i) === 0xfeff)) i++;
  let elemSep = '*';
  let segTerm = '~';
  let prefix = '';
  if (text.startsWith('ISA', i) && text.length > i + 105) {
    elemSep = text.charAt(i + 3);
    segTerm = text.charAt(i + 105);
    prefix = text.slice(0, i + 106);
  }
  const claim = `CLM${elemSep}`;
  return {
    prefix,
    next: (start) => {
      const n = text.length;
      let p = armedAt(text, start);
      while (p < n) {
        const t = text.indexOf(segTerm, p);
        if (t < 0) return n;
        let s = t + 1;
        while (s < n && isBlank(text.charCodeAt(s))) s++;
        if (text.startsWith(claim, s)) return s;
        p = s;
      }
      return n;
    },
  };
}

function wholeCutter(text: string): Cutter {
  return { prefix: '', next: () => text.length };
}

function cutterFor(text: string, format: DocumentFormat): Cutter {
  switch (format) {
    case 'json':
    case 'xml':
      return wholeCutter(text);
    case 'csv':
      return text.length < WHOLE_PASS_LIMIT ? wholeCutter(text) : csvCutter(text);
    case 'x12':
      return text.length < WHOLE_PASS_LIMIT ? wholeCutter(text) : x12Cutter(text);
    case 'text':
    case 'hl7':
      return lineCutter(text, format);
  }
}

// ---------------------------------------------------------------------------------------------
// The per-document cache

interface Keyed {
  prefix: string;
  text: string;
}

interface ChunkEntry extends Keyed {
  /** generation, format, rules, date of service */
  readonly key: string;
  /** Offsets relative to the chunk start. */
  readonly problems: readonly CodeProblem[];
  /** The diagnostics last built for the chunk, valid while it starts at the same position. */
  shown?: { line: number; character: number; diagnostics: readonly vscode.Diagnostic[] };
}

interface DateEntry extends Keyed {
  readonly format: DocumentFormat;
  readonly first: string | undefined;
}

/**
 * Entries found by exact text. What stays: the entries the last completed run used, plus what the
 * current run and the run before it (if aborted) added. Each entry holds slices of the text it
 * came from, so a hit swaps in the new slices: old versions' texts are not kept alive.
 */
class Entries<E extends Keyed> {
  private kept: E[] = [];
  private previous: E[] = [];
  private fresh: E[] = [];
  private used: E[] = [];

  /** A run starts: what an aborted run added is kept for one more run. */
  begin(): void {
    this.previous = this.fresh;
    this.fresh = [];
    this.used = [];
  }

  find(prefix: string, text: string, matches: (e: E) => boolean): E | undefined {
    for (const list of [this.kept, this.fresh, this.previous]) {
      for (const e of list) {
        if (e.text.length === text.length && matches(e) && e.prefix === prefix && e.text === text) {
          e.text = text;
          e.prefix = prefix;
          this.used.push(e);
          return e;
        }
      }
    }
    return undefined;
  }

  add(e: E): void {
    this.fresh.push(e);
    this.used.push(e);
  }

  /** A run completed: keep exactly what it used. */
  complete(): void {
    this.kept = this.used;
    this.previous = [];
    this.fresh = [];
    this.used = [];
  }
}

class ChunkCache {
  readonly chunks = new Entries<ChunkEntry>();
  readonly dates = new Entries<DateEntry>();

  begin(): void {
    this.chunks.begin();
    this.dates.begin();
  }

  complete(): void {
    this.chunks.complete();
    this.dates.complete();
  }

  problems(key: string, prefix: string, text: string): ChunkEntry | undefined {
    return this.chunks.find(prefix, text, (e) => e.key === key);
  }

  /** The first date of service in a chunk (behind `prefix`, whose own dates do not count). */
  firstDate(format: DocumentFormat, prefix: string, text: string): string | undefined {
    const hit = this.dates.find(prefix, text, (e) => e.format === format);
    if (hit) return hit.first;
    let first: { start: number; date: string } | undefined;
    for (const d of validation().findDatesOfService(prefix + text, format))
      if (d.start >= prefix.length && (!first || d.start < first.start)) first = d;
    this.dates.add({ format, prefix, text, first: first?.date });
    return first?.date;
  }
}

// ---------------------------------------------------------------------------------------------
// Conversion

const SEVERITIES: Readonly<Record<Severity, vscode.DiagnosticSeverity>> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

function toDiagnostic(doc: vscode.TextDocument, offset: number, p: CodeProblem): vscode.Diagnostic {
  const range = new vscode.Range(doc.positionAt(offset + p.start), doc.positionAt(offset + p.end));
  const d = new vscode.Diagnostic(
    range,
    p.message,
    SEVERITIES[p.severity] ?? vscode.DiagnosticSeverity.Warning,
  );
  d.source = DIAGNOSTIC_SOURCE;
  d.code = p.rule;
  if (p.rule === 'deleted-code') d.tags = [vscode.DiagnosticTag.Deprecated];
  return d;
}

/** The problems of a chunk validated behind `prefix`, relative to the chunk. */
function relative(problems: readonly CodeProblem[], prefixLength: number): readonly CodeProblem[] {
  if (prefixLength === 0) return problems;
  return problems
    .filter((p) => p.start >= prefixLength)
    .map((p) => ({ ...p, start: p.start - prefixLength, end: p.end - prefixLength }));
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function errorSummary(e: unknown): string {
  // the name and the first frames only: a message could quote document text
  if (e instanceof Error) {
    const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
    return [e.name, ...frames.slice(0, 4)].join('\n');
  }
  return typeof e;
}

// ---------------------------------------------------------------------------------------------
// The controller

interface Run {
  readonly version: number;
  readonly signal: { aborted: boolean };
  /** true when the run published (or cleared) the document's diagnostics, false when superseded. */
  done: Promise<boolean>;
}

interface DocState {
  timer?: NodeJS.Timeout;
  run?: Run;
  readonly cache: ChunkCache;
  published?: Published;
}

interface Computed {
  readonly published: Published;
  readonly diagnostics: vscode.Diagnostic[];
  readonly chunks: number;
  readonly validated: number;
}

class DiagnosticsController implements vscode.Disposable {
  private readonly states = new Map<string, DocState>();

  constructor(
    readonly collection: vscode.DiagnosticCollection,
    private readonly deps: Deps,
  ) {}

  /** Whether the document is validated: the code features apply and diagnostics are enabled for its language. */
  wanted(doc: vscode.TextDocument): boolean {
    if (doc.isClosed || EXCLUDED_SCHEMES.has(doc.uri.scheme) || !this.deps.applies(doc)) return false;
    return (
      vscode.workspace
        .getConfiguration(Settings.section, { languageId: doc.languageId, uri: doc.uri })
        .get<boolean>(Settings.codesDiagnosticsEnabled, true) !== false
    );
  }

  private rules(doc: vscode.TextDocument): Partial<Record<RuleId, boolean>> {
    const raw = vscode.workspace
      .getConfiguration(Settings.section, doc.uri)
      .get<Record<string, unknown>>(Settings.codesDiagnosticsRules, {});
    const rules: Partial<Record<RuleId, boolean>> = {};
    for (const id of validation().RULE_IDS)
      if (typeof raw?.[id] === 'boolean') rules[id] = raw[id] as boolean;
    return rules;
  }

  published(doc: vscode.TextDocument): Published | undefined {
    return this.states.get(doc.uri.toString())?.published;
  }

  private state(doc: vscode.TextDocument): DocState {
    const key = doc.uri.toString();
    let st = this.states.get(key);
    if (!st) {
      st = { cache: new ChunkCache() };
      this.states.set(key, st);
    }
    return st;
  }

  /** ~250 ms for small documents, up to 1 s above 1 MB. */
  private debounce(doc: vscode.TextDocument): number {
    const length = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
    if (length > 1024 * 1024) return 1000;
    if (length > 256 * 1024) return 500;
    return 250;
  }

  schedule(doc: vscode.TextDocument, delay?: number): void {
    if (!this.wanted(doc)) {
      this.clear(doc);
      return;
    }
    const st = this.state(doc);
    clearTimeout(st.timer);
    st.timer = setTimeout(
      () => {
        st.timer = undefined;
        if (this.states.get(doc.uri.toString()) === st) void this.start(doc, st);
      },
      delay ?? this.debounce(doc),
    );
  }

  changed(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const st = this.states.get(e.document.uri.toString());
    if (st?.run) st.run.signal.aborted = true;
    if (st || this.wanted(e.document)) this.schedule(e.document);
  }

  clear(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    const st = this.states.get(key);
    if (st) {
      clearTimeout(st.timer);
      if (st.run) st.run.signal.aborted = true;
      this.states.delete(key);
    }
    if (this.collection.has(doc.uri)) this.collection.delete(doc.uri);
  }

  refreshAll(): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (this.wanted(doc)) this.schedule(doc, 100);
      else if (this.states.has(doc.uri.toString()) || this.collection.has(doc.uri)) this.clear(doc);
    }
  }

  async refresh(doc: vscode.TextDocument): Promise<void> {
    // A run superseded by a newer version is followed by one for that version; give up only if
    // the document keeps changing.
    for (let attempt = 0; attempt < 10; attempt++) {
      if (!this.wanted(doc)) {
        this.clear(doc);
        return;
      }
      const st = this.state(doc);
      const inFlight = st.run;
      const run =
        inFlight && !inFlight.signal.aborted && inFlight.version === doc.version
          ? inFlight
          : this.start(doc, st);
      if (await run.done) return;
      if (doc.isClosed) return;
    }
  }

  private start(doc: vscode.TextDocument, st: DocState): Run {
    clearTimeout(st.timer);
    st.timer = undefined;
    if (st.run) st.run.signal.aborted = true;
    const run: Run = { version: doc.version, signal: { aborted: false }, done: Promise.resolve(false) };
    st.run = run;
    run.done = this.execute(doc, st, run)
      .catch((e: unknown) => {
        this.deps.log.error(`Code diagnostics failed\n${errorSummary(e)}`);
        return true;
      })
      .finally(() => {
        if (st.run === run) st.run = undefined;
      });
    return run;
  }

  private async execute(doc: vscode.TextDocument, st: DocState, run: Run): Promise<boolean> {
    const key = doc.uri.toString();
    const current = (): boolean =>
      !run.signal.aborted && !doc.isClosed && doc.version === run.version && this.states.get(key) === st;
    if (!this.wanted(doc)) {
      this.clear(doc);
      return true;
    }
    let index = this.deps.service.current;
    if (!index) {
      try {
        index = await this.deps.service.ready();
      } catch {
        // logged by the service; nothing can be validated without an index
        if (!current()) return false;
        this.collection.delete(doc.uri);
        st.published = undefined;
        return true;
      }
    }
    if (!current()) return false;
    const started = performance.now();
    const computed = await this.compute(doc, index, this.rules(doc), st.cache, current);
    if (!computed || !current()) return false;
    this.collection.set(doc.uri, computed.diagnostics);
    st.published = computed.published;
    this.deps.log.debug(
      `Code diagnostics: ${computed.diagnostics.length} problems, ${computed.chunks} chunks ` +
        `(${computed.validated} validated), ${(computed.published.text.length / 1024).toFixed(0)} KB, ` +
        `${(performance.now() - started).toFixed(0)} ms`,
    );
    return true;
  }

  /**
   * Validates the document chunk by chunk (see the module comment), yielding between chunks.
   * Returns undefined as soon as `current()` turns false or the index changes.
   */
  private async compute(
    doc: vscode.TextDocument,
    index: CodeIndex,
    rules: Partial<Record<RuleId, boolean>>,
    cache: ChunkCache,
    current: () => boolean,
  ): Promise<Computed | undefined> {
    const generation = index.generation;
    const valid = (): boolean => current() && index.generation === generation;
    const text = doc.getText();
    const version = doc.version;
    const format = documentFormat(doc, text);
    const cutter = cutterFor(text, format);
    cache.begin();

    const bounds: { start: number; end: number }[] = [];
    for (let start = 0; start < text.length || bounds.length === 0;) {
      let end = cutter.next(start);
      if (end <= start) end = text.length;
      bounds.push({ start, end });
      start = end;
      if (start < text.length && bounds.length % 8 === 0) {
        await tick();
        if (!valid()) return undefined;
      }
    }
    const prefixOf = (start: number): string => (start === 0 ? '' : cutter.prefix);
    const sliceOf = (b: { start: number; end: number }): string =>
      b.start === 0 && b.end === text.length ? text : text.slice(b.start, b.end);

    let dateOfService: string | undefined;
    if (bounds.length > 1 && (format === 'text' || format === 'hl7')) {
      for (const b of bounds) {
        dateOfService = cache.firstDate(format, prefixOf(b.start), sliceOf(b));
        if (dateOfService !== undefined) break;
        await tick();
        if (!valid()) return undefined;
      }
    }

    const key = JSON.stringify([generation, format, rules, dateOfService ?? null]);
    const options: ValidateOptions = {
      format,
      rules,
      signal: {
        get aborted() {
          return !valid();
        },
      },
      ...(dateOfService !== undefined ? { dateOfService } : {}),
    };
    const chunks: PublishedChunk[] = [];
    const diagnostics: vscode.Diagnostic[] = [];
    let validated = 0;
    for (let i = 0; i < bounds.length; i++) {
      if (i > 0) {
        await tick();
        if (!valid()) return undefined;
      }
      const b = bounds[i]!;
      const prefix = prefixOf(b.start);
      const chunkText = sliceOf(b);
      let entry = cache.problems(key, prefix, chunkText);
      if (!entry) {
        const raw = validation().validateCodes(prefix ? prefix + chunkText : chunkText, index, options);
        if (!valid()) return undefined;
        entry = { key, prefix, text: chunkText, problems: relative(raw, prefix.length) };
        cache.chunks.add(entry);
        validated++;
      }
      // positions come from the live document, which is still at `version` (checked above)
      const at = doc.positionAt(b.start);
      let shown = entry.shown;
      if (!shown || shown.line !== at.line || shown.character !== at.character) {
        shown = {
          line: at.line,
          character: at.character,
          diagnostics: entry.problems.map((p) => toDiagnostic(doc, b.start, p)),
        };
        entry.shown = shown;
      }
      for (const d of shown.diagnostics) diagnostics.push(d);
      chunks.push({ start: b.start, problems: entry.problems, diagnostics: shown.diagnostics });
    }
    cache.complete();
    return { published: { version, text, chunks }, diagnostics, chunks: bounds.length, validated };
  }

  /**
   * The undotted-code problems of the document's current version: the published ones when the
   * document is validated with that rule on, else a one-off validation with only that rule.
   */
  async undotted(doc: vscode.TextDocument): Promise<Published> {
    if (this.wanted(doc) && this.rules(doc)['undotted-code'] !== false) {
      await this.refresh(doc);
      const published = this.published(doc);
      if (published && published.version === doc.version) return published;
      if (!this.deps.service.current)
        throw new UserError('The code index is not loaded, so codes cannot be checked. See the log.', [
          { title: 'Open Log', run: () => this.deps.log.show() },
        ]);
    }
    const index = this.deps.service.current ?? (await this.deps.service.ready());
    const rules: Partial<Record<RuleId, boolean>> = {};
    for (const id of validation().RULE_IDS) rules[id] = id === 'undotted-code';
    const version = doc.version;
    const computed = await this.compute(
      doc,
      index,
      rules,
      new ChunkCache(),
      () => !doc.isClosed && doc.version === version,
    );
    if (!computed) throw new UserError('The document changed while it was being checked; try again.');
    return computed.published;
  }

  dispose(): void {
    for (const st of this.states.values()) {
      clearTimeout(st.timer);
      if (st.run) st.run.signal.aborted = true;
    }
    this.states.clear();
  }
}

async function documentFor(arg: unknown): Promise<vscode.TextDocument> {
  if (arg instanceof vscode.Uri) {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === arg.toString());
    return open ?? (await vscode.workspace.openTextDocument(arg));
  }
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) throw new UserError('Open a document first: this command adds dots to its ICD-10-CM codes.');
  return doc;
}

/** Code diagnostics, their quick fixes, and the "add missing dots" command. */
export function registerDiagnostics(context: vscode.ExtensionContext, deps: Deps): DiagnosticsApi {
  const collection = vscode.languages.createDiagnosticCollection('clinicalCoder.codes');
  const controller = new DiagnosticsController(collection, deps);
  const section = `${Settings.section}.codes.diagnostics`;

  const addDots = async (arg?: unknown): Promise<number> => {
    const doc = await documentFor(arg);
    for (let attempt = 0; attempt < 3; attempt++) {
      const published = await controller.undotted(doc);
      if (published.version !== doc.version) continue;
      const { edit, count } = undottedEdit(doc, published);
      if (count === 0) {
        void vscode.window.showInformationMessage('No undotted ICD-10-CM codes');
        return 0;
      }
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code did not apply the edit');
      deps.log.info(`Added dots to ${count} ICD-10-CM codes`);
      void vscode.window.showInformationMessage(`Added dots to ${count} ${count === 1 ? 'code' : 'codes'}`);
      return count;
    }
    throw new UserError('The document kept changing while it was being checked; try again.');
  };

  context.subscriptions.push(
    collection,
    controller,
    vscode.workspace.onDidOpenTextDocument((doc) => controller.schedule(doc)),
    vscode.workspace.onDidChangeTextDocument((e) => controller.changed(e)),
    vscode.workspace.onDidCloseTextDocument((doc) => controller.clear(doc)),
    deps.service.onDidChange(() => controller.refreshAll()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // `enabled` is language-overridable: a `[lang]` block changing counts too
      if (
        e.affectsConfiguration(section) ||
        vscode.workspace.textDocuments.some((doc) =>
          e.affectsConfiguration(section, { languageId: doc.languageId, uri: doc.uri }),
        )
      )
        controller.refreshAll();
    }),
    vscode.languages.registerCodeActionsProvider(
      '*',
      new CodeProblemActions({
        published: (doc) => controller.published(doc),
        refresh: (doc) => controller.refresh(doc),
      }),
      CodeProblemActions.metadata,
    ),
    registerCommand(deps, Commands.codesAddDotsInFile, 'Add Missing Dots', addDots),
  );
  // documents already open at activation: scheduled, so the index loads after the debounce
  for (const doc of vscode.workspace.textDocuments) controller.schedule(doc);

  return {
    collection,
    refresh: (doc) => controller.refresh(doc),
    refreshAll: () => controller.refreshAll(),
  };
}

/**
 * The validation rules (with the scanner they share with hovers), loaded when the first document is
 * validated: a chunk of its own in the bundle (esbuild.js, lazyChunks).
 */
function validation(): typeof ValidateModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../core/codes/validate') as typeof ValidateModule;
}
