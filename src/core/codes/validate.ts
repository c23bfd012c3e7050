/**
 * Validation rules for the codes found in a document: what a demanding clinical coder wants flagged,
 * judged against the loaded code index. Pure: no I/O, no vscode; diagnostics, hovers and the CLI
 * all present these problems.
 *
 * Only tokens the scanner (`findCodes.ts`) returns are judged, each on the reading it puts first
 * (known readings come first). The rules:
 * 1. `unknown-code` (error): no loaded release has the code and no addenda deleted it, while every
 *    system the token may belong to has a release loaded (CPT, LOINC, SNOMED CT without a release
 *    cannot be judged; nor can a modifier with a digit, which may be a CPT modifier). A warning
 *    instead when the date of service is later than the newest loaded release of the system.
 * 2. `malformed-code` (error): a context declared the system but the token fits none of its shapes.
 * 3. `header-code` (warning): a header (not billable) in the active release; fixes: its billable
 *    codes.
 * 4. `deleted-code` (warning): no longer valid in the active release (deleted, turned into a header,
 *    absent, or an HCPCS code terminated before the release); fixes: its successors. Replaces 3.
 *    With a date of service before the change it is only `information`.
 * 5. `invalid-on-date` (warning): the code is not valid on the date of service, by the loaded release
 *    covering the date, else by the addenda and per-code validity dates. Not repeated when 3 or 4
 *    already say the same for the same release (4 then names the date).
 * 6. `undotted-code` (hint): an ICD-10-CM code of four or more characters written without its dot
 *    (not in X12, where 837 requires undotted codes); fix: the dotted form.
 *
 * Speed: a document is scanned once ({@link visitCodes}, no match objects); what a code's status is
 * (index facts) is cached per index across calls, and the problems of a token per date within a
 * call, so a long document costs little more than the scan.
 */

import { codeKey, displayCode } from './codeIndex';
import type { CodeIndex, CodeInfo, CodeRef, ReleaseDescriptor } from './codeIndex';
import { csvFirstLine, detectFormat, jsonStringEnd, visitCodes } from './findCodes';
import type { CodeCandidate, CodeEvidence, CodeMatch, DocumentFormat } from './findCodes';
import { CODE_SYSTEM_LABELS } from './systems';
import type { CodeSystem } from './systems';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export type RuleId =
  'unknown-code' | 'malformed-code' | 'header-code' | 'deleted-code' | 'invalid-on-date' | 'undotted-code';

/** Every rule, in the order of the module comment. */
export const RULE_IDS: readonly RuleId[] = [
  'unknown-code',
  'malformed-code',
  'header-code',
  'deleted-code',
  'invalid-on-date',
  'undotted-code',
];

/** A replacement of the problem's range. */
export interface CodeFix {
  readonly title: string;
  readonly replacement: string;
  readonly isPreferred?: boolean;
}

export interface CodeProblem {
  /** UTF-16 offsets of the token in the validated text, `end` exclusive. */
  readonly start: number;
  readonly end: number;
  readonly severity: Severity;
  readonly rule: RuleId;
  readonly message: string;
  readonly system: CodeSystem;
  /** The code in display form (`E53.8` for a token written `E538`). */
  readonly code: string;
  readonly fixes: readonly CodeFix[];
}

/** A date of service and the part of the text it applies to. */
export interface DateOfService {
  readonly start: number;
  readonly end: number;
  /** ISO `yyyy-mm-dd`. */
  readonly date: string;
}

export interface ValidateOptions {
  /** Skip format detection (e.g. from the editor's language id). */
  readonly format?: DocumentFormat;
  /** `false` turns a rule off; rules not named stay on. */
  readonly rules?: Partial<Record<RuleId, boolean>>;
  /** Overrides detection for the whole text (ISO `yyyy-mm-dd`; US `m/d/yyyy` and `yyyymmdd` are read too). */
  readonly dateOfService?: string;
  /** Checked every 1024 codes; when aborted, the problems found so far are returned. */
  readonly signal?: { readonly aborted: boolean };
}

/** Validates every code `findCodes` finds in `text`. Problems are sorted by `start`. */
export function validateCodes(text: string, index: CodeIndex, options: ValidateOptions = {}): CodeProblem[] {
  const { signal } = options;
  if (signal?.aborted) return [];
  const format = options.format ?? detectFormat(text);
  const rules = enabledRules(options.rules);
  const usesDates = rules.unknown || rules.header || rules.deleted || rules.onDate;
  let dates: readonly DateOfService[] = [];
  if (usesDates) {
    if (options.dateOfService !== undefined) {
      const date = normaliseDate(options.dateOfService);
      dates = date === undefined ? [] : [{ start: 0, end: text.length, date }];
    } else {
      dates = findDatesOfService(text, format);
    }
  }
  const problems: CodeProblem[] = [];
  const judge = new Judge(index, format, rules, problems, text, new DateCursor(dates), signal);
  const isKnown = (system: CodeSystem, code: string): boolean => index.has(system, code);
  try {
    visitCodes(text, { isKnown, format }, judge.visit);
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
  }
  for (let k = 1; k < problems.length; k++) {
    if (problems[k - 1]!.start > problems[k]!.start) {
      problems.sort((a, b) => a.start - b.start);
      break;
    }
  }
  return problems;
}

/**
 * The problems of one match (as {@link validateCodes} reports them), for a hover or the CLI.
 * `dateOfService` is ISO `yyyy-mm-dd` (other accepted forms are normalised), or `undefined`.
 */
export function problemsFor(
  match: CodeMatch,
  index: CodeIndex,
  dateOfService: string | undefined,
  format: DocumentFormat,
): CodeProblem[] {
  const date = dateOfService === undefined ? undefined : normaliseDate(dateOfService);
  const out: CodeProblem[] = [];
  const dates = date === undefined ? [] : [{ start: match.start, end: match.end + 1, date }];
  const judge = new Judge(index, format, enabledRules(undefined), out, undefined, new DateCursor(dates));
  judge.judge(
    match.start,
    match.end,
    match.text,
    match.candidates,
    match.confidence,
    match.evidence,
    match.malformed === true,
  );
  return out;
}

/** Thrown out of the scan when the caller aborts; never escapes {@link validateCodes}. */
class Aborted extends Error {}

interface Rules {
  readonly unknown: boolean;
  readonly malformed: boolean;
  readonly header: boolean;
  readonly deleted: boolean;
  readonly onDate: boolean;
  readonly undotted: boolean;
}

function enabledRules(rules: Partial<Record<RuleId, boolean>> | undefined): Rules {
  const on = (id: RuleId): boolean => rules?.[id] !== false;
  return {
    unknown: on('unknown-code'),
    malformed: on('malformed-code'),
    header: on('header-code'),
    deleted: on('deleted-code'),
    onDate: on('invalid-on-date'),
    undotted: on('undotted-code'),
  };
}

// ---------------------------------------------------------------------------------------------
// What the index says about one code (cached per index, across calls)

/** Why a code is no longer valid in a release. */
interface Retirement {
  readonly release: ReleaseDescriptor;
  /** `header`: deleted as a code and now a header (G35 in FY2026); `absent`: in an older release only. */
  readonly kind: 'header' | 'deleted' | 'absent' | 'terminated';
  /** `terminated`: the HCPCS termination date. */
  readonly on?: string;
  /** `absent`: the newest loaded release that has it. */
  readonly lastIn?: ReleaseDescriptor;
}

/** The index's facts about a code of one system, independent of any date. */
interface CodeStatus {
  readonly system: CodeSystem;
  /** Index key: upper case, no dot. */
  readonly key: string;
  readonly display: string;
  /** Some loaded release has the code. */
  readonly known: boolean;
  /** Known to the index at all (a release or an addenda deletion). */
  readonly resolved: boolean;
  /** A header in the active release (rule 3). */
  readonly header: boolean;
  readonly retired: Retirement | undefined;
  /** Whether a date of service can change the verdict (see {@link dateSensitive}), besides its own dates. */
  readonly dateSensitive: boolean;
  /** The code's own validity dates in the active release (HCPCS): a date outside them matters. */
  readonly validFrom: string | undefined;
  readonly validTo: string | undefined;
  /** `lookup()`, made on first need. */
  info: CodeInfo | null | undefined;
  /** Billable codes under it (header rule), made on first need. */
  children: readonly CodeRef[] | undefined;
  /** Date verdicts by ISO date. */
  readonly onDate: Map<string, DateVerdict>;
}

interface StatusCache {
  generation: number;
  readonly statuses: Map<string, CodeStatus>;
}

const statusCaches = new WeakMap<CodeIndex, StatusCache>();
const STATUS_CACHE_LIMIT = 50_000;

function statusOf(index: CodeIndex, system: CodeSystem, code: string): CodeStatus {
  let cache = statusCaches.get(index);
  if (!cache || cache.generation !== index.generation) {
    cache = { generation: index.generation, statuses: new Map() };
    statusCaches.set(index, cache);
  }
  const id = `${system}\u0000${code}`;
  let status = cache.statuses.get(id);
  if (status === undefined) {
    if (cache.statuses.size >= STATUS_CACHE_LIMIT) cache.statuses.clear();
    status = computeStatus(index, system, code);
    cache.statuses.set(id, status);
  }
  return status;
}

function computeStatus(index: CodeIndex, system: CodeSystem, code: string): CodeStatus {
  const key = codeKey(code);
  const display = displayCode(system, key);
  const active = index.activeRelease(system);
  const base = { system, key, display, children: undefined, onDate: new Map<string, DateVerdict>() };
  // Fast path: billable (or not flagged) in the active release and not terminated before it.
  const row = index.activeRow(system, key);
  if (row && active) {
    const billable = row.table.billable(row.row);
    const validTo = row.table.validTo.get(row.row);
    const terminated = validTo !== undefined && active.validFrom !== undefined && validTo < active.validFrom;
    if (billable !== false && !terminated) {
      return {
        ...base,
        known: true,
        resolved: true,
        header: false,
        retired: undefined,
        dateSensitive: dateSensitive(index, system, key, active),
        validFrom: row.table.validFrom.get(row.row),
        validTo,
        info: undefined,
      };
    }
  }
  const info = index.lookup(system, key);
  if (!info) {
    return {
      ...base,
      known: false,
      resolved: false,
      header: false,
      retired: undefined,
      dateSensitive: false,
      validFrom: undefined,
      validTo: undefined,
      info: null,
    };
  }
  const known = info.releases.length > 0;
  let retired: Retirement | undefined;
  let header = false;
  if (info.retiredIn) {
    const kind = info.inActive
      ? 'header'
      : info.changes.some((c) => c.release.id === info.retiredIn!.id && c.action === 'deleted')
        ? 'deleted'
        : 'absent';
    const lastIn =
      kind === 'absent'
        ? index
            .releases(system)
            .filter((r) => info.releases.includes(r.id))
            .pop()
        : undefined;
    retired = { release: info.retiredIn, kind, ...(lastIn ? { lastIn } : {}) };
  } else if (info.inActive && info.billable === false) {
    header = true;
  } else if (
    info.inActive &&
    info.validTo !== undefined &&
    active?.validFrom !== undefined &&
    info.validTo < active.validFrom
  ) {
    retired = { release: active, kind: 'terminated', on: info.validTo };
  } else if (!info.inActive && !known) {
    // Deleted by the addenda of a release that is not the active one.
    const deletion = [...info.changes].reverse().find((c) => c.action === 'deleted');
    if (deletion) retired = { release: deletion.release, kind: 'deleted' };
  }
  return {
    ...base,
    known,
    resolved: true,
    header,
    retired,
    dateSensitive: true,
    validFrom: undefined,
    validTo: undefined,
    info,
  };
}

/**
 * Whether some date could make a code that is fine in the active release invalid, apart from its own
 * validity dates: the addenda changed it, or another loaded release with a validity window lacks it,
 * has it as a header or gives it validity dates.
 */
function dateSensitive(
  index: CodeIndex,
  system: CodeSystem,
  key: string,
  active: ReleaseDescriptor,
): boolean {
  if (index.changesOf(system, key).length > 0) return true;
  for (const r of index.releases(system)) {
    if (r.id === active.id || (r.validFrom === undefined && r.validTo === undefined)) continue;
    const other = index.rowIn(r.id, key);
    if (!other || other.table.billable(other.row) === false) return true;
    if (other.table.validFrom.has(other.row) || other.table.validTo.has(other.row)) return true;
  }
  return false;
}

function infoOf(index: CodeIndex, status: CodeStatus): CodeInfo | undefined {
  if (status.info === undefined) status.info = index.lookup(status.system, status.key) ?? null;
  return status.info ?? undefined;
}

function childrenOf(index: CodeIndex, status: CodeStatus): readonly CodeRef[] {
  status.children ??= index.childrenOf(status.system, status.key, 6);
  return status.children;
}

// ---------------------------------------------------------------------------------------------
// Validity on a date

/** What a date of service says about a code. */
interface DateVerdict {
  /** `unknown`: nothing loaded covers the date or states a change. */
  readonly kind: 'valid' | 'invalid' | 'unknown';
  /** The release the verdict rests on. */
  readonly release?: ReleaseDescriptor;
  /** `invalid`: the sentence, e.g. `E11.A was added in ICD-10-CM FY2026 (from 2025-10-01); not valid on 2025-09-15`. */
  readonly message?: string;
  /** Codes to suggest instead. */
  readonly replacements?: readonly CodeRef[];
}

const UNKNOWN: DateVerdict = { kind: 'unknown' };
const VALID: DateVerdict = { kind: 'valid' };

function verdictOn(index: CodeIndex, status: CodeStatus, date: string): DateVerdict {
  let v = status.onDate.get(date);
  if (v === undefined) {
    v = computeVerdict(index, status, date);
    if (status.onDate.size >= 1000) status.onDate.clear();
    status.onDate.set(date, v);
  }
  return v;
}

function computeVerdict(index: CodeIndex, status: CodeStatus, date: string): DateVerdict {
  if (!status.resolved) return UNKNOWN;
  const { system, key, display } = status;
  const info = infoOf(index, status);
  const covering = index.releaseOn(system, date);
  if (covering) {
    const row = index.rowIn(covering.id, key);
    if (!row) {
      const deleted = info?.changes.some((c) => c.release.id === covering.id && c.action === 'deleted');
      return {
        kind: 'invalid',
        release: covering,
        message: deleted
          ? `${display} was deleted in ${covering.label}${from(covering)}; not valid on ${date}`
          : `${display} is not in ${covering.label}, the code set for ${date}`,
        replacements: info?.successors ?? [],
      };
    }
    if (row.table.billable(row.row) === false) {
      return {
        kind: 'invalid',
        release: covering,
        message: `${display} is a header in ${covering.label}, not billable on ${date}`,
        replacements:
          info && info.successors.length > 0 ? info.successors : childrenOf(index, status).slice(0, 5),
      };
    }
    return (
      perCodeDates(
        status,
        row.table.validFrom.get(row.row),
        row.table.validTo.get(row.row),
        date,
        covering,
      ) ?? VALID
    );
  }
  if (!info) return UNKNOWN;
  const own = perCodeDates(status, info.validFrom, info.validTo, date, info.release);
  if (own) return own;
  // Within a termination date the code states itself: valid then.
  if (info.validTo !== undefined) return { kind: 'valid', release: info.release };
  return fromAddenda(status, info, date);
}

/** HCPCS-style validity of the code itself: effective from `validFrom`, terminated after `validTo`. */
function perCodeDates(
  status: CodeStatus,
  validFrom: string | undefined,
  validTo: string | undefined,
  date: string,
  release: ReleaseDescriptor,
): DateVerdict | undefined {
  if (validTo !== undefined && validTo < date) {
    return {
      kind: 'invalid',
      release,
      message: `${status.display} was terminated on ${validTo} (${release.label}); not valid on ${date}`,
    };
  }
  if (validFrom !== undefined && validFrom > date) {
    return {
      kind: 'invalid',
      release,
      message: `${status.display} is valid from ${validFrom} (${release.label}); not valid on ${date}`,
    };
  }
  return undefined;
}

/**
 * The verdict from the addenda when no loaded release covers the date: the code's state after the
 * latest change effective on or before the date, else its state before the earliest later change.
 */
function fromAddenda(status: CodeStatus, info: CodeInfo, date: string): DateVerdict {
  // Changes by release, oldest first (changesOf already orders them).
  let after: { release: ReleaseDescriptor; present: boolean; billable: boolean | undefined } | undefined;
  let before: { release: ReleaseDescriptor; present: boolean; billable: boolean | undefined } | undefined;
  const seen = new Set<string>();
  for (const c of info.changes) {
    const r = c.release;
    if (seen.has(r.id) || r.validFrom === undefined) continue;
    seen.add(r.id);
    const inRelease = info.changes.filter((x) => x.release.id === r.id);
    const added = inRelease.find((x) => x.action === 'added');
    const deleted = inRelease.find((x) => x.action === 'deleted');
    if (!added && !deleted) continue;
    if (r.validFrom <= date) {
      after = { release: r, present: added !== undefined, billable: added?.billable };
    } else if (!before) {
      before = { release: r, present: deleted !== undefined, billable: deleted?.billable };
    }
  }
  const { display } = status;
  if (after) {
    if (!after.present) {
      return {
        kind: 'invalid',
        release: after.release,
        message: `${display} was deleted in ${after.release.label}${from(after.release)}; not valid on ${date}`,
        replacements: info.successors,
      };
    }
    if (after.billable === false) {
      return {
        kind: 'invalid',
        release: after.release,
        message: `${display} is a header from ${after.release.label}${from(after.release)}, not billable on ${date}`,
        replacements: info.successors,
      };
    }
    return { kind: 'valid', release: after.release };
  }
  if (before) {
    if (!before.present) {
      return {
        kind: 'invalid',
        release: before.release,
        message: `${display} was added in ${before.release.label}${from(before.release)}; not valid on ${date}`,
        replacements: info.predecessors,
      };
    }
    if (before.billable === false) {
      return {
        kind: 'invalid',
        release: before.release,
        message: `${display} was a header before ${before.release.label}${from(before.release)}, not billable on ${date}`,
        replacements: info.predecessors,
      };
    }
    return { kind: 'valid', release: before.release };
  }
  return UNKNOWN;
}

function from(release: ReleaseDescriptor): string {
  return release.validFrom === undefined ? '' : ` (from ${release.validFrom})`;
}

// ---------------------------------------------------------------------------------------------
// Judging matches

/** A problem without its position: shared by every match of the same token and date. */
interface ProblemSpec {
  readonly severity: Severity;
  readonly rule: RuleId;
  readonly message: string;
  readonly system: CodeSystem;
  readonly code: string;
  readonly fixes: readonly CodeFix[];
}

/** What a candidate list (shared by the matches of one token) comes to. */
interface TokenVerdict {
  /** The reading rules 3–6 judge: the first known one, else one known only as deleted. */
  readonly status: CodeStatus | undefined;
  /** Rule 1 applies: systems to name, and the reading to show. */
  readonly unknown:
    { readonly systems: readonly CodeSystem[]; readonly candidate: CodeCandidate } | undefined;
  /** Problems without any date (rules 1, 3, 4). */
  readonly always: boolean;
  /** A date of service may add or change problems. */
  readonly dated: boolean;
  /** A date of service outside these (the code's own validity) may add problems. */
  readonly validFrom: string | undefined;
  readonly validTo: string | undefined;
  /** Any of the above. */
  readonly needsSpecs: boolean;
  /** Rule 6 applies (the token has no dot). */
  readonly undotted: boolean;
  /** Specs by date key (`''` without a date). */
  readonly specs: Map<string, readonly ProblemSpec[]>;
  /**
   * The specs to report under the dates last asked about (the cursor shares one dates list per
   * stretch of text, so a token repeated through a stretch is judged once there).
   */
  lastDates: readonly string[] | undefined;
  lastSpecs: readonly ProblemSpec[];
}

const NO_DATES: readonly string[] = [];
const NO_SPECS: readonly ProblemSpec[] = [];

class Judge {
  private readonly verdicts = new Map<readonly CodeCandidate[], TokenVerdict>();
  private readonly undotted = new Map<CodeStatus, ProblemSpec>();
  private readonly x12: boolean;
  private count = 0;

  constructor(
    private readonly index: CodeIndex,
    format: DocumentFormat,
    private readonly rules: Rules,
    private readonly out: CodeProblem[],
    /** The validated text (to look past a match), when there is one. */
    private readonly text: string | undefined,
    private readonly cursor: DateCursor,
    private readonly signal?: { readonly aborted: boolean },
  ) {
    this.x12 = format === 'x12';
  }

  /**
   * The {@link CodeVisitor} of a validation: judges each match as the scanner finds it, and asks to
   * hear no more of a reading that can give no problem on any date (most codes of a document).
   */
  readonly visit = (
    start: number,
    end: number,
    raw: string,
    candidates: readonly CodeCandidate[],
    confidence: CodeMatch['confidence'],
    evidence: CodeEvidence,
    malformed: boolean,
  ): boolean => {
    if ((++this.count & 1023) === 0 && this.signal?.aborted) throw new Aborted('aborted');
    return this.judge(start, end, raw, candidates, confidence, evidence, malformed);
  };

  /** Reports the problems of one match; `true` when its reading can give none on any date. */
  judge(
    start: number,
    end: number,
    raw: string,
    candidates: readonly CodeCandidate[],
    confidence: CodeMatch['confidence'],
    evidence: CodeEvidence,
    malformed: boolean,
  ): boolean {
    const { out } = this;
    if (malformed) {
      if (this.rules.malformed && candidates.length > 0) out.push(this.malformed(start, end, candidates));
      return false;
    }
    // Every match of a candidate list has the same token text (the scanner caches readings by text).
    let verdict = this.verdicts.get(candidates);
    if (verdict === undefined) {
      verdict = this.verdict(candidates, raw, confidence, evidence);
      if (this.verdicts.size < STATUS_CACHE_LIMIT) this.verdicts.set(candidates, verdict);
    }
    if (verdict.needsSpecs) {
      const dates = this.cursor.at(start);
      let specs = verdict.lastSpecs;
      if (verdict.lastDates !== dates) {
        specs = NO_SPECS;
        if (verdict.always || (dates.length > 0 && (verdict.dated || outside(dates, verdict)))) {
          const dateKey = dates.length === 0 ? '' : dates.length === 1 ? dates[0]! : dates.join(' ');
          const known = verdict.specs.get(dateKey);
          if (known === undefined) verdict.specs.set(dateKey, (specs = this.specs(verdict, dates)));
          else specs = known;
        }
        verdict.lastDates = dates;
        verdict.lastSpecs = specs;
      }
      if (specs.length > 0) {
        // In prose, `G35.B-` is the index's "more characters required" mark: a category named on purpose.
        const dashed =
          this.text?.charCodeAt(end) === 45 &&
          (evidence === 'known' || evidence === 'shape' || evidence === 'keyword');
        // A code mentioned in prose (a note, a free-text CSV column: "REVIEW: M54.5 is not billable")
        // is a reference, not a code being reported: header, deleted and date problems are
        // information there. Where a code is reported (a dx column, a FHIR coding, X12 HI, HL7) or
        // named with its system (`ICD-10-CM M54.5`), they stay warnings.
        const prose = evidence === 'known' || evidence === 'shape';
        for (const s of specs) {
          if (dashed && s.rule === 'header-code') continue;
          out.push({
            start,
            end,
            severity:
              prose && s.severity === 'warning' && s.rule !== 'unknown-code' ? 'information' : s.severity,
            rule: s.rule,
            message: s.message,
            system: s.system,
            code: s.code,
            fixes: s.fixes,
          });
        }
      }
    }
    if (verdict.undotted) {
      const status = verdict.status!;
      let s = this.undotted.get(status);
      if (s === undefined) {
        s = {
          severity: 'hint',
          rule: 'undotted-code',
          message: `${raw.toUpperCase()} is written without its dot: ${status.display}`,
          system: status.system,
          code: status.display,
          fixes: [
            { title: `Add the dot: ${status.display}`, replacement: status.display, isPreferred: true },
          ],
        };
        this.undotted.set(status, s);
      }
      out.push({
        start,
        end,
        severity: s.severity,
        rule: s.rule,
        message: s.message,
        system: s.system,
        code: s.code,
        fixes: s.fixes,
      });
    }
    return !verdict.needsSpecs && !verdict.undotted;
  }

  private malformed(start: number, end: number, candidates: readonly CodeCandidate[]): CodeProblem {
    const first = candidates[0]!;
    const systems = unique(candidates.map((c) => c.system));
    const what = first.kind === 'modifier' ? 'modifier' : 'code';
    return {
      start,
      end,
      severity: 'error',
      rule: 'malformed-code',
      message: `‘${first.code}’ is not a valid ${systemNames(systems)} ${what}`,
      system: first.system,
      code: first.code,
      fixes: [],
    };
  }

  private verdict(
    candidates: readonly CodeCandidate[],
    raw: string,
    confidence: CodeMatch['confidence'],
    evidence: CodeEvidence,
  ): TokenVerdict {
    const { index } = this;
    let status: CodeStatus | undefined;
    for (const c of candidates) {
      if (c.known ?? index.has(c.system, c.code)) {
        status = statusOf(index, c.system, c.code);
        break;
      }
    }
    if (status === undefined) {
      for (const c of candidates) {
        const s = statusOf(index, c.system, c.code);
        if (s.resolved) {
          status = s;
          break;
        }
      }
    }
    if (status !== undefined) {
      const always = !isClean(status);
      return {
        status,
        unknown: undefined,
        always,
        dated: status.dateSensitive,
        validFrom: status.validFrom,
        validTo: status.validTo,
        needsSpecs:
          always || status.dateSensitive || status.validFrom !== undefined || status.validTo !== undefined,
        undotted:
          this.rules.undotted &&
          !this.x12 &&
          status.known &&
          status.system === 'icd10cm' &&
          status.key.length >= 4 &&
          raw.indexOf('.') < 0,
        specs: new Map(),
        lastDates: undefined,
        lastSpecs: NO_SPECS,
      };
    }
    // Rule 1: only where the index can judge every reading, for tokens claimed by structure, a
    // keyword or a distinctive shape.
    let unknown: TokenVerdict['unknown'];
    if (candidates.length > 0 && (confidence === 'high' || evidence === 'shape')) {
      const loaded = new Set(index.loadedSystems());
      const judgeable = candidates.every(
        (c) => loaded.has(c.system) && !(c.kind === 'modifier' && /[0-9]/.test(c.code)),
      );
      if (judgeable)
        unknown = { systems: unique(candidates.map((c) => c.system)), candidate: candidates[0]! };
    }
    return {
      status: undefined,
      unknown,
      always: unknown !== undefined,
      dated: unknown !== undefined,
      validFrom: undefined,
      validTo: undefined,
      needsSpecs: unknown !== undefined,
      undotted: false,
      specs: new Map(),
      lastDates: undefined,
      lastSpecs: NO_SPECS,
    };
  }

  /** The problems of a token for a set of dates (rules 1, 3, 4, 5). */
  private specs(verdict: TokenVerdict, dates: readonly string[]): readonly ProblemSpec[] {
    if (verdict.unknown !== undefined)
      return this.rules.unknown ? [this.unknownSpec(verdict.unknown, dates)] : NO_SPECS;
    const status = verdict.status!;
    const { index, rules } = this;
    // The first date on which the code is invalid, else whether every date proves it valid.
    let invalid: { date: string; verdict: DateVerdict } | undefined;
    let allValid = dates.length > 0;
    for (const date of dates) {
      const v = verdictOn(index, status, date);
      if (v.kind === 'invalid') {
        invalid = { date, verdict: v };
        allValid = false;
        break;
      }
      if (v.kind !== 'valid') allValid = false;
    }
    const out: ProblemSpec[] = [];
    let dateSaid = false;
    const retired = status.retired;
    if (retired && rules.deleted) {
      const sameRelease = invalid !== undefined && invalid.verdict.release?.id === retired.release.id;
      out.push(
        this.retiredSpec(
          status,
          retired,
          sameRelease ? invalid!.date : undefined,
          allValid ? dates : NO_DATES,
        ),
      );
      dateSaid = sameRelease;
    } else if (status.header && rules.header) {
      const active = index.activeRelease(status.system);
      const sameRelease = invalid !== undefined && invalid.verdict.release?.id === active?.id;
      out.push(this.headerSpec(status, allValid ? dates : NO_DATES));
      dateSaid = sameRelease;
    }
    if (invalid && rules.onDate && !dateSaid) {
      const replacements = (invalid.verdict.replacements ?? []).slice(0, 10);
      out.push({
        severity: 'warning',
        rule: 'invalid-on-date',
        message: invalid.verdict.message!,
        system: status.system,
        code: status.display,
        fixes: this.replaceWith(replacements),
      });
    }
    return out.length === 0 ? NO_SPECS : out;
  }

  private unknownSpec(
    unknown: { readonly systems: readonly CodeSystem[]; readonly candidate: CodeCandidate },
    dates: readonly string[],
  ): ProblemSpec {
    const { index } = this;
    const { systems, candidate } = unknown;
    const code = candidate.code;
    const releases = systems.flatMap((s) => index.releases(s));
    const what = candidate.kind === 'modifier' ? 'modifier' : 'code';
    let message = `${code} is not a valid ${systemNames(systems)} ${what} (not in ${releases.map((r) => r.label).join(', ')})`;
    let severity: Severity = 'error';
    // A date of service after every loaded release of the system: the code may simply be newer.
    const newest = systems.map((s) =>
      index.releases(s).reduce<string | undefined>((m, r) => maxDate(m, r.validTo), undefined),
    );
    const late = dates.find((d) => newest.every((to) => to !== undefined && to < d));
    if (late !== undefined) {
      severity = 'warning';
      message += `; the loaded releases end before ${late}, so it may be a newer code`;
    }
    let fixes: readonly CodeFix[] = [];
    if (candidate.kind === 'code' && (candidate.system === 'icd10cm' || candidate.system === 'icd10pcs')) {
      // Suggest the billable codes under the nearest existing parent (`M54.55` → M54.50, M54.51, M54.59).
      const key = codeKey(code);
      for (let n = key.length - 1; n >= 3; n--) {
        const parent = key.slice(0, n);
        if (!index.activeRow(candidate.system, parent)) continue;
        const children = index.childrenOf(candidate.system, parent, 6);
        if (children.length > 0) {
          message += `; codes under ${displayCode(candidate.system, parent)}: ${listCodes(children, 5)}`;
          fixes = this.replaceWith(children.slice(0, 5));
        }
        break;
      }
    }
    return { severity, rule: 'unknown-code', message, system: candidate.system, code, fixes };
  }

  private headerSpec(status: CodeStatus, validOn: readonly string[]): ProblemSpec {
    const { index } = this;
    const active = index.activeRelease(status.system);
    const children = childrenOf(index, status);
    const list = children.length > 0 ? `: use a more specific code (${listCodes(children, 5)})` : '';
    const fixes = this.replaceWith(children.slice(0, 5));
    if (validOn.length > 0) {
      return {
        severity: 'information',
        rule: 'header-code',
        message: `${status.display} is billable on ${validOn.join(', ')} but a header in ${active?.label ?? 'the active release'}${list}`,
        system: status.system,
        code: status.display,
        fixes: fixes.map(notPreferred),
      };
    }
    return {
      severity: 'warning',
      rule: 'header-code',
      message: `${status.display} is a header in ${active?.label ?? 'the active release'}, not billable${list}`,
      system: status.system,
      code: status.display,
      fixes,
    };
  }

  private retiredSpec(
    status: CodeStatus,
    retired: Retirement,
    invalidOn: string | undefined,
    validOn: readonly string[],
  ): ProblemSpec {
    const { index } = this;
    const { display } = status;
    const info = infoOf(index, status);
    let replacements: readonly CodeRef[] = info?.successors ?? [];
    if (replacements.length === 0 && retired.kind === 'header')
      replacements = childrenOf(index, status).slice(0, 5);
    const label = retired.release.label;
    let what: string;
    switch (retired.kind) {
      case 'header':
        what = `${display} is no longer billable in ${label} (deleted as a code, now a header)`;
        break;
      case 'deleted':
        what = `${display} was deleted in ${label}`;
        break;
      case 'absent':
        what = `${display} is not in ${label}${retired.lastIn ? ` (last in ${retired.lastIn.label})` : ''}`;
        break;
      case 'terminated':
        what = `${display} was terminated on ${retired.on} (${label})`;
        break;
    }
    const use = replacements.length > 0 ? `; use ${listCodes(replacements, 3)}` : '';
    const fixes = this.replaceWith(replacements.slice(0, 10));
    if (validOn.length > 0) {
      const since = retired.release.validFrom === undefined ? '' : ` (${retired.release.validFrom})`;
      let change: string;
      switch (retired.kind) {
        case 'header':
          change = `no longer billable from ${label}${since}`;
          break;
        case 'deleted':
          change = `deleted from ${label}${since}`;
          break;
        case 'absent':
          change = `not in ${label}${since}`;
          break;
        case 'terminated':
          change = `terminated on ${retired.on}`;
          break;
      }
      const then = replacements.length > 0 ? `; from then use ${listCodes(replacements, 3)}` : '';
      return {
        severity: 'information',
        rule: 'deleted-code',
        message: `${display} is valid on ${validOn.join(', ')}, but ${change}${then}`,
        system: status.system,
        code: display,
        fixes: fixes.map(notPreferred),
      };
    }
    return {
      severity: 'warning',
      rule: 'deleted-code',
      message: `${what}${invalidOn !== undefined ? `, not valid for DOS ${invalidOn}` : ''}${use}`,
      system: status.system,
      code: display,
      fixes,
    };
  }

  /** Fixes replacing the token with each code (X12 writes codes undotted); preferred when only one. */
  private replaceWith(refs: readonly CodeRef[]): readonly CodeFix[] {
    const one = refs.length === 1;
    return refs.map((r) => {
      const replacement = this.x12 ? r.code : r.display;
      const title = r.title
        ? `Replace with ${r.display} (${shorten(r.title, 60)})`
        : `Replace with ${r.display}`;
      return one ? { title, replacement, isPreferred: true } : { title, replacement };
    });
  }
}

/** Whether a date falls outside a code's own validity dates. */
function outside(dates: readonly string[], verdict: TokenVerdict): boolean {
  for (const d of dates) {
    if (verdict.validFrom !== undefined && d < verdict.validFrom) return true;
    if (verdict.validTo !== undefined && d > verdict.validTo) return true;
  }
  return false;
}

function isClean(status: CodeStatus): boolean {
  return status.resolved && !status.header && status.retired === undefined;
}

function notPreferred(fix: CodeFix): CodeFix {
  return { title: fix.title, replacement: fix.replacement };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function systemNames(systems: readonly CodeSystem[]): string {
  return systems.map((s) => CODE_SYSTEM_LABELS[s]).join(' or ');
}

function listCodes(refs: readonly CodeRef[], max: number): string {
  const shown = refs.slice(0, max).map((r) => r.display);
  return refs.length > max ? `${shown.join(', ')}, … (${refs.length} codes)` : shown.join(', ');
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function maxDate(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

// ---------------------------------------------------------------------------------------------
// Which dates apply where

/** Dates of service by position: non-overlapping groups, sorted, each with its distinct dates. */
class DateCursor {
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly dates: (readonly string[])[] = [];
  private k = 0;

  constructor(list: readonly DateOfService[]) {
    const singles = new Map<string, string[]>();
    let sorted = list;
    for (let k = 1; k < list.length; k++) {
      if (list[k - 1]!.start > list[k]!.start) {
        sorted = list.slice().sort((a, b) => a.start - b.start);
        break;
      }
    }
    for (const d of sorted) {
      const last = this.starts.length - 1;
      if (last >= 0 && this.starts[last] === d.start && this.ends[last] === d.end) {
        const group = this.dates[last]!;
        if (group.length < 8 && !group.includes(d.date)) this.dates[last] = [...group, d.date];
        continue;
      }
      const start = last >= 0 ? Math.max(d.start, this.ends[last]!) : d.start;
      if (start >= d.end) continue; // overlaps the previous range entirely
      this.starts.push(start);
      this.ends.push(d.end);
      // groups of one date share their list (a CSV has one group per row)
      let single = singles.get(d.date);
      if (single === undefined) singles.set(d.date, (single = [d.date]));
      this.dates.push(single);
    }
  }

  /** The dates that apply at `pos` (empty when none). Fast for positions that mostly increase. */
  at(pos: number): readonly string[] {
    const { starts, ends } = this;
    const n = starts.length;
    if (n === 0) return NO_DATES;
    let k = this.k;
    if (k >= n || pos < starts[k]!) {
      // moved back (a later pass, or JSON): binary search for the last group starting at or before pos
      let lo = 0;
      let hi = n - 1;
      k = 0;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (starts[mid]! <= pos) {
          k = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
    }
    while (k < n - 1 && ends[k]! <= pos) k++;
    this.k = k;
    return starts[k]! <= pos && pos < ends[k]! ? this.dates[k]! : NO_DATES;
  }
}

/**
 * The dates of service stated in a document and where each applies:
 * - X12: `DTP*472*D8*CCYYMMDD` (service line) and `DTP*434*RD8*CCYYMMDD-CCYYMMDD` (statement, the
 *   start), from the enclosing `CLM` segment to the next one (the whole document without `CLM`).
 * - CSV: a column named like `dos`, `date_of_service`, `service_date`, `svc_date`, `from_date`
 *   (case and punctuation ignored), per row.
 * - FHIR JSON (and XML): the first of `servicedDate`, `servicedPeriod.start`, `performedDateTime`,
 *   `occurrenceDateTime`, `billablePeriod.start`, Encounter `period.start`, for the whole document.
 * - Text, markdown, HL7: phrases such as `Date of service: 2025-11-12`, `DOS 11/12/2025`,
 *   `Service date: Nov 12, 2025`, `Admission date`, `Date of admission`, `Admitted:`. A phrase
 *   applies up to the next one; the first also covers the text before it (one phrase: the whole
 *   document).
 * Dates are read as ISO (`2025-11-12`, a time may follow), US `m/d/yyyy` or `yyyymmdd`. Linear time.
 */
export function findDatesOfService(text: string, format: DocumentFormat): DateOfService[] {
  switch (format) {
    case 'x12':
      return x12Dates(text);
    case 'csv':
      return csvDates(text);
    case 'json':
      return jsonDates(text);
    case 'xml':
      return xmlDates(text);
    case 'text':
    case 'hl7':
      return phraseDates(text);
  }
}

/** Reads `value` as a date (ISO, US `m/d/yyyy`, `yyyymmdd`, `Nov 12, 2025`); ISO out, or `undefined`. */
export function normaliseDate(value: string): string | undefined {
  const t = value.trim();
  return readDate(t, 0, t.length)?.date;
}

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1],
  ['feb', 2],
  ['mar', 3],
  ['apr', 4],
  ['may', 5],
  ['jun', 6],
  ['jul', 7],
  ['aug', 8],
  ['sep', 9],
  ['sept', 9],
  ['oct', 10],
  ['nov', 11],
  ['dec', 12],
  ['january', 1],
  ['february', 2],
  ['march', 3],
  ['april', 4],
  ['june', 6],
  ['july', 7],
  ['august', 8],
  ['september', 9],
  ['october', 10],
  ['november', 11],
  ['december', 12],
]);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Digits at `pos` (at most `max`), as a number and where they end. */
function digitsAt(
  text: string,
  pos: number,
  limit: number,
  max: number,
): { value: number; end: number; count: number } {
  let value = 0;
  let p = pos;
  while (p < limit && p - pos < max && isDigit(text.charCodeAt(p)))
    value = value * 10 + text.charCodeAt(p++) - 48;
  return { value, end: p, count: p - pos };
}

function isoDate(y: number, m: number, d: number): string | undefined {
  if (y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1) return undefined;
  const days = [
    31,
    y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ];
  if (d > days[m - 1]!) return undefined;
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** A date starting exactly at `pos` (not inside a longer number), and where it ends. */
function readDate(text: string, pos: number, limit: number): { date: string; end: number } | undefined {
  if (pos >= limit) return undefined;
  const c = text.charCodeAt(pos);
  if (isDigit(c)) {
    const a = digitsAt(text, pos, limit, 8);
    if (a.end < limit && isDigit(text.charCodeAt(a.end))) return undefined;
    const sep = a.end < limit ? text.charCodeAt(a.end) : 0;
    if (a.count === 8) {
      const v = a.value;
      const date = isoDate(Math.floor(v / 10000), Math.floor(v / 100) % 100, v % 100);
      return date === undefined ? undefined : { date, end: a.end };
    }
    if (a.count === 4 && (sep === 45 /* - */ || sep === 47) /* / */) {
      const m = digitsAt(text, a.end + 1, limit, 2);
      if (m.count === 0 || m.end >= limit || text.charCodeAt(m.end) !== sep) return undefined;
      const d = digitsAt(text, m.end + 1, limit, 2);
      if (d.count === 0 || (d.end < limit && isDigit(text.charCodeAt(d.end)))) return undefined;
      const date = isoDate(a.value, m.value, d.value);
      return date === undefined ? undefined : { date, end: d.end };
    }
    if (a.count <= 2 && (sep === 47 /* / */ || sep === 45)) {
      const d = digitsAt(text, a.end + 1, limit, 2);
      if (d.count === 0 || d.end >= limit || text.charCodeAt(d.end) !== sep) return undefined;
      const y = digitsAt(text, d.end + 1, limit, 4);
      if (y.count !== 4 || (y.end < limit && isDigit(text.charCodeAt(y.end)))) return undefined;
      const date = isoDate(y.value, a.value, d.value);
      return date === undefined ? undefined : { date, end: y.end };
    }
    if (a.count <= 2) {
      // `12 Nov 2025`
      let p = a.end;
      while (p < limit && text.charCodeAt(p) === 32) p++;
      const month = monthAt(text, p, limit);
      if (!month) return undefined;
      p = month.end;
      while (p < limit && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 44)) p++;
      const y = digitsAt(text, p, limit, 4);
      if (y.count !== 4 || (y.end < limit && isDigit(text.charCodeAt(y.end)))) return undefined;
      const date = isoDate(y.value, month.value, a.value);
      return date === undefined ? undefined : { date, end: y.end };
    }
    return undefined;
  }
  // `Nov 12, 2025`, `November 12 2025`
  const month = monthAt(text, pos, limit);
  if (!month) return undefined;
  let p = month.end;
  while (p < limit && text.charCodeAt(p) === 32) p++;
  const d = digitsAt(text, p, limit, 2);
  if (d.count === 0) return undefined;
  p = d.end;
  if (p + 1 < limit && /^(st|nd|rd|th)$/i.test(text.slice(p, p + 2))) p += 2;
  while (p < limit && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 44)) p++;
  const y = digitsAt(text, p, limit, 4);
  if (y.count !== 4 || (y.end < limit && isDigit(text.charCodeAt(y.end)))) return undefined;
  const date = isoDate(y.value, month.value, d.value);
  return date === undefined ? undefined : { date, end: y.end };
}

function monthAt(text: string, pos: number, limit: number): { value: number; end: number } | undefined {
  let p = pos;
  while (p < limit && p - pos < 9) {
    const c = text.charCodeAt(p) | 32;
    if (c < 97 || c > 122) break;
    p++;
  }
  if (p - pos < 3 || (p < limit && isDigit(text.charCodeAt(p)) === false && /[A-Za-z]/.test(text.charAt(p))))
    return undefined;
  const value = MONTHS.get(text.slice(pos, p).toLowerCase());
  if (value === undefined) return undefined;
  if (p < limit && text.charCodeAt(p) === 46) p++; // `Nov.`
  return { value, end: p };
}

/** Text, markdown, HL7: a date-of-service label, a few separator characters, a date. */
const DATE_LABEL =
  /\b(?:dates?\s+of\s+service|date\s+of\s+admission|admission\s+date|admit\s*\/\s*discharge(?:\s+dates?)?|admit(?:ted)?(?:\s+date)?|service\s+date|dos)\b/iy;
/**
 * Where a {@link DATE_LABEL} may start: the first letters of its words, matched case by case (for
 * `admit`/`admission`, `dmi`, one letter in: a stem that starts with the frequent `a` is tried
 * far more often). A case-insensitive alternation with `\b` tried at every position of a 10 MB
 * document costs more than finding these few stems and trying the label only there (sticky).
 */
const DATE_LABEL_STEM = /[Dd](?:[Aa][Tt][Ee]|[Mm][Ii]|[Oo][Ss])|[Ss][Ee][Rr][Vv]/g;

function phraseDates(text: string): DateOfService[] {
  const found: { at: number; date: string }[] = [];
  DATE_LABEL_STEM.lastIndex = 0;
  // test(), not exec(): no match object per stem (thousands in a large document); where a stem
  // starts follows from its last letter: `date`, `serv` are four letters, `dos`, `dmi` three
  while (DATE_LABEL_STEM.test(text)) {
    const stemEnd = DATE_LABEL_STEM.lastIndex;
    const last = text.charCodeAt(stemEnd - 1) | 32;
    let at = last === 101 || last === 118 ? stemEnd - 4 : stemEnd - 3;
    // `dmi` is found one letter into `admit`/`admission`
    if (last === 105) {
      at--;
      if (at < 0 || (text.charCodeAt(at) | 32) !== 97) continue;
    }
    DATE_LABEL.lastIndex = at;
    if (!DATE_LABEL.test(text)) continue;
    const labelEnd = DATE_LABEL.lastIndex;
    DATE_LABEL_STEM.lastIndex = labelEnd;
    let p = labelEnd;
    // `: `, `:** `, ` | `, ` - `, ` (s): `, `=`, `#`
    const limit = Math.min(text.length, labelEnd + 12);
    if (text.startsWith('(s)', p)) p += 3;
    while (p < limit && SEPARATORS.has(text.charCodeAt(p))) p++;
    const date = readDate(text, p, Math.min(text.length, p + 32));
    if (date) found.push({ at, date: date.date });
  }
  const out: DateOfService[] = [];
  for (let k = 0; k < found.length; k++) {
    const f = found[k]!;
    const start = out.length === 0 ? 0 : f.at;
    const end = k + 1 < found.length ? found[k + 1]!.at : text.length;
    const last = out[out.length - 1];
    if (last && last.date === f.date) out[out.length - 1] = { start: last.start, end, date: f.date };
    else out.push({ start, end, date: f.date });
  }
  return out;
}

/** Space, tab, `:`, `*`, `|`, `=`, `-`, `–`, `—`, `#`, `_`, `(`, `>`. */
const SEPARATORS: ReadonlySet<number> = new Set([32, 9, 58, 42, 124, 61, 45, 0x2013, 0x2014, 35, 95, 40, 62]);

function x12Dates(text: string): DateOfService[] {
  let i = 0;
  while (i < text.length && (isBlankChar(text.charCodeAt(i)) || text.charCodeAt(i) === 0xfeff)) i++;
  let elemSep = '*';
  let segTerm = '~';
  if (text.startsWith('ISA', i) && text.length > i + 105) {
    elemSep = text.charAt(i + 3);
    segTerm = text.charAt(i + 105);
  }
  const n = text.length;
  const claims: { start: number; dates: string[] }[] = [{ start: 0, dates: [] }];
  let segStart = i;
  while (segStart < n) {
    let segEnd = text.indexOf(segTerm, segStart);
    if (segEnd < 0) segEnd = n;
    let s = segStart;
    while (s < segEnd && isBlankChar(text.charCodeAt(s))) s++;
    if (text.startsWith(`CLM${elemSep}`, s)) {
      claims.push({ start: s, dates: [] });
    } else if (text.startsWith(`DTP${elemSep}`, s)) {
      const elems = text.slice(s, segEnd).split(elemSep);
      const qualifier = elems[1]?.trim();
      const fmt = elems[2]?.trim();
      const value = elems[3]?.trim() ?? '';
      if ((qualifier === '472' || qualifier === '434') && (fmt === 'D8' || fmt === 'RD8')) {
        const date = readDate(value, 0, Math.min(value.length, 8));
        const claim = claims[claims.length - 1]!;
        if (date && !claim.dates.includes(date.date)) claim.dates.push(date.date);
      }
    }
    segStart = segEnd + 1;
  }
  const out: DateOfService[] = [];
  for (let k = 0; k < claims.length; k++) {
    const end = k + 1 < claims.length ? claims[k + 1]!.start : n;
    for (const date of claims[k]!.dates) out.push({ start: claims[k]!.start, end, date });
  }
  return out;
}

function isBlankChar(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** CSV column names that hold the date of service, punctuation removed, best first. */
const DOS_COLUMNS: readonly string[] = [
  'dos',
  'dateofservice',
  'datesofservice',
  'servicedate',
  'svcdate',
  'dosfrom',
  'fromdos',
  'dateofservicefrom',
  'servicefromdate',
  'svcfromdate',
  'linedos',
  'fromdate',
];

function csvDates(text: string): DateOfService[] {
  const { line, end, delimiter } = csvFirstLine(text);
  if (delimiter === '') return [];
  const names = line.split(delimiter).map((c) =>
    c
      .trim()
      .replace(/^"|"$/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, ''),
  );
  let column = -1;
  for (const wanted of DOS_COLUMNS) {
    column = names.indexOf(wanted);
    if (column >= 0) break;
  }
  if (column < 0) return [];
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  const out: DateOfService[] = [];
  let rowStart = end;
  while (rowStart < n && (text.charCodeAt(rowStart) === 10 || text.charCodeAt(rowStart) === 13)) rowStart++;
  // The next quote, line breaks and delimiter at or after the walk, each searched again only once
  // passed (native searches; linear overall).
  let nextQuote = text.indexOf('"', rowStart);
  let nextLf = text.indexOf('\n', rowStart);
  let nextCr = text.indexOf('\r', rowStart);
  let nextDelim = text.indexOf(delimiter, rowStart);
  let previousCell = '';
  let previousDate: string | undefined;
  while (rowStart < n) {
    if (nextQuote >= 0 && nextQuote < rowStart) nextQuote = text.indexOf('"', rowStart);
    if (nextLf >= 0 && nextLf < rowStart) nextLf = text.indexOf('\n', rowStart);
    if (nextCr >= 0 && nextCr < rowStart) nextCr = text.indexOf('\r', rowStart);
    const lineEnd = Math.min(nextLf < 0 ? n : nextLf, nextCr < 0 ? n : nextCr);
    let cellStart = -1;
    let cellEnd = -1;
    let rowEnd: number;
    if (nextQuote < 0 || nextQuote >= lineEnd) {
      // No quote in the row: its cells end at delimiters.
      rowEnd = lineEnd;
      let p = rowStart;
      let col = 0;
      for (;;) {
        if (nextDelim >= 0 && nextDelim < p) nextDelim = text.indexOf(delimiter, p);
        const cellStop = nextDelim >= 0 && nextDelim < rowEnd ? nextDelim : rowEnd;
        if (col === column) {
          cellStart = p;
          cellEnd = cellStop;
          break;
        }
        if (cellStop === rowEnd) break;
        p = cellStop + 1;
        col++;
      }
    } else {
      // A quoted cell may hold delimiters and line breaks: walk the row.
      let p = rowStart;
      let col = 0;
      for (;;) {
        let cs = p;
        let ce: number;
        if (p < n && text.charCodeAt(p) === 34) {
          let j = p + 1;
          while (j < n) {
            if (text.charCodeAt(j) === 34) {
              if (text.charCodeAt(j + 1) === 34) {
                j += 2;
                continue;
              }
              break;
            }
            j++;
          }
          cs = p + 1;
          ce = Math.min(j, n);
          p = j + 1;
          while (p < n && !isRowEnd(text.charCodeAt(p), delim)) p++;
        } else {
          while (p < n && !isRowEnd(text.charCodeAt(p), delim)) p++;
          ce = p;
        }
        if (col === column) {
          cellStart = cs;
          cellEnd = ce;
        }
        if (p >= n || text.charCodeAt(p) !== delim) break;
        p++;
        col++;
      }
      rowEnd = Math.min(p, n);
    }
    if (cellStart >= 0) {
      let date: string | undefined;
      if (cellEnd - cellStart === previousCell.length && text.startsWith(previousCell, cellStart)) {
        date = previousDate;
      } else {
        previousCell = text.slice(cellStart, cellEnd);
        let s = cellStart;
        while (s < cellEnd && text.charCodeAt(s) === 32) s++;
        date = readDate(text, s, cellEnd)?.date;
        previousDate = date;
      }
      if (date !== undefined) out.push({ start: rowStart, end: rowEnd, date });
    }
    // One line break (CR, LF or CRLF) ends the row.
    let next = rowEnd;
    if (next < n && text.charCodeAt(next) === 13) next++;
    if (next < n && text.charCodeAt(next) === 10 && (next === rowEnd || text.charCodeAt(rowEnd) === 13))
      next++;
    if (next <= rowStart) break;
    rowStart = next;
  }
  return out;
}

function isRowEnd(c: number, delim: number): boolean {
  return c === delim || c === 10 || c === 13;
}

/** FHIR keys whose string value is a date of service. */
const FHIR_DATE_KEYS: ReadonlySet<string> = new Set([
  'servicedDate',
  'performedDateTime',
  'occurrenceDateTime',
]);
/** FHIR Period keys whose `start` is a date of service (`period` only in an Encounter). */
const FHIR_PERIOD_KEYS: ReadonlySet<string> = new Set(['servicedPeriod', 'billablePeriod', 'period']);

interface JsonDateFrame {
  readonly isObject: boolean;
  /** The key this value has in its parent object. */
  readonly keyInParent: string | undefined;
  expectKey: boolean;
  key: string | undefined;
  resourceType: string | undefined;
  /** An Encounter-only `period.start` seen in this object, waiting for its `resourceType`. */
  pending: { at: number; date: string } | undefined;
}

function jsonDates(text: string): DateOfService[] {
  const stack: JsonDateFrame[] = [];
  const n = text.length;
  let best: { at: number; date: string } | undefined;
  let pendingCount = 0;
  const accept = (at: number, date: string): void => {
    if (!best || at < best.at) best = { at, date };
  };
  const settle = (frame: JsonDateFrame): void => {
    if (frame.pending && frame.resourceType !== undefined) {
      if (frame.resourceType === 'Encounter') accept(frame.pending.at, frame.pending.date);
      frame.pending = undefined;
      pendingCount--;
    }
  };
  let i = 0;
  while (i < n) {
    if (best && pendingCount === 0) break; // nothing later can come first
    const c = text.charCodeAt(i);
    if (c === 34) {
      const { end: j, escaped } = jsonStringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top && top.isObject && !escaped) {
        if (top.expectKey) {
          top.key = text.slice(i + 1, j);
          top.expectKey = false;
        } else if (top.key !== undefined) {
          if (FHIR_DATE_KEYS.has(top.key)) {
            const date = readDate(text, i + 1, j);
            if (date) accept(i, date.date);
          } else if (top.key === 'resourceType') {
            top.resourceType = text.slice(i + 1, j);
            settle(top);
          } else if (
            top.key === 'start' &&
            top.keyInParent !== undefined &&
            FHIR_PERIOD_KEYS.has(top.keyInParent)
          ) {
            const date = readDate(text, i + 1, j);
            const owner = stack[stack.length - 2];
            if (date && top.keyInParent !== 'period') accept(i, date.date);
            else if (date && owner && owner.isObject && !owner.pending && (!best || i < best.at)) {
              owner.pending = { at: i, date: date.date };
              pendingCount++;
              settle(owner);
            }
          }
        }
      } else if (top && top.isObject && top.expectKey) {
        top.key = undefined;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 123 || c === 91) {
      const parent = stack[stack.length - 1];
      stack.push({
        isObject: c === 123,
        keyInParent: parent && parent.isObject ? parent.key : undefined,
        expectKey: c === 123,
        key: undefined,
        resourceType: undefined,
        pending: undefined,
      });
    } else if (c === 125 || c === 93) {
      const frame = stack.pop();
      if (frame?.pending) {
        // closed without saying it is an Encounter
        frame.pending = undefined;
        pendingCount--;
      }
    } else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top && top.isObject) {
        top.expectKey = true;
        top.key = undefined;
      }
    }
    i++;
  }
  return best ? [{ start: 0, end: n, date: best.date }] : [];
}

const XML_DATE =
  /<(?:servicedDate|performedDateTime|occurrenceDateTime)\s+value="([^"<>]*)"|<(?:servicedPeriod|billablePeriod)>\s*<start\s+value="([^"<>]*)"|<Encounter[\s>]/g;

function xmlDates(text: string): DateOfService[] {
  XML_DATE.lastIndex = 0;
  // the next `</Encounter>` and `<period>` (searched again only once passed: linear)
  let close = 0;
  let periodAt = 0;
  for (let m = XML_DATE.exec(text); m !== null; m = XML_DATE.exec(text)) {
    let value: string | undefined = m[1] ?? m[2];
    if (value === undefined) {
      // An Encounter: its own period (the first <period> before the Encounter closes).
      if (close >= 0 && close < m.index) close = text.indexOf('</Encounter>', m.index);
      if (periodAt >= 0 && periodAt < m.index) periodAt = text.indexOf('<period>', m.index);
      if (periodAt < 0 || (close >= 0 && periodAt > close)) continue;
      const period = /<period>\s*<start\s+value="([^"<>]*)"/y;
      period.lastIndex = periodAt;
      value = period.exec(text)?.[1];
      if (value === undefined) continue;
    }
    const date = readDate(value, 0, value.length);
    if (date) return [{ start: 0, end: text.length, date: date.date }];
  }
  return [];
}
