/**
 * The readable views of Heim objects (document 004) in the details documents: markdown built from
 * what the server returned, every server value escaped, and pretty JSON exactly as returned. Pure
 * (no `vscode`), so it is unit-testable.
 *
 * Recorded data (biometric readings…) has no fixed shape in the contract, so {@link readings}
 * accepts the common ones: a list of readings, or an object holding one (`readings`,
 * `observations`…), each reading with a display, a code (a string, a FHIR `Coding`, or a
 * `CodeableConcept`) and its system, and a value with its unit (`value` + `unit`, `{value, unit}`,
 * FHIR `valueQuantity`); anything else is shown as `name = value` rows. A code is written as
 * `LOINC 8480-6` (a keyword the code scanner knows, then the code), so hovers and validation of the
 * code-intelligence features work on it.
 */
import type { Appointment, HeimObject, Organisation, Patient, Task } from '../api/heim';
import { systemsForFhirUri, systemsForKeyword, type CodeSystem } from '../core/codes/systems';

export type DetailsFormat = 'markdown' | 'json';

/** The kinds of objects a details document shows. */
export type HeimKind = 'organisation' | 'patient' | 'appointment' | 'task';

/**
 * Markdown syntax characters escaped in server text. Not `.` and `-` (codes are made of them), nor
 * `(` `)` (inert without `[`…`]`, which are escaped): the source stays readable. An underscore
 * between two letters or digits cannot start or end emphasis (CommonMark), so `blood_pressure` and
 * ids stay as they are; any other underscore is escaped.
 */
const INLINE_SYNTAX = /[\\`*{}[\]#+!|<>~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g;

/** Server text made inert in markdown: syntax escaped. */
function escapeInline(text: string): string {
  return text.replace(INLINE_SYNTAX, '\\$&');
}

/** One line of server text made inert in markdown: syntax escaped, line breaks as spaces. */
export function esc(value: unknown): string {
  return escapeInline(plain(value)).replace(/\s*\r?\n\s*/g, ' ');
}

/** Multi-line server text (notes) made inert: each line escaped, line-start markers too. */
export function escBlock(value: unknown): string {
  return plain(value)
    .split(/\r?\n/)
    .map((line) =>
      escapeInline(line.trim())
        // list items, setext underlines, thematic breaks and ordered lists start a line
        .replace(/^([-=])/, '\\$1')
        .replace(/^(\d+)([.)])/, '$1\\$2'),
    )
    .join('  \n')
    .replace(/( {2}\n){2,}/g, '\n\n');
}

/** A table cell: escaped, one line. */
const cell = (value: unknown): string => esc(value) || ' ';

/** `windowStart` → `Window start`. */
export function humanize(key: string): string {
  const words = key
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Any value as one line of plain text: strings as they are, lists joined with `; `, objects as their
 * values joined with `, ` (an address, a practitioner), nested objects likewise.
 */
export function plain(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return value.map(plain).filter(Boolean).join('; ');
  if (typeof value === 'object') {
    return Object.values(value as Record<string, unknown>)
      .map(plain)
      .filter(Boolean)
      .join(', ');
  }
  return '';
}

/** `2026-03-02T09:00:00Z` → `2026-03-02 09:00 UTC`; dates and other text unchanged. */
export function dateTime(value: unknown): string {
  const s = typeof value === 'string' ? value.trim() : plain(value);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return s;
  const zone = m[3] === undefined ? '' : m[3] === 'Z' || /^[+-]00:?00$/.test(m[3]) ? ' UTC' : ` ${m[3]}`;
  return `${m[1]} ${m[2]}${zone}`;
}

/** An appointment window: `2026-03-02 09:00–11:00 UTC` (same day) or `start – end`. */
export function windowText(start: unknown, end: unknown): string {
  const a = dateTime(start);
  const b = dateTime(end);
  if (!a && !b) return '';
  if (!b) return `from ${a}`;
  if (!a) return `until ${b}`;
  const sa = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(.*)$/.exec(a);
  const sb = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(.*)$/.exec(b);
  if (sa && sb && sa[1] === sb[1] && sa[3] === sb[3]) return `${sa[1]} ${sa[2]}–${sb[2]}${sa[3]}`;
  return `${a} – ${b}`;
}

/** "Family, Given" (either part alone when the other is missing). */
export function patientName(p: Pick<Patient, 'givenName' | 'familyName'>): string {
  const family = str(p.familyName);
  const given = str(p.givenName);
  return family && given ? `${family}, ${given}` : family || given || '(no name)';
}

/** An outcome's one-line summary: its `summary` (or `result`/`status`/`text`), else its values. */
export function outcomeSummary(outcome: unknown): string {
  if (outcome === undefined || outcome === null) return '';
  if (typeof outcome !== 'object' || Array.isArray(outcome)) return plain(outcome);
  const o = outcome as Record<string, unknown>;
  for (const k of ['summary', 'result', 'text', 'status', 'description']) {
    const v = str(o[k]);
    if (v) return v;
  }
  return plain(o);
}

/** One recorded reading, as the table shows it. */
export interface Reading {
  display: string;
  code: string;
  /** The system as written by the server (a URI or a name). */
  system: string;
  value: string;
  unit: string;
}

const READING_LISTS = ['readings', 'observations', 'measurements', 'results', 'items', 'entries', 'values'];

/** The readings in a task's recorded data (see the module comment for the shapes read). */
export function readings(data: unknown): Reading[] {
  if (data === undefined || data === null) return [];
  if (Array.isArray(data)) return data.map(reading);
  if (typeof data !== 'object') return [{ display: '', code: '', system: '', value: plain(data), unit: '' }];
  const o = data as Record<string, unknown>;
  for (const k of READING_LISTS) if (Array.isArray(o[k])) return (o[k] as unknown[]).map(reading);
  if (looksLikeReading(o)) return [reading(o)];
  // a map of name → value (or name → {value, unit})
  return Object.entries(o).map(([name, v]) => {
    const r = reading(v);
    return { ...r, display: r.display || humanize(name) };
  });
}

function looksLikeReading(o: Record<string, unknown>): boolean {
  return ('code' in o || 'coding' in o || 'display' in o) && ('value' in o || 'valueQuantity' in o);
}

function reading(item: unknown): Reading {
  if (item === null || typeof item !== 'object' || Array.isArray(item))
    return { display: '', code: '', system: '', value: plain(item), unit: '' };
  const o = item as Record<string, unknown>;
  const coding = codingOf(o.code) ?? codingOf(o.coding) ?? codingOf(o.concept);
  const q = asRecord(o.valueQuantity) ?? asRecord(o.value) ?? asRecord(o.quantity);
  const rawValue = q ? (q.value ?? q.amount) : (o.value ?? o.valueString ?? o.result ?? o.reading);
  return {
    display: str(o.display) || str(o.name) || str(o.label) || str(o.title) || coding?.display || '',
    code: coding?.code ?? (typeof o.code === 'string' || typeof o.code === 'number' ? String(o.code) : ''),
    system: str(o.system) || coding?.system || '',
    value: plain(rawValue),
    unit: str(o.unit) || str(o.units) || str(q?.unit) || str(q?.code) || '',
  };
}

/** A FHIR Coding, a CodeableConcept (`{coding: [...], text}`), or a list of codings. */
function codingOf(v: unknown): { code: string; system: string; display: string } | undefined {
  if (Array.isArray(v)) return v.length ? codingOf(v[0]) : undefined;
  const o = asRecord(v);
  if (!o) return undefined;
  if (Array.isArray(o.coding)) {
    const c = codingOf(o.coding);
    return c ? { ...c, display: c.display || str(o.text) } : undefined;
  }
  const code = str(o.code) || (typeof o.code === 'number' ? String(o.code) : '');
  if (!code) return undefined;
  return { code, system: str(o.system), display: str(o.display) || str(o.text) };
}

/** The keyword the code scanner reads before a code of each system (`LOINC 8480-6`). */
const KEYWORDS: Record<CodeSystem, string> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  hcpcs: 'HCPCS',
  cpt: 'CPT',
  'icd9cm-dx': 'ICD-9-CM',
  'icd9cm-proc': 'ICD-9-CM',
  cvx: 'CVX',
  loinc: 'LOINC',
  snomed: 'SNOMED',
  ndc: 'NDC',
  rxnorm: 'RxNorm',
};

/** The code system a server's `system` names (a FHIR URI or a name such as `LOINC`). */
export function codeSystemOf(system: string): CodeSystem | undefined {
  const s = system.trim();
  if (!s) return undefined;
  const fhir = systemsForFhirUri(s);
  if (fhir.kind === 'systems') return fhir.systems[0];
  return (systemsForKeyword(s) ?? systemsForKeyword(s.replace(/\s+/g, '')))?.[0];
}

/** A code with its system as the table shows it: `LOINC 8480-6`, or `8480-6 (system)` when unknown. */
export function codeWithSystem(code: string, system: string): string {
  if (!code) return system ? `(${esc(system)})` : '';
  const known = codeSystemOf(system);
  if (known) return `${KEYWORDS[known]} ${esc(code)}`;
  return system ? `${esc(code)} (${esc(system)})` : esc(code);
}

/** The readings as a markdown table (Reading | Code | Value | Unit). */
export function readingsTable(rows: readonly Reading[]): string[] {
  if (rows.length === 0) return [];
  return [
    '| Reading | Code | Value | Unit |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.display)} | ${codeWithSystem(r.code, r.system) || ' '} | ${cell(r.value)} | ${cell(r.unit)} |`,
    ),
  ];
}

/** `- **Label:** value` rows for the values that are present. */
function fields(rows: [string, unknown][]): string[] {
  return rows
    .filter(([, v]) => v !== undefined && v !== null && plain(v) !== '')
    .map(([k, v]) => `- **${k}:** ${esc(v)}`);
}

/** A metadata section (key | value table), when there is metadata. */
function metadataSection(metadata: unknown): string[] {
  const o = asRecord(metadata);
  if (!o || Object.keys(o).length === 0) return [];
  return [
    '## Metadata',
    '',
    '| Key | Value |',
    '|---|---|',
    ...Object.entries(o).map(([k, v]) => `| ${cell(k)} | ${cell(typeof v === 'object' ? json(v) : v)} |`),
    '',
  ];
}

/** The fields of an object not named in `known`, as `- **Field:** value` rows. */
function otherFields(o: HeimObject, known: readonly string[]): string[] {
  const skip = new Set([...known, 'id', 'object', 'createdAt', 'updatedAt', 'metadata']);
  return fields(
    Object.entries(o)
      .filter(([k]) => !skip.has(k))
      .map(([k, v]): [string, unknown] => [humanize(k), isDateKey(k) ? dateTime(v) : v]),
  );
}

const isDateKey = (k: string) => /(At|Date|Time|Start|End)$/.test(k) && k !== 'dateOfBirth';

function stamps(o: HeimObject): string[] {
  return fields([
    ['Created', dateTime(o.createdAt)],
    ['Updated', dateTime(o.updatedAt)],
    ['Id', o.id],
  ]);
}

const footer = (mode: string | undefined): string[] =>
  mode ? ['', `*Read from Heim (${mode === 'live' ? 'LIVE' : 'test mode'}). Read-only.*`] : [];

/** What a details document is rendered with, besides its object. */
export interface RenderContext {
  /** The Heim mode of the key that read it ("test" or "live"). */
  mode?: string;
}

/** A task: type, status, times, outcome (summary, notes, other fields), recorded data, metadata. */
export function renderTask(t: Task, ctx: RenderContext = {}): string {
  const outcome = asRecord(t.outcome);
  const out = [
    `# Task: ${esc(t.type) || 'task'}`,
    '',
    ...fields([
      ['Type', t.type],
      ['Status', t.status],
      ['Completed', dateTime(t.completedAt)],
      ['Appointment', t.appointmentId],
    ]),
    ...otherFields(t, ['type', 'status', 'completedAt', 'appointmentId', 'outcome', 'data']),
    ...stamps(t),
    '',
    '## Outcome',
    '',
  ];
  if (t.outcome === undefined || t.outcome === null) {
    out.push('No outcome recorded yet.', '');
  } else {
    const summary = outcomeSummary(t.outcome);
    if (summary) out.push(`**Summary:** ${esc(summary)}`, '');
    const notes = outcome ? (outcome.notes ?? outcome.note ?? outcome.comments) : undefined;
    if (notes !== undefined && plain(notes)) out.push('**Notes:**', '', escBlock(notes), '');
    if (outcome) {
      const rest = Object.entries(outcome).filter(
        ([k]) => !['summary', 'notes', 'note', 'comments'].includes(k) && plain(outcome[k]) !== summary,
      );
      const rows = fields(rest.map(([k, v]): [string, unknown] => [humanize(k), v]));
      if (rows.length) out.push(...rows, '');
    }
  }
  const rows = readings(t.data);
  out.push('## Recorded data', '');
  if (rows.length) out.push(...readingsTable(rows), '');
  else out.push('No data recorded.', '');
  out.push(...metadataSection(t.metadata));
  return finish(out, ctx);
}

/** An appointment: window, location, practitioner, status, its tasks, metadata. */
export function renderAppointment(a: Appointment, tasks: readonly Task[], ctx: RenderContext = {}): string {
  const out = [
    `# Appointment ${esc(windowText(a.windowStart, a.windowEnd)) || esc(a.id)}`,
    '',
    ...fields([
      ['Window', windowText(a.windowStart, a.windowEnd)],
      ['Status', a.status],
      ['Location', a.location ?? a.address],
      ['Practitioner', a.practitioner ?? a.clinician],
      ['Patient', a.patientId],
    ]),
    ...otherFields(a, [
      'windowStart',
      'windowEnd',
      'status',
      'location',
      'address',
      'practitioner',
      'clinician',
      'patientId',
    ]),
    ...stamps(a),
    '',
    `## Tasks (${tasks.length})`,
    '',
  ];
  if (tasks.length === 0) out.push('No tasks.', '');
  else {
    out.push('| Type | Status | Completed | Outcome |', '|---|---|---|---|');
    for (const t of tasks)
      out.push(
        `| ${cell(t.type)} | ${cell(t.status)} | ${cell(dateTime(t.completedAt))} | ${cell(outcomeSummary(t.outcome))} |`,
      );
    out.push('');
  }
  out.push(...metadataSection(a.metadata));
  return finish(out, ctx);
}

/** A patient: demographics, appointments, metadata. */
export function renderPatient(
  p: Patient,
  appointments: readonly Appointment[],
  ctx: RenderContext = {},
): string {
  const out = [
    `# Patient: ${esc(patientName(p))}`,
    '',
    ...fields([
      ['Family name', p.familyName],
      ['Given name', p.givenName],
      ['Date of birth', p.dateOfBirth],
      ['NHS number', p.nhsNumber],
    ]),
    ...otherFields(p, ['familyName', 'givenName', 'dateOfBirth', 'nhsNumber', 'organisationId']),
    ...fields([['Organisation', p.organisationId]]),
    ...stamps(p),
    '',
    `## Appointments (${appointments.length})`,
    '',
  ];
  if (appointments.length === 0) out.push('No appointments.', '');
  else {
    out.push('| Window | Status | Location |', '|---|---|---|');
    for (const a of appointments)
      out.push(
        `| ${cell(windowText(a.windowStart, a.windowEnd))} | ${cell(a.status)} | ${cell(a.location ?? a.address)} |`,
      );
    out.push('');
  }
  out.push(...metadataSection(p.metadata));
  return finish(out, ctx);
}

/** An organisation: name, status, other fields, metadata. */
export function renderOrganisation(o: Organisation, ctx: RenderContext = {}): string {
  const out = [
    `# Organisation: ${esc(o.name)}`,
    '',
    ...fields([['Status', o.status]]),
    ...otherFields(o, ['name', 'status']),
    ...stamps(o),
    '',
    ...metadataSection(o.metadata),
  ];
  return finish(out, ctx);
}

/** Pretty JSON, exactly the object as returned. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? '';
}

function finish(lines: string[], ctx: RenderContext): string {
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return [...lines, ...footer(ctx.mode)].join('\n') + '\n';
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}
