/**
 * Find Code: a quick pick that searches the titles and codes of the active code set releases,
 * ranked by {@link SearchIndex} (exact code, code prefix, all words, then some words), with a
 * code-system filter. Enter inserts the code at every selection of the active editor (or copies it
 * when no editor is open); the item button inserts `code — description`.
 *
 * The search index is built lazily, once per index generation (a reload or a change of the active
 * releases gives a new one), and its build starts as soon as the quick pick opens, not on the first
 * keystroke.
 */

import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../constants';
import type { CodeIndex } from '../core/codes/codeIndex';
import { activeSearchSource } from '../core/codes/indexSearch';
import type { IndexSearchSource } from '../core/codes/indexSearch';
import { MAX_CODE_LENGTH, recogniseAll } from '../core/codes/recognise';
import type { MatchTier, SearchHit, SearchIndex } from '../core/codes/search';
import type * as SearchModule from '../core/codes/search';
import { CODE_SYSTEMS, CODE_SYSTEM_LABELS, isCodeSystem } from '../core/codes/systems';
import type { CodeSystem } from '../core/codes/systems';
import { registerCommand, UserError } from '../platform/commands';
import type { Logger } from '../platform/log';
import { insertOrCopy } from './commands';
import type { CodeArgs } from './commands';
import type { CodeIndexService } from './service';

/** One result of Find Code, as the quick pick shows it. */
export interface FindCodeResult {
  readonly system: CodeSystem;
  /** Canonical code without a dot (`E1165`). */
  readonly code: string;
  /** The code as shown and inserted (`E11.65`). */
  readonly display: string;
  readonly title: string;
  readonly tier: MatchTier;
  /** false for header (not billable) codes; absent when the release does not say. */
  readonly billable?: boolean;
}

export interface FindCodeApi {
  /**
   * The ranked results Find Code would show (for tests): the same query parsing (a leading `cm:`,
   * `pcs:`, `hcpcs:`… limits the systems), the same filter and the same order. `systems` stands for
   * the filter button's choice; omitted, the remembered filter applies (none: every loaded system).
   * `limit` defaults to 100, what the quick pick shows.
   */
  search(query: string, systems?: readonly CodeSystem[], limit?: number): Promise<FindCodeResult[]>;
}

/** What {@link Commands.codesFind} accepts (all optional). */
interface FindCodeArgs {
  /** Pre-fills the query (otherwise: the editor's selection, or a code at the cursor). */
  readonly query?: string;
  /** Limits the search to these systems for this run (not remembered). */
  readonly systems?: readonly string[];
  /** Enter inserts `code — description` instead of the code (the item button does the opposite). */
  readonly withDescription?: boolean;
}

/** globalState key of the filter chosen with the title bar button (a list of systems; [] = all). */
const FILTER_STATE_KEY = 'codes.find.systems';
/** Items shown (and the API's default limit). */
const LIMIT = 100;
/** Typing pause before a search runs. */
const DEBOUNCE_MS = 60;
/** Longest selection used to pre-fill the query. */
const MAX_PREFILL = 60;

const TITLE = 'Find Code';
const PLACEHOLDER = "Search titles and codes (e.g. 'type 2 diabetes hyperglycemia', 'E11.6', 'J0696')";

/** Short system names for item descriptions and the title. */
const SHORT_LABELS: Readonly<Record<CodeSystem, string>> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  hcpcs: 'HCPCS',
  cpt: 'CPT',
  'icd9cm-dx': 'ICD-9-CM Dx',
  'icd9cm-proc': 'ICD-9-CM Px',
  cvx: 'CVX',
  loinc: 'LOINC',
  snomed: 'SNOMED CT',
  ndc: 'NDC',
  rxnorm: 'RxNorm',
};

/**
 * Query prefixes that limit a search to some systems (`cm: E11`, `hcpcs: insulin`). Keys are lower
 * case without hyphens, so `ICD-10-CM:` reads as `icd10cm:`.
 */
const PREFIXES: Readonly<Record<string, readonly CodeSystem[]>> = {
  cm: ['icd10cm'],
  icd10: ['icd10cm'],
  icd10cm: ['icd10cm'],
  pcs: ['icd10pcs'],
  icd10pcs: ['icd10pcs'],
  hcpcs: ['hcpcs'],
  cpt: ['cpt'],
  icd9: ['icd9cm-dx', 'icd9cm-proc'],
  icd9cm: ['icd9cm-dx', 'icd9cm-proc'],
  icd9dx: ['icd9cm-dx'],
  icd9px: ['icd9cm-proc'],
  icd9proc: ['icd9cm-proc'],
  cvx: ['cvx'],
  loinc: ['loinc'],
  snomed: ['snomed'],
  sct: ['snomed'],
  ndc: ['ndc'],
  rxnorm: ['rxnorm'],
};
const PREFIX_RE = /^\s*([A-Za-z][A-Za-z0-9-]{0,11})\s*:\s*/;

/** A token that may be a code (dots and hyphens inside: `E11.65`, `2345-7`). */
const CODE_WORD_RE = /[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?/;

// ---------------------------------------------------------------------------------------------
// The search engine: one SearchIndex per index generation

interface Engine {
  readonly index: CodeIndex;
  readonly generation: number;
  readonly source: IndexSearchSource;
  readonly search: SearchIndex;
  /** Systems with an active release, in display order. */
  readonly systems: readonly CodeSystem[];
}

/** Builds and caches the search index over the active releases, keyed by index and generation. */
class SearchEngines implements vscode.Disposable {
  private cached: Engine | undefined;
  private building: { index: CodeIndex; generation: number; promise: Promise<Engine> } | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly service: CodeIndexService,
    private readonly log: Logger,
  ) {
    // a reload or a change of the active releases: drop the old engine (rebuilt on next use)
    this.subscription = service.onDidChange(() => {
      this.cached = undefined;
    });
  }

  /** The engine for the index as it is now, if it is built (no waiting, no build). */
  get fresh(): Engine | undefined {
    const index = this.service.current;
    const c = this.cached;
    return c && index && c.index === index && c.generation === index.generation ? c : undefined;
  }

  /** The engine, loading the index and building the search index when needed. */
  async get(): Promise<Engine> {
    const index = await this.service.ready();
    const c = this.cached;
    if (c && c.index === index && c.generation === index.generation) return c;
    const b = this.building;
    if (b && b.index === index && b.generation === index.generation) return b.promise;
    const entry = { index, generation: index.generation, promise: this.build(index) };
    this.building = entry;
    void entry.promise
      .finally(() => {
        if (this.building === entry) this.building = undefined;
      })
      .catch(() => undefined);
    return entry.promise;
  }

  private async build(index: CodeIndex): Promise<Engine> {
    // SearchIndex.build is synchronous (a few hundred ms for the full code sets): let the quick
    // pick and its busy indicator reach the screen first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const started = Date.now();
    const generation = index.generation;
    const source = activeSearchSource(index);
    // the search engine is a chunk of its own in the bundle (esbuild.js, lazyChunks): loaded here,
    // on the first Find Code, not at activation
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SearchIndex } = require('../core/codes/search') as typeof SearchModule;
    const search = SearchIndex.build(source);
    const systems = CODE_SYSTEMS.filter((s) => index.activeTable(s) !== undefined);
    const engine: Engine = { index, generation, source, search, systems };
    this.log.debug(
      `Find Code: search index over ${source.size} codes (${search.vocabularySize} words) built in ${Date.now() - started} ms`,
    );
    if (this.service.current === undefined || this.service.current === index) this.cached = engine;
    return engine;
  }

  dispose(): void {
    this.subscription.dispose();
    this.cached = undefined;
    this.building = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Queries: shared by the quick pick and the API, so both give the same results

interface Plan {
  /** The query without its system prefix. */
  readonly text: string;
  /** The systems the query is limited to (a typed prefix, else the filter); undefined = all loaded. */
  readonly limitTo: readonly CodeSystem[] | undefined;
  /** Whether `limitTo` comes from a typed prefix. */
  readonly prefixed: boolean;
  /** The loaded systems searched. */
  readonly scope: readonly CodeSystem[];
}

/** A leading `cm:`, `hcpcs:`… and the rest of the query, or undefined. */
function parsePrefix(query: string): { systems: readonly CodeSystem[]; rest: string } | undefined {
  const m = PREFIX_RE.exec(query);
  if (!m) return undefined;
  const systems = PREFIXES[m[1]!.toLowerCase().replace(/-/g, '')];
  return systems ? { systems, rest: query.slice(m[0].length) } : undefined;
}

function planQuery(engine: Engine, query: string, filter: readonly CodeSystem[] | undefined): Plan {
  const loaded = engine.systems;
  const prefix = parsePrefix(query);
  if (prefix) {
    return {
      text: prefix.rest,
      limitTo: prefix.systems,
      prefixed: true,
      scope: prefix.systems.filter((s) => loaded.includes(s)),
    };
  }
  // a filter naming no loaded system (or every one) is no filter
  const wanted = (filter ?? []).filter((s) => loaded.includes(s));
  const all = wanted.length === 0 || wanted.length === loaded.length;
  return { text: query, limitTo: all ? undefined : wanted, prefixed: false, scope: all ? loaded : wanted };
}

function toResult(source: IndexSearchSource, hit: SearchHit): FindCodeResult {
  const row = hit.row;
  const billable = source.billable?.(row);
  return {
    system: source.system(row),
    code: source.code(row),
    display: source.display(row),
    title: source.title(row),
    tier: hit.tier,
    ...(billable !== undefined ? { billable } : {}),
  };
}

/** The ranked results of a plan; undefined when the search was aborted. */
function findResults(
  engine: Engine,
  plan: Plan,
  limit: number,
  signal?: { readonly aborted: boolean },
): FindCodeResult[] | undefined {
  if (plan.scope.length === 0) return [];
  const hits = engine.search.search(plan.text, {
    systems: plan.limitTo ? plan.scope : undefined,
    limit,
    ...(signal ? { signal } : {}),
  });
  if (signal?.aborted) return undefined;
  return hits.map((h) => toResult(engine.source, h));
}

function scopeLabel(systems: readonly CodeSystem[]): string {
  return systems.length <= 3
    ? systems.map((s) => SHORT_LABELS[s]).join(', ')
    : `${systems.length} code systems`;
}

// ---------------------------------------------------------------------------------------------
// Pre-filling the query from the editor

/** The selection (one line, ≤ 60 characters), else a code-like word at the cursor, else ''. */
function editorQuery(service: CodeIndexService): string {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return '';
  const doc = editor.document;
  const selection = editor.selection;
  if (!selection.isEmpty && selection.isSingleLine) {
    const text = doc.getText(selection).replace(/\s+/g, ' ').trim();
    if (text !== '' && text.length <= MAX_PREFILL) return text;
  }
  const range = doc.getWordRangeAtPosition(selection.active, CODE_WORD_RE);
  if (!range) return '';
  const word = doc.getText(range);
  const systems = service.current?.loadedSystems() ?? CODE_SYSTEMS;
  // a digit, and not a bare short number (a year, a count): `E11.65`, `I10`, `99213`, `250.00`, `2345-7`
  const looksLikeCode =
    /[0-9]/.test(word) &&
    (/[A-Za-z.-]/.test(word) || word.length >= 5) &&
    word.length <= MAX_CODE_LENGTH + 2 &&
    recogniseAll(word, systems.length ? systems : CODE_SYSTEMS).length > 0;
  return looksLikeCode ? word : '';
}

// ---------------------------------------------------------------------------------------------
// The quick pick

type ResultItem = vscode.QuickPickItem & { readonly result: FindCodeResult; readonly run?: undefined };
/** A message in the list (no results, no index…); Enter runs its action, if any. */
type MessageItem = vscode.QuickPickItem & { readonly result?: undefined; readonly run?: () => unknown };
type Item = ResultItem | MessageItem;

interface SessionHost {
  readonly engines: SearchEngines;
  readonly service: CodeIndexService;
  readonly log: Logger;
  saveFilter(systems: readonly CodeSystem[] | undefined): Thenable<void>;
}

interface SessionOptions {
  readonly query: string;
  /** Initial filter (undefined = every system). */
  readonly filter: readonly CodeSystem[] | undefined;
  readonly withDescription: boolean;
}

/**
 * One open Find Code quick pick. `done` resolves with the text inserted (or copied), or undefined
 * when the coder closes it; it rejects when the insertion fails (the command's error boundary
 * reports it).
 *
 * Alt+Enter: the stable QuickPick API does not say which modifier keys were held on accept
 * (`keyMods` is proposed API), and a keybinding cannot be added from here. So "insert code and
 * description" is an item button, and the command's `{ withDescription: true }` argument makes
 * Enter do it (the item button then inserts the code alone).
 *
 * Ranking: items carry `alwaysShow` and description/detail matching is off, so VS Code never hides
 * our results. It still fuzzy-matches the label (the code) against the query — that gives the code
 * prefix highlight for free — and moves label matches to the top; `matchOnLabel`/`sortByLabel` and
 * `highlights` are proposed API, so that cannot be turned off. For code queries that order agrees
 * with ours (code tiers first, shorter codes first).
 */
class FindCodeSession {
  private readonly qp = vscode.window.createQuickPick<Item>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly altButton: vscode.QuickInputButton;
  private filter: readonly CodeSystem[] | undefined;
  /** Bumped on every change that makes the shown items stale. */
  private seq = 0;
  private signal = { aborted: false };
  private timer: NodeJS.Timeout | undefined;
  /** Whether the items shown answer the current query, filter and index. */
  private settled = false;
  /** Enter was pressed before the results of the current query arrived: accept the first one. */
  private acceptWhenReady = false;
  private choosingFilter = false;
  /** The filter picker hid this quick pick and its onDidHide has not arrived yet. */
  private filterHidePending = false;
  /** Accepted or dismissed: `done` is (being) settled. */
  private closed = false;
  private disposed = false;
  private resolveDone!: (text: string | undefined) => void;
  private rejectDone!: (e: unknown) => void;
  readonly done = new Promise<string | undefined>((resolve, reject) => {
    this.resolveDone = resolve;
    this.rejectDone = reject;
  });

  constructor(
    private readonly host: SessionHost,
    private readonly options: SessionOptions,
    private readonly onDispose: () => void,
  ) {
    const qp = this.qp;
    this.filter = options.filter;
    this.altButton = {
      iconPath: new vscode.ThemeIcon('insert'),
      tooltip: options.withDescription ? 'Insert code only' : 'Insert code and description',
    };
    qp.placeholder = PLACEHOLDER;
    qp.matchOnDescription = false;
    qp.matchOnDetail = false;
    qp.value = options.query;
    this.updateTitle(options.filter);
    this.disposables.push(
      qp,
      qp.onDidChangeValue(() => this.schedule(DEBOUNCE_MS)),
      qp.onDidAccept(() => this.accept()),
      qp.onDidTriggerButton(() => void this.chooseFilter()),
      qp.onDidTriggerItemButton((e) => {
        if (e.item.result) void this.finish(e.item.result, !options.withDescription);
      }),
      qp.onDidHide(() => {
        // showing the filter picker hides this one (that event may even arrive after it is back)
        if (this.filterHidePending) this.filterHidePending = false;
        else if (!this.choosingFilter) this.dispose();
      }),
      host.service.onDidChange(() => this.schedule(0)),
    );
    qp.show();
    // even with an empty query: loads the index and builds the search index now
    this.schedule(0);
  }

  /** Marks the shown items stale and runs the search after `delay` ms. */
  private schedule(delay: number): void {
    if (this.disposed) return;
    const seq = ++this.seq;
    this.signal.aborted = true;
    this.signal = { aborted: false };
    this.settled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (delay <= 0) void this.run(seq);
    else
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.run(seq);
      }, delay);
  }

  private async run(seq: number): Promise<void> {
    const signal = this.signal;
    let engine = this.host.engines.fresh;
    if (!engine) {
      this.qp.busy = true;
      try {
        engine = await this.host.engines.get();
      } catch (e) {
        if (seq !== this.seq || this.disposed) return;
        this.host.log.error('Find Code: the code index could not be searched', e);
        this.qp.busy = false;
        this.qp.items = [
          {
            label: '$(error) The code index could not be loaded',
            detail: `${e instanceof Error ? e.message : String(e)} — Enter opens the log`,
            alwaysShow: true,
            run: () => this.host.log.show(),
          },
        ];
        this.settled = true;
        this.acceptWhenReady = false;
        return;
      }
    }
    if (seq !== this.seq || this.disposed || signal.aborted) return;
    this.qp.busy = false;
    const plan = planQuery(engine, this.qp.value, this.filter);
    const results = findResults(engine, plan, LIMIT, signal);
    if (!results || seq !== this.seq) return;
    this.updateTitle(plan.limitTo, plan.prefixed);
    this.qp.items = results.length ? results.map((r) => this.item(r, plan)) : this.emptyItems(engine, plan);
    this.settled = true;
    if (this.acceptWhenReady) {
      this.acceptWhenReady = false;
      const first = results[0];
      if (first) void this.finish(first, this.options.withDescription);
    }
  }

  private item(r: FindCodeResult, plan: Plan): ResultItem {
    return {
      label: r.display,
      description: plan.scope.length > 1 ? `${SHORT_LABELS[r.system]} · ${r.title}` : r.title,
      detail: r.billable === false ? 'Header code — not billable' : undefined,
      alwaysShow: true,
      buttons: [this.altButton],
      result: r,
    };
  }

  /** What the list says when there are no results. */
  private emptyItems(engine: Engine, plan: Plan): MessageItem[] {
    if (engine.systems.length === 0)
      return [
        {
          label: '$(info) No code sets are loaded',
          detail: 'Download a release, or check the Clinical Coder code settings — Enter opens them',
          alwaysShow: true,
          run: () =>
            vscode.commands.executeCommand('workbench.action.openSettings', `@ext:${EXTENSION_ID} codes`),
        },
      ];
    if (plan.scope.length === 0)
      return [
        {
          label: `$(info) No ${scopeLabel(plan.limitTo ?? [])} release is loaded`,
          detail: `Loaded: ${scopeLabel(engine.systems)}`,
          alwaysShow: true,
        },
      ];
    if (plan.text.trim() === '') return [];
    if (plan.limitTo && !plan.prefixed)
      return [
        {
          label: `No matches in ${scopeLabel(plan.limitTo)}`,
          detail: 'Enter searches every code system',
          alwaysShow: true,
          run: async () => {
            this.filter = undefined;
            await this.host.saveFilter(undefined);
            this.schedule(0);
          },
        },
      ];
    return [
      {
        label: `No codes match '${plan.text.trim()}'`,
        detail: plan.prefixed ? `in ${scopeLabel(plan.scope)}` : undefined,
        alwaysShow: true,
      },
    ];
  }

  private updateTitle(limitTo: readonly CodeSystem[] | undefined, prefixed = false): void {
    const base = this.options.withDescription ? `${TITLE} (inserts code — description)` : TITLE;
    this.qp.title = limitTo && limitTo.length ? `${base} — ${scopeLabel(limitTo)}` : base;
    const filtered = !!this.filter?.length;
    this.qp.buttons = [
      {
        iconPath: new vscode.ThemeIcon(filtered ? 'filter-filled' : 'filter'),
        tooltip: filtered
          ? `Code systems: ${scopeLabel(this.filter ?? [])}${prefixed ? ' (the typed prefix wins)' : ''}`
          : 'Code systems: all',
      },
    ];
  }

  private accept(): void {
    if (this.closed) return;
    if (!this.settled) {
      // Enter right after typing: take the first result of what was typed, not a stale item
      this.acceptWhenReady = true;
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        void this.run(this.seq);
      }
      return;
    }
    const item = this.qp.selectedItems[0] ?? this.qp.activeItems[0];
    if (item?.result) void this.finish(item.result, this.options.withDescription);
    else if (item?.run) void Promise.resolve(item.run()).catch((e) => this.host.log.error('Find Code', e));
  }

  /** Inserts (or copies) the result and closes. */
  private async finish(r: FindCodeResult, withDescription: boolean): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const text = withDescription ? `${r.display} — ${r.title}` : r.display;
    this.qp.hide();
    try {
      if ((await insertOrCopy(text)) === 'copied') {
        const what = withDescription ? `${r.display} and its description` : r.display;
        void vscode.window.setStatusBarMessage(`Copied ${what} to the clipboard (no editor is open)`, 5000);
      }
      this.resolveDone(text);
    } catch (e) {
      this.rejectDone(e);
    }
  }

  /** The title bar button: pick the systems to search (remembered), then back to the search. */
  private async chooseFilter(): Promise<void> {
    if (this.choosingFilter || this.closed) return;
    let engine: Engine;
    try {
      engine = this.host.engines.fresh ?? (await this.host.engines.get());
    } catch {
      return; // the list already says the index could not be loaded
    }
    if (this.closed || engine.systems.length === 0) return;
    const current = (this.filter ?? []).filter((s) => engine.systems.includes(s));
    const items = engine.systems.map((system) => {
      const release = engine.index.activeRelease(system);
      return {
        label: CODE_SYSTEM_LABELS[system],
        description: release
          ? `${release.version} · ${release.count.toLocaleString('en-US')} codes`
          : undefined,
        picked: current.length === 0 || current.includes(system),
        system,
      };
    });
    this.choosingFilter = true;
    this.filterHidePending = true;
    try {
      const picked = await vscode.window.showQuickPick(items, {
        canPickMany: true,
        title: `${TITLE}: Code Systems`,
        placeHolder: 'The code systems to search (none or all: every loaded system)',
      });
      if (picked) {
        this.filter =
          picked.length === 0 || picked.length === items.length ? undefined : picked.map((p) => p.system);
        await this.host.saveFilter(this.filter);
      }
    } finally {
      this.choosingFilter = false;
      if (!this.closed && !this.disposed) {
        this.qp.show();
        this.schedule(0);
      }
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.signal.aborted = true;
    for (const d of this.disposables) d.dispose();
    if (!this.closed) {
      this.closed = true;
      this.resolveDone(undefined);
    }
    this.onDispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Registration

function systemsOf(value: unknown): CodeSystem[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const systems = value.filter((s): s is CodeSystem => typeof s === 'string' && isCodeSystem(s));
  return systems.length ? systems : undefined;
}

/** Find Code and Find in Code Index; returns what the integration tests use. */
export function registerFindCode(
  context: vscode.ExtensionContext,
  deps: { service: CodeIndexService; log: Logger },
): FindCodeApi {
  const engines = new SearchEngines(deps.service, deps.log);
  const readFilter = (): CodeSystem[] | undefined =>
    systemsOf(context.globalState.get<unknown>(FILTER_STATE_KEY));
  const host: SessionHost = {
    engines,
    service: deps.service,
    log: deps.log,
    saveFilter: (systems) => context.globalState.update(FILTER_STATE_KEY, systems ? [...systems] : []),
  };
  let session: FindCodeSession | undefined;
  const open = (options: SessionOptions): Promise<string | undefined> => {
    session?.dispose();
    const s: FindCodeSession = new FindCodeSession(host, options, () => {
      if (session === s) session = undefined;
    });
    session = s;
    return s.done;
  };

  context.subscriptions.push(
    engines,
    { dispose: () => session?.dispose() },
    // palette and keybinding: no args; editor context menu: the document's Uri; callers: FindCodeArgs
    registerCommand(deps, Commands.codesFind, 'Find Code', (args?: unknown) => {
      const a: FindCodeArgs =
        args !== null && typeof args === 'object' && !(args instanceof vscode.Uri)
          ? (args as FindCodeArgs)
          : {};
      return open({
        query: typeof a.query === 'string' ? a.query : editorQuery(deps.service),
        filter: systemsOf(a.systems) ?? readFilter(),
        withDescription: a.withDescription === true,
      });
    }),
    // the hover's "Find in index" link: the code, in its system
    registerCommand(deps, Commands.codesFindInIndex, 'Find in Code Index', (args?: CodeArgs) => {
      if (!args || typeof args.code !== 'string')
        throw new UserError('This command needs a code: use it from a code hover.');
      const system = typeof args.system === 'string' && isCodeSystem(args.system) ? args.system : undefined;
      return open({
        query: typeof args.display === 'string' && args.display !== '' ? args.display : args.code,
        filter: system ? [system] : readFilter(),
        withDescription: false,
      });
    }),
  );

  return {
    search: async (query, systems, limit = LIMIT) => {
      const engine = await engines.get();
      const plan = planQuery(engine, query, systems ?? readFilter());
      return findResults(engine, plan, limit) ?? [];
    },
  };
}
