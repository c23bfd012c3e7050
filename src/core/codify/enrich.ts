/**
 * What the local code index says about the codes a Codify answer returned (issue 7, item 4): each
 * code is read with the recognisers, looked up in the active releases, and flagged when the index
 * disagrees with Codify (unknown, deleted, a header that cannot be billed, or a description that
 * differs materially from the index title). Pure: no I/O, the index is handed in.
 *
 * Every field of an assessment other than `code` and `description` is kept as it came (`extra`), so
 * a richer answer than the documented one is shown, exported and never lost.
 */

import type { EnrichedAssessment, IndexInfo } from '../../shared/codifyProtocol';
// `../../core/codes` rather than `../codes`: the ESLint layer rule reads any `../codes` as the
// `codes` feature folder.
import type { CodeIndex, CodeInfo } from '../../core/codes/codeIndex';
import { recogniseAll, type Recognised } from '../../core/codes/recognise';
import {
  CODE_SYSTEMS,
  CODE_SYSTEM_LABELS,
  isCodeSystem,
  systemsForFhirUri,
  systemsForHl7Name,
  systemsForKeyword,
  type CodeSystem,
} from '../../core/codes/systems';

/** One assessment as the API client returns it: at least a code and a description. */
export interface AssessmentLike {
  readonly code: string;
  readonly description: string;
  readonly [field: string]: unknown;
}

/** The parts of a Codify answer enrichment reads (structurally the API client's `CodifyAnswer`). */
export interface AnswerLike {
  readonly assessments: readonly AssessmentLike[];
  /** Top-level fields of the answer other than the assessments. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The enriched answer: what the `result` message carries besides request ids and timing. */
export interface EnrichedAnswer {
  assessments: EnrichedAssessment[];
  /** Names of the extra fields of the assessments, in first-seen order. */
  extraFields: string[];
  answerFields: Record<string, unknown>;
}

/** How many successors a disagreement message names before "and N more". */
const SUCCESSORS_IN_MESSAGE = 4;

/**
 * Enriches every assessment of `answer` from `index`. With no index (not loaded yet, or failed to
 * load) every code that reads as one gets the status `notLoaded`.
 */
export function enrichAssessments(answer: AnswerLike, index: CodeIndex | undefined): EnrichedAnswer {
  const extraFields: string[] = [];
  const seen = new Set<string>();
  const assessments = answer.assessments.map((a): EnrichedAssessment => {
    const extra = extraOf(a);
    for (const k of Object.keys(extra)) {
      if (!seen.has(k)) {
        seen.add(k);
        extraFields.push(k);
      }
    }
    const code = typeof a.code === 'string' ? a.code : String(a.code ?? '');
    const description = typeof a.description === 'string' ? a.description : String(a.description ?? '');
    return { code, description, extra, index: indexInfo(code, description, extra, index) };
  });
  return { assessments, extraFields, answerFields: { ...answer.fields } };
}

/** Every field of an assessment except `code` and `description`, in the server's order. */
function extraOf(a: AssessmentLike): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) if (k !== 'code' && k !== 'description') extra[k] = v;
  return extra;
}

/** How the index reads one returned code. */
export interface CodeReading {
  /** The chosen reading (system and canonical code), when the code reads as one at all. */
  reading?: Recognised;
  /** What the index knows about it, when it knows it. */
  info?: CodeInfo;
  /** The system the assessment names in one of its fields, as written (`code_system: "ICD-10-CM"`). */
  hint?: string;
  /** The systems that hint names (empty when none, or when it names none we handle). */
  hinted: CodeSystem[];
}

/**
 * Reads `code` as a code: every reading the recognisers allow, the systems named by the
 * assessment's own fields first (a field whose name mentions a system, vocabulary or terminology,
 * e.g. `code_system`, `system`, `codeSystem`); among those, the first reading the index knows; if
 * it knows none, the first hinted reading, else the first reading in {@link CODE_SYSTEMS} order
 * (ICD-10-CM first: Codify's native system).
 */
export function readAssessmentCode(
  code: string,
  fields: Readonly<Record<string, unknown>>,
  index: CodeIndex | undefined,
): CodeReading {
  const { hint, hinted } = systemHint(fields);
  const all = recogniseAll(code, CODE_SYSTEMS);
  if (all.length === 0) return { hint, hinted };
  const fitting = hinted.flatMap((s) => all.filter((r) => r.system === s));
  const candidates = fitting.length > 0 ? fitting : all;
  if (index) {
    for (const r of candidates) {
      const info = index.lookup(r.system, r.code);
      if (info) return { reading: r, info, hint, hinted };
    }
  }
  return { reading: candidates[0], hint, hinted };
}

function indexInfo(
  code: string,
  description: string,
  extra: Readonly<Record<string, unknown>>,
  index: CodeIndex | undefined,
): IndexInfo {
  const { reading, info, hint, hinted } = readAssessmentCode(code, extra, index);
  if (!reading) return { status: 'notACode' };
  const system = CODE_SYSTEM_LABELS[reading.system];
  const problems: string[] = [];
  if (hint !== undefined && hinted.length > 0 && !hinted.includes(reading.system))
    problems.push(`Codify names ${hint}, but the code reads as ${system}`);
  const loaded = index?.loadedSystems().includes(reading.system) ?? false;
  if (!index || !loaded) {
    return { system, display: reading.code, status: 'notLoaded', ...disagreement(problems) };
  }
  const active = index.activeRelease(reading.system);
  if (!info) {
    problems.unshift(`${reading.code} is not in ${active ? active.label : `the loaded ${system} releases`}`);
    return {
      system,
      display: reading.code,
      ...(active ? { release: active.label } : {}),
      status: 'unknown',
      ...disagreement(problems),
    };
  }

  const display = info.display;
  let status: IndexInfo['status'];
  if (!info.inActive && info.retiredIn) status = 'deleted';
  else if (!info.inActive && info.active) status = 'unknown';
  else if (info.billable === false) status = 'header';
  else status = 'valid';

  const successors =
    (status === 'deleted' || status === 'header') && info.successors.length > 0
      ? info.successors.map((s) => s.display)
      : undefined;
  const use = successors ? `; use ${nameSome(successors)}` : '';
  const found: string[] = [];
  if (status === 'deleted') {
    found.push(`${display} was deleted in ${info.retiredIn!.label}${use}`);
  } else if (status === 'unknown') {
    found.push(
      `${display} is not in the active release ${info.active!.label} (it is in ${info.release.label})`,
    );
  } else if (status === 'header') {
    const since = info.retiredIn ? ` (since ${info.retiredIn.label})` : '';
    found.push(
      `${display} is a header in ${info.release.label}, not billable${since}${use || '; pick a more specific code'}`,
    );
  }
  if (description.trim() && !descriptionsAgree(description, [info.title, info.short ?? ''])) {
    found.push(`Codify's description differs from the ${info.release.label} title "${info.title}"`);
  }
  problems.unshift(...found);
  return {
    system,
    display,
    title: info.title,
    release: info.release.label,
    ...(info.billable !== undefined ? { billable: info.billable } : {}),
    status,
    ...(successors ? { successors } : {}),
    ...disagreement(problems),
  };
}

function disagreement(problems: string[]): { disagreement?: string } {
  return problems.length > 0 ? { disagreement: problems.join('; ') } : {};
}

function nameSome(codes: readonly string[]): string {
  const shown = codes.slice(0, SUCCESSORS_IN_MESSAGE).join(', ');
  return codes.length > SUCCESSORS_IN_MESSAGE
    ? `${shown} or ${codes.length - SUCCESSORS_IN_MESSAGE} more`
    : shown;
}

// ---------------------------------------------------------------------------------------------
// The system an assessment names

/** Field names (lower case, letters and digits only) that name the code's system. */
const SYSTEM_FIELD = /system|vocab|terminolog|^codetype$|^scheme$/;

/**
 * The first field of an assessment that names a code system (`code_system: "ICD-10-CM"`,
 * `system: "http://hl7.org/fhir/sid/icd-10-cm"`, `vocabulary: "ICD10CM"`), with the systems it
 * names. `hinted` is empty when no field names one we know.
 */
export function systemHint(fields: Readonly<Record<string, unknown>>): {
  hint?: string;
  hinted: CodeSystem[];
} {
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || !value.trim()) continue;
    if (!SYSTEM_FIELD.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''))) continue;
    const hinted = systemsNamedBy(value);
    if (hinted.length > 0) return { hint: value.trim(), hinted };
  }
  return { hinted: [] };
}

/**
 * The systems a free-form system name stands for: an id (`icd10cm`), a label (`ICD-10-CM`,
 * `HCPCS Level II`), a keyword (`ICD10`, `CPT`), an HL7 v2 name (`I10`, `LN`) or a FHIR URI / OID.
 * Empty when it names none of ours.
 */
export function systemsNamedBy(name: string): CodeSystem[] {
  const t = name.trim();
  if (!t) return [];
  const flat = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const f = flat(t);
  const byId = CODE_SYSTEMS.filter((s) => flat(s) === f || flat(CODE_SYSTEM_LABELS[s]) === f);
  if (byId.length > 0) return byId;
  const keyword = systemsForKeyword(t);
  if (keyword) return [...keyword];
  if (/[:/]/.test(t)) {
    const uri = systemsForFhirUri(t);
    if (uri.kind === 'systems') return [...uri.systems];
  }
  const hl7 = systemsForHl7Name(t);
  if (hl7?.kind === 'systems') return [...hl7.systems];
  return isCodeSystem(t) ? [t] : [];
}

// ---------------------------------------------------------------------------------------------
// Comparing descriptions

/** Words that carry no meaning of their own in a code title. `with`/`without`/`not` do: they stay. */
const STOP_WORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'and',
  'or',
  'in',
  'on',
  'to',
  'for',
  'by',
  'due',
  'as',
  'at',
]);

/**
 * The words of a description, normalised: lower case, accents removed, split on anything that is
 * not a letter or digit, stop words dropped, British spellings folded (`ae`/`oe` → `e`:
 * haemorrhage, oedema, diarrhoea; a final `our` → `or`: tumour) and a plural `s` trimmed.
 */
export function descriptionWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '' && !STOP_WORDS.has(w))
    .map((w) => {
      let x = w.replace(/ae|oe/g, 'e');
      if (x.length > 3 && x.endsWith('s') && !x.endsWith('ss')) x = x.slice(0, -1);
      if (x.length > 4 && x.endsWith('our')) x = `${x.slice(0, -3)}or`;
      return x;
    });
}

/**
 * Whether Codify's description agrees with an index title (any of `titles`: the long and short
 * title). The rule: after {@link descriptionWords}, they agree when every word of one is among the
 * words of the other. So case, punctuation, spacing, articles, British spelling and plurals never
 * matter; a description that is a prefix of the title, or that leaves out or adds detail
 * ("Hypertension" for "Essential (primary) hypertension"), agrees; one that says something the
 * title does not and misses something it says ("... without complications" for "... with
 * hyperglycemia") is a material difference. An empty description agrees with anything.
 */
export function descriptionsAgree(description: string, titles: readonly string[]): boolean {
  const d = descriptionWords(description);
  if (d.length === 0) return true;
  return titles.some((title) => {
    const t = descriptionWords(title);
    if (t.length === 0) return false;
    const ts = new Set(t);
    const ds = new Set(d);
    return d.every((w) => ts.has(w)) || t.every((w) => ds.has(w));
  });
}
