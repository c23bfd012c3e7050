/**
 * Heim as document 004 describes it, read-only: REST under `/v1`, the API key as the whole
 * `Authorization` header value (no `Bearer`), `test_` keys for test mode and `live_` keys for live
 * mode, the error envelope `{error: {message, traceRequestId, issues?: [{code, message, path}]}}` and
 * list answers `{object: "list", url, data, traceRequestId, totalCount}` paged with `limit`/`offset`.
 *
 * Document 004 shows only `GET /v1/organisations`. The other paths, the filter parameters and the
 * object fields are INFERRED from the document's REST conventions ("predictable resource-oriented
 * URLs", list/get per resource) and are not documented:
 *
 * - `GET /v1/organisations`, `GET /v1/organisations/{id}`
 * - `GET /v1/patients?organisationId=…`, `GET /v1/patients/{id}`
 * - `GET /v1/appointments?patientId=…`, `GET /v1/appointments/{id}`
 * - `GET /v1/tasks?appointmentId=…`, `GET /v1/tasks/{id}`
 *
 * Objects carry `id`, `object` (`organisation` | `patient` | `appointment` | `task`), `createdAt`,
 * `updatedAt`, `metadata`, and their own fields ({@link HeimOrganisation}, {@link HeimPatient},
 * {@link HeimAppointment}, {@link HeimTask}). Lists are newest first (`createdAt` descending), so a
 * patient created while a coder pages through a list appears on page 1 and pushes the others along.
 *
 * Keys (each overridable from the environment variable of the same name; printed by `npm run sandbox`):
 * `HEIM_TEST_KEY` (test mode), `HEIM_LIVE_KEY` (live mode) and `HEIM_FORBIDDEN_KEY` (a well-formed test
 * key without permissions: 403). The key decides the mode, and the modes have separate data sets: an
 * id of one mode is 404 in the other. No key, a key of the wrong shape (not `test_…`/`live_…`, or sent
 * as `Bearer <key>`) and an unknown key are 401; the forbidden key, or any key while the `forbidden`
 * switch is on, is 403.
 *
 * Lists: `limit` defaults to {@link HEIM_DEFAULT_LIMIT} and must be an integer 1–{@link HEIM_MAX_LIMIT}
 * (more: 400 with issue `{code: "too_big", path: ["limit"]}`; less: `too_small`; not an integer:
 * `invalid_type`); `offset` defaults to 0 and must be a non-negative integer (issue path `["offset"]`);
 * an offset at or past `totalCount` answers `data: []` with the real `totalCount`. The filter
 * parameter of patients / appointments / tasks is required (missing: 400, issue `invalid_type`
 * "Required" at its path); every problem of a request is reported at once. A filter naming an unknown
 * parent is 404. `url` is the request path (no query). Every answer, errors included, carries a fresh
 * `traceRequestId`, repeated in an `x-trace-request-id` header.
 *
 * Data (deterministic: a seeded PRNG per mode, no clock): see {@link HEIM_LAYOUT}. Test mode has four
 * organisations with 45, 9, 6 and 0 patients (the first one needs five pages of 10; the last is
 * empty); live mode two organisations with 8 and 4 patients. Each patient has 1–4 appointments, each
 * appointment 1–3 tasks. Names are plainly fictional, NHS numbers are in the NHS test range
 * (999 000 0000 – 999 999 9999) with a valid modulus-11 check digit, task outcomes carry the free text
 * a coder reads (with ICD-10-CM codes in it: I10, E11.9, E11.65, E78.5, E66.9, I48.91, J44.9, R06.00,
 * L89.152, Z23) and `data` holds the recorded readings (LOINC, SNOMED CT, CVX codings).
 *
 * Switches ({@link HeimRuntimeOptions}: at start `startSandbox({heim})`, in process
 * `sandbox.heim.configure()`, over HTTP `POST /__sandbox/heim/options`; `reset()` restores the
 * startup options and the data): `delayMs` (slow answers), `statuses` (answered in order with the
 * envelope, one per authorised and valid request: 402, 5xx…; a 429 carries `Retry-After`),
 * `forbidden` (every key 403), `answer` (malformed 200 bodies: not JSON, a list without `totalCount`,
 * an item without `id`) and `patientChurn` (after each patients page served, a patient is added to
 * or removed from the front of that organisation's list, so `totalCount` changes between pages).
 * `addPatient` / `removePatient` change the data once. The generic faults of `faults.ts` (cut
 * connections, rate limits, delays, other malformed bodies) apply to these paths too.
 *
 * Control over HTTP (tests in another process): `GET|POST /__sandbox/heim/options`,
 * `GET /__sandbox/heim/data?mode=test|live` (the whole data set), `POST /__sandbox/heim/patients`
 * `{mode, organisationId, position?: "newest"|"oldest"}` → 201 the patient,
 * `DELETE /__sandbox/heim/patients/{id}?mode=` → 204, `GET|DELETE /__sandbox/heim/requests`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type SandboxApp, readBody, sendJson } from '../app';
import type { RouteRequest, Router } from '../router';

// ---------------------------------------------------------------------------------------------
// Public surface

export type HeimMode = 'test' | 'live';
export const HEIM_MODES: readonly HeimMode[] = ['test', 'live'];

/** The resource paths (see the module comment: all but the first are inferred). */
export const HEIM_PATHS = {
  organisations: '/v1/organisations',
  patients: '/v1/patients',
  appointments: '/v1/appointments',
  tasks: '/v1/tasks',
} as const;

/** Default keys, in the shape of document 004's example (`test_<id>.<secret>`). */
export const HEIM_DEFAULT_TEST_KEY = 'test_sbxTestKey7rKk1l2jdak72l4.f8pikSandboxHeimTestSecret0001';
export const HEIM_DEFAULT_LIVE_KEY = 'live_sbxLiveKey9mPq3x8wneb41c2.k2vtoSandboxHeimLiveSecret0001';
export const HEIM_DEFAULT_FORBIDDEN_KEY = 'test_sbxNoPermKey5tYu0c7vbn3e.q9zrSandboxHeimForbidden0001';

/** What the sandbox accepts as a key: `test_` or `live_` then letters, digits, `.`, `_`, `-`. */
export const HEIM_KEY_SHAPE = /^(test|live)_[A-Za-z0-9._-]{8,}$/;

export const HEIM_DEFAULT_LIMIT = 10;
export const HEIM_MAX_LIMIT = 100;

/** The message of a 400 (document 004's example). */
export const HEIM_INVALID_MESSAGE = 'The parameter or request body property provided is not valid';

/** Organisations per mode and how many patients each has (in creation order). */
export const HEIM_LAYOUT: Readonly<
  Record<HeimMode, { seed: number; organisations: ReadonlyArray<{ name: string; patients: number }> }>
> = {
  test: {
    seed: 0x4e1a_0004,
    organisations: [
      { name: 'Northgate Community Health (Sandbox)', patients: 45 },
      { name: 'Riverside Care Partnership (Sandbox)', patients: 9 },
      { name: 'Hillcrest Medical Group (Sandbox)', patients: 6 },
      { name: 'Meadowbank Onboarding Clinic (Sandbox)', patients: 0 },
    ],
  },
  live: {
    seed: 0x11fe_0004,
    organisations: [
      { name: 'Harbourside Health Trust (Sandbox live)', patients: 8 },
      { name: 'Elmstead Surgery (Sandbox live)', patients: 4 },
    ],
  },
};

export const APPOINTMENT_STATUSES = ['requested', 'booked', 'in_progress', 'completed', 'cancelled'] as const;
export const TASK_STATUSES = ['pending', 'completed', 'failed', 'cancelled'] as const;
export const TASK_TYPES = [
  'blood_pressure',
  'blood_test',
  'ecg',
  'weight',
  'spirometry',
  'wound_care',
  'vaccination',
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export type Metadata = Record<string, string | number | boolean>;

interface HeimBase {
  id: string;
  createdAt: string;
  updatedAt: string;
  metadata: Metadata;
}

export interface HeimOrganisation extends HeimBase {
  object: 'organisation';
  name: string;
  status: 'active' | 'pending';
}

export interface HeimPatient extends HeimBase {
  object: 'patient';
  givenName: string;
  familyName: string;
  /** `YYYY-MM-DD`. */
  dateOfBirth: string;
  /** Ten digits in the NHS test range 999 000 0000 – 999 999 9999, valid modulus-11 check digit. */
  nhsNumber: string;
  postcode: string;
  organisationId: string;
}

export interface HeimAppointment extends HeimBase {
  object: 'appointment';
  patientId: string;
  status: (typeof APPOINTMENT_STATUSES)[number];
  windowStart: string;
  windowEnd: string;
  location: { line1: string; city: string; postcode: string };
  practitioner: { name: string; role: string };
}

/** One recorded reading or finding in a task's `data`. */
export interface HeimReading {
  code: { system: string; code: string; display: string };
  value?: number;
  unit?: string;
}

export interface HeimTask extends HeimBase {
  object: 'task';
  appointmentId: string;
  type: TaskType;
  status: (typeof TASK_STATUSES)[number];
  /** Set when completed or failed, else null. */
  completedAt: string | null;
  /** `{summary, notes}` when completed or failed, else null. */
  outcome: { summary: string; notes: string } | null;
  /** Readings when completed, else `[]`. */
  data: HeimReading[];
}

/** One mode's data, each list in creation order (oldest first; lists are served newest first). */
export interface HeimDataset {
  organisations: HeimOrganisation[];
  patients: HeimPatient[];
  appointments: HeimAppointment[];
  tasks: HeimTask[];
}

export const HEIM_ANSWER_VARIANTS = ['ok', 'notJson', 'noTotalCount', 'itemWithoutId'] as const;
export type HeimAnswerVariant = (typeof HEIM_ANSWER_VARIANTS)[number];

/** What can be changed while the sandbox runs (`configure`, `POST /__sandbox/heim/options`). */
export const heimRuntimeOptionsSchema = z
  .object({
    /** Wait this long before answering an authorised, valid request, ms. null/0 = at once. */
    delayMs: z.number().int().nonnegative().nullable().optional(),
    /**
     * Statuses (400–599) answered in order with the error envelope, one per authorised, valid
     * request, before answering normally. Setting it replaces what is left; `[]` clears it.
     */
    statuses: z.array(z.number().int().min(400).max(599)).optional(),
    /** `Retry-After` seconds on a 429 of `statuses` (default 1); null = no header. */
    retryAfterSeconds: z.number().nonnegative().nullable().optional(),
    /** Every key is answered 403 (the key lost its permissions). */
    forbidden: z.boolean().optional(),
    /**
     * A successful answer's body: `ok`, `notJson` (200 with a JSON content type and an HTML body),
     * `noTotalCount` (lists without `totalCount`; gets unchanged), `itemWithoutId` (the first item of
     * a list, or the object of a get, without `id`).
     */
    answer: z.enum(HEIM_ANSWER_VARIANTS).optional(),
    /**
     * After each `GET /v1/patients` page answered 200: `add` creates a patient at the front of that
     * organisation's list (newest), `remove` deletes its newest patient (with its appointments and
     * tasks); null = off.
     */
    patientChurn: z.enum(['add', 'remove']).nullable().optional(),
  })
  .strict();
export type HeimRuntimeOptions = z.infer<typeof heimRuntimeOptionsSchema>;

/** `startSandbox({ heim })`. */
export type HeimOptions = HeimRuntimeOptions;

/** The options in force. */
export interface ResolvedHeimOptions {
  delayMs: number;
  statuses: number[];
  retryAfterSeconds: number | null;
  forbidden: boolean;
  answer: HeimAnswerVariant;
  patientChurn: 'add' | 'remove' | null;
}

/** One request that reached a Heim route. Never the key itself. */
export interface HeimRequestRecord {
  seq: number;
  method: string;
  path: string;
  /** Query parameter names and values (the sandbox's own synthetic ids). */
  query: Record<string, string>;
  /**
   * How the Authorization header looked: `raw` (a key of the right shape, as document 004 says),
   * `bearer` (`Bearer …`), `missing`, or `other`.
   */
  authorization: 'raw' | 'bearer' | 'missing' | 'other';
  /** The mode of the key, when it was a known one. */
  mode?: HeimMode;
  status: number;
  traceRequestId?: string;
}

export interface HeimCounts {
  organisations: number;
  patients: number;
  appointments: number;
  tasks: number;
}

/** `sandbox.state().heim` and `GET /__sandbox/state` → `heim`. */
export interface HeimState {
  test: HeimCounts;
  live: HeimCounts;
  requests: number;
  /** Patients added or removed by `patientChurn`, `addPatient`, `removePatient` since the reset. */
  patientsAdded: number;
  patientsRemoved: number;
}

/** In-process control of the Heim service (`sandbox.heim`). */
export interface HeimControl {
  readonly credentials: { readonly test: string; readonly live: string; readonly forbidden: string };
  /** The options in force (a copy). */
  readonly options: ResolvedHeimOptions;
  configure(patch: HeimRuntimeOptions): void;
  /** A deep copy of one mode's data (lists oldest first). */
  data(mode: HeimMode): HeimDataset;
  counts(mode: HeimMode): HeimCounts;
  /**
   * Creates a patient (with one booked appointment and one pending task) in an organisation:
   * `newest` (default) puts it at the front of the list, `oldest` at the end. Throws for an unknown
   * organisation.
   */
  addPatient(mode: HeimMode, organisationId: string, o?: { position?: 'newest' | 'oldest' }): HeimPatient;
  /** Deletes a patient with its appointments and tasks; false when unknown. */
  removePatient(mode: HeimMode, patientId: string): boolean;
  requests(): HeimRequestRecord[];
  clearRequests(): void;
  state(): HeimState;
}

/** What {@link registerHeim} returns: the control plus the hook adding `/__sandbox/heim/*`. */
export interface HeimService extends HeimControl {
  registerControl(control: Router): void;
}

// ---------------------------------------------------------------------------------------------
// Synthetic data

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  constructor(readonly next: () => number) {}
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Modulus-11 check digit of the first nine digits of an NHS number; undefined when it would be 10. */
export function nhsCheckDigit(first9: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(first9[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  return check === 10 ? undefined : check;
}

/** Whether a ten-digit string is a valid NHS number (modulus 11). */
export function isValidNhsNumber(n: string): boolean {
  return /^\d{10}$/.test(n) && nhsCheckDigit(n.slice(0, 9)) === Number(n[9]);
}

// Plainly fictional names: nobody should mistake a sandbox patient for a real one.
const GIVEN_NAMES = [
  'Alex',
  'Bailey',
  'Casey',
  'Devon',
  'Ellis',
  'Finley',
  'Harper',
  'Indigo',
  'Jules',
  'Kit',
  'Logan',
  'Morgan',
  'Nico',
  'Oakley',
  'Parker',
  'Quinn',
  'Robin',
  'Sage',
  'Taylor',
  'Wren',
];
const FAMILY_NAMES = [
  'Sampleton',
  'Testwell',
  'Mockridge',
  'Placeholder',
  'Dummyworth',
  'Exampleby',
  'Fictionary',
  'Specimen',
  'Trialford',
  'Pseudonymous',
  'Madeupson',
  'Notreal',
];
const STREETS = [
  'Example Road',
  'Sample Street',
  'Placeholder Lane',
  'Testing Avenue',
  'Fixture Close',
  'Sandbox Way',
  'Mockingbird Crescent',
  'Dummy Terrace',
];
const PLACES: ReadonlyArray<{ city: string; outward: readonly string[] }> = [
  { city: 'Leeds', outward: ['LS1', 'LS6', 'LS11'] },
  { city: 'Bristol', outward: ['BS1', 'BS5', 'BS16'] },
  { city: 'Manchester', outward: ['M1', 'M14', 'M20'] },
  { city: 'Newcastle upon Tyne', outward: ['NE1', 'NE4', 'NE6'] },
  { city: 'Norwich', outward: ['NR1', 'NR2', 'NR5'] },
];
const PRACTITIONER_ROLES = ['Healthcare Assistant', 'Phlebotomist', 'Practice Nurse', 'Paramedic'];
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

/** The pathways an appointment follows and the tasks it asks for, in order. */
const PATHWAYS: ReadonlyArray<{ name: string; tasks: readonly TaskType[] }> = [
  { name: 'hypertension-review', tasks: ['blood_pressure', 'blood_test', 'weight'] },
  { name: 'diabetes-annual-review', tasks: ['blood_test', 'weight', 'blood_pressure'] },
  { name: 'cardiac-check', tasks: ['ecg', 'blood_pressure'] },
  { name: 'respiratory-review', tasks: ['spirometry', 'weight'] },
  { name: 'wound-care-visit', tasks: ['wound_care'] },
  { name: 'vaccination-visit', tasks: ['vaccination'] },
];

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const CVX = 'http://hl7.org/fhir/sid/cvx';
/** Measurements without a code in a standard system (wound size). */
const LOCAL = 'https://sandbox.heim.invalid/observations';

const loinc = (code: string, display: string, value: number, unit: string): HeimReading => ({
  code: { system: LOINC, code, display },
  value,
  unit,
});
const snomed = (code: string, display: string): HeimReading => ({ code: { system: SNOMED, code, display } });

/** "Today" of the synthetic data, so it never depends on the clock. */
const DATA_TODAY = Date.UTC(2025, 8, 15, 12);
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The ICD-10-CM Z68 code of an adult BMI (dotted). */
export function bmiCode(bmi: number): string {
  if (bmi < 20) return 'Z68.1';
  if (bmi < 40) return `Z68.${Math.floor(bmi)}`;
  if (bmi < 45) return 'Z68.41';
  if (bmi < 50) return 'Z68.42';
  if (bmi < 60) return 'Z68.43';
  if (bmi < 70) return 'Z68.44';
  return 'Z68.45';
}

interface Outcome {
  summary: string;
  notes: string;
  data: HeimReading[];
  metadata: Metadata;
}

/** The outcome of a completed task of `type` on `pathway`. */
function outcomeOf(type: TaskType, pathway: string, r: Rand): Outcome {
  switch (type) {
    case 'blood_pressure': {
      const sys = r.int(112, 172);
      const dia = r.int(68, 104);
      const hr = r.int(56, 98);
      const high = sys >= 140 || dia >= 90;
      return {
        summary: high ? 'Blood pressure above target' : 'Blood pressure within target',
        notes: high
          ? `Hypertension I10 reviewed; BP ${sys}/${dia} mmHg seated, left arm, after 5 minutes rest. ` +
            `Pulse ${hr} bpm regular. Advised home blood pressure monitoring; GP review requested.`
          : `Hypertension I10 reviewed; BP ${sys}/${dia} mmHg, within target. Pulse ${hr} bpm. ` +
            'Continue current medication.',
        data: [
          loinc('8480-6', 'Systolic blood pressure', sys, 'mm[Hg]'),
          loinc('8462-4', 'Diastolic blood pressure', dia, 'mm[Hg]'),
          loinc('8867-4', 'Heart rate', hr, '/min'),
          high
            ? snomed('38341003', 'Hypertensive disorder, systemic arterial (disorder)')
            : snomed('2004005', 'Normal blood pressure (finding)'),
        ],
        metadata: { device: 'Sandbox BP-200 monitor', cuffSize: r.pick(['standard', 'large']) },
      };
    }
    case 'blood_test': {
      if (pathway === 'diabetes-annual-review') {
        const a1c = r.int(44, 86);
        const high = a1c >= 58;
        return {
          summary: high ? 'HbA1c above target' : 'HbA1c at target',
          notes: high
            ? `Type 2 diabetes with hyperglycaemia E11.65: HbA1c ${a1c} mmol/mol (target 58 or below). ` +
              'Sample taken from right antecubital fossa; eGFR and lipids sent.'
            : `Type 2 diabetes E11.9 annual review bloods taken. HbA1c ${a1c} mmol/mol, at target. ` +
              'eGFR and lipids sent.',
          data: [
            loinc('59261-8', 'Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol', a1c, 'mmol/mol'),
            snomed('44054006', 'Diabetes mellitus type 2 (disorder)'),
          ],
          metadata: { sampleTube: 'EDTA', courier: 'Sandbox Pathology Courier' },
        };
      }
      const chol = r.int(38, 72) / 10;
      const creat = r.int(60, 130);
      const high = chol >= 5;
      return {
        summary: high ? 'Cholesterol raised' : 'Bloods within normal limits',
        notes: high
          ? `Hyperlipidaemia E78.5 monitoring: total cholesterol ${chol} mmol/L; creatinine ${creat} umol/L. ` +
            'Lifestyle advice given; statin review with GP.'
          : `Hypertension I10 monitoring bloods: total cholesterol ${chol} mmol/L; creatinine ${creat} umol/L. ` +
            'No action needed.',
        data: [
          loinc('14647-2', 'Cholesterol [Moles/volume] in Serum or Plasma', chol, 'mmol/L'),
          loinc('14682-9', 'Creatinine [Moles/volume] in Serum or Plasma', creat, 'umol/L'),
          ...(high ? [snomed('55822004', 'Hyperlipidemia (disorder)')] : []),
        ],
        metadata: { sampleTube: 'SST', fasting: r.chance(0.5) },
      };
    }
    case 'weight': {
      const height = r.int(150, 195);
      const weight = round1(r.int(550, 1300) / 10);
      const bmi = round1(weight / (height / 100) ** 2);
      const obese = bmi >= 30;
      return {
        summary: obese ? 'BMI in the obese range' : 'Weight recorded',
        notes: obese
          ? `Obesity E66.9: weight ${weight} kg, height ${height} cm, BMI ${bmi} kg/m2 (${bmiCode(bmi)}). ` +
            'Weight management advice given; referral to the local programme offered.'
          : `Weight ${weight} kg, height ${height} cm, BMI ${bmi} kg/m2 (${bmiCode(bmi)}); no change since ` +
            'last review.',
        data: [
          loinc('29463-7', 'Body weight', weight, 'kg'),
          loinc('8302-2', 'Body height', height, 'cm'),
          loinc('39156-5', 'Body mass index (BMI) [Ratio]', bmi, 'kg/m2'),
          ...(obese ? [snomed('414916001', 'Obesity (disorder)')] : []),
        ],
        metadata: { scale: 'Sandbox class III scale' },
      };
    }
    case 'ecg': {
      const af = r.chance(0.35);
      const hr = af ? r.int(88, 132) : r.int(58, 92);
      return {
        summary: af ? 'ECG: atrial fibrillation' : 'ECG: normal sinus rhythm',
        notes: af
          ? `12-lead ECG: irregularly irregular rhythm consistent with atrial fibrillation I48.91, ` +
            `ventricular rate ${hr} bpm. Tracing sent to GP for anticoagulation review.`
          : `Palpitations R00.2 investigated. 12-lead ECG: normal sinus rhythm, rate ${hr} bpm. No acute changes.`,
        data: [
          loinc('8867-4', 'Heart rate', hr, '/min'),
          af
            ? snomed('49436004', 'Atrial fibrillation (disorder)')
            : snomed('64730000', 'Normal sinus rhythm (finding)'),
        ],
        metadata: { leads: 12, tracingFormat: 'PDF' },
      };
    }
    case 'spirometry': {
      const ratio = r.int(48, 82) / 100;
      const fev1 = r.int(12, 34) / 10;
      const spo2 = r.int(90, 99);
      const copd = ratio < 0.7;
      return {
        summary: copd ? 'Obstructive spirometry' : 'Spirometry normal',
        notes: copd
          ? `COPD J44.9 review: post-bronchodilator FEV1/FVC ${ratio}, FEV1 ${fev1} L. SpO2 ${spo2}% on air. ` +
            'Dyspnoea R06.00 on exertion (MRC grade 3). Inhaler technique checked.'
          : `Chronic cough R05.3 investigated. Spirometry: FEV1/FVC ${ratio}, FEV1 ${fev1} L, no obstruction. ` +
            `SpO2 ${spo2}% on air.`,
        data: [
          loinc('19926-5', 'FEV1/FVC', Math.round(ratio * 100), '%'),
          loinc('20150-9', 'FEV1', fev1, 'L'),
          loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry', spo2, '%'),
          ...(copd ? [snomed('13645005', 'Chronic obstructive lung disease (disorder)')] : []),
        ],
        metadata: { bronchodilator: 'salbutamol 400 micrograms' },
      };
    }
    case 'wound_care': {
      const length = r.int(10, 45) / 10;
      const width = r.int(8, 30) / 10;
      return {
        summary: 'Dressing changed',
        notes:
          `Pressure ulcer of sacral region, stage 2 L89.152: wound ${length} x ${width} cm, granulating, ` +
          'no signs of infection. Foam dressing applied; review in 3 days.',
        data: [
          snomed('399912005', 'Pressure ulcer (disorder)'),
          {
            code: { system: LOCAL, code: 'wound-length', display: 'Wound length' },
            value: length,
            unit: 'cm',
          },
          { code: { system: LOCAL, code: 'wound-width', display: 'Wound width' }, value: width, unit: 'cm' },
        ],
        metadata: { dressing: 'foam', photoTaken: true },
      };
    }
    case 'vaccination': {
      const vaccine = r.pick([
        { cvx: '150', display: 'influenza, injectable, quadrivalent, preservative free', name: 'Influenza' },
        { cvx: '33', display: 'pneumococcal polysaccharide PPV23', name: 'Pneumococcal (PPV23)' },
      ]);
      const batch = `SBX-${r.int(1000, 9999)}`;
      return {
        summary: `${vaccine.name} vaccine given`,
        notes:
          `${vaccine.name} vaccine given (CVX ${vaccine.cvx}), left deltoid, batch ${batch}; no immediate ` +
          'reaction. Encounter for immunization Z23.',
        data: [
          { code: { system: CVX, code: vaccine.cvx, display: vaccine.display } },
          snomed('33879002', 'Administration of vaccine to produce active immunity (procedure)'),
        ],
        metadata: { batch, site: 'left deltoid' },
      };
    }
  }
}

const FAILURES: ReadonlyArray<{ summary: string; notes: string }> = [
  {
    summary: 'Task could not be completed',
    notes: 'Patient declined the procedure on the day. No readings taken; no codes recorded.',
  },
  {
    summary: 'Task could not be completed',
    notes: 'Unable to obtain a sample after two attempts. GP informed; rebooking requested.',
  },
  {
    summary: 'Task could not be completed',
    notes: 'Equipment fault: device failed its self-test. No readings taken.',
  },
];

/** Builds one mode's data, deterministically. */
class Generator {
  readonly r: Rand;
  private readonly ids = new Set<string>();
  private readonly nhsNumbers = new Set<string>();

  constructor(seed: number) {
    this.r = new Rand(prng(seed));
  }

  id(prefix: string): string {
    const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
    for (;;) {
      let s = `${prefix}_`;
      for (let i = 0; i < 16; i++) s += alphabet[this.r.int(0, alphabet.length - 1)];
      if (!this.ids.has(s)) {
        this.ids.add(s);
        return s;
      }
    }
  }

  nhsNumber(): string {
    for (;;) {
      const first9 = `999${String(this.r.int(0, 999_999)).padStart(6, '0')}`;
      const check = nhsCheckDigit(first9);
      if (check === undefined) continue;
      const n = `${first9}${check}`;
      if (!this.nhsNumbers.has(n)) {
        this.nhsNumbers.add(n);
        return n;
      }
    }
  }

  postcode(outward: string): string {
    const l = (): string => INWARD_LETTERS[this.r.int(0, INWARD_LETTERS.length - 1)];
    return `${outward} ${this.r.int(1, 9)}${l()}${l()}`;
  }

  person(): { givenName: string; familyName: string } {
    return { givenName: this.r.pick(GIVEN_NAMES), familyName: this.r.pick(FAMILY_NAMES) };
  }

  patient(organisationId: string, createdMs: number, ref: number): HeimPatient {
    const place = this.r.pick(PLACES);
    const born = Date.UTC(1935, 0, 1) + this.r.int(0, 60 * 365) * DAY;
    return {
      id: this.id('pat'),
      object: 'patient',
      createdAt: iso(createdMs),
      updatedAt: iso(createdMs + this.r.int(0, 20) * DAY),
      metadata: {
        externalReference: `SBX-EPR-${String(ref).padStart(6, '0')}`,
        consentToSms: this.r.chance(0.7),
      },
      ...this.person(),
      dateOfBirth: iso(born).slice(0, 10),
      nhsNumber: this.nhsNumber(),
      postcode: this.postcode(this.r.pick(place.outward)),
      organisationId,
    };
  }

  /** Appointments (oldest first) and their tasks for one patient. */
  visits(patient: HeimPatient, count: number): { appointments: HeimAppointment[]; tasks: HeimTask[] } {
    const appointments: HeimAppointment[] = [];
    const tasks: HeimTask[] = [];
    const windows = Array.from({ length: count }, () => this.r.int(-170, 30)).sort((a, b) => a - b);
    for (const dayOffset of windows) {
      const start = DATA_TODAY + dayOffset * DAY + (this.r.int(8, 16) - 12) * 3_600_000;
      const end = start + 2 * 3_600_000;
      const created = start - this.r.int(3, 20) * DAY;
      const status: HeimAppointment['status'] =
        dayOffset < -1
          ? this.r.chance(0.85)
            ? 'completed'
            : 'cancelled'
          : dayOffset <= 0
            ? 'in_progress'
            : this.r.chance(0.7)
              ? 'booked'
              : 'requested';
      const place = this.r.pick(PLACES);
      const pathway = this.r.pick(PATHWAYS);
      const practitioner = this.person();
      const appointment: HeimAppointment = {
        id: this.id('apt'),
        object: 'appointment',
        createdAt: iso(created),
        updatedAt: iso(status === 'completed' || status === 'cancelled' ? end : created + 3_600_000),
        metadata: { pathway: pathway.name, requestedBy: 'Sandbox GP Surgery' },
        patientId: patient.id,
        status,
        windowStart: iso(start),
        windowEnd: iso(end),
        location: {
          line1: `${this.r.int(1, 180)} ${this.r.pick(STREETS)}`,
          city: place.city,
          postcode: this.postcode(this.r.pick(place.outward)),
        },
        practitioner: {
          name: `${practitioner.givenName} ${practitioner.familyName}`,
          role: this.r.pick(PRACTITIONER_ROLES),
        },
      };
      appointments.push(appointment);
      const n = Math.min(pathway.tasks.length, this.r.int(1, 3));
      for (let i = 0; i < n; i++) {
        const type = pathway.tasks[i];
        const taskStatus: HeimTask['status'] =
          status === 'completed'
            ? this.r.chance(0.9)
              ? 'completed'
              : 'failed'
            : status === 'in_progress'
              ? i === 0
                ? 'completed'
                : 'pending'
              : status === 'cancelled'
                ? 'cancelled'
                : 'pending';
        tasks.push(this.task(appointment, type, pathway.name, taskStatus, created + (i + 1) * 60_000, start));
      }
    }
    return { appointments, tasks };
  }

  task(
    appointment: HeimAppointment,
    type: TaskType,
    pathway: string,
    status: HeimTask['status'],
    createdMs: number,
    windowStartMs: number,
  ): HeimTask {
    const base = {
      id: this.id('tsk'),
      object: 'task' as const,
      createdAt: iso(createdMs),
      appointmentId: appointment.id,
      type,
      status,
    };
    if (status === 'completed' || status === 'failed') {
      const done = windowStartMs + this.r.int(10, 110) * 60_000;
      const o = outcomeOf(type, pathway, this.r);
      const failure = this.r.pick(FAILURES);
      return {
        ...base,
        updatedAt: iso(done),
        metadata: status === 'completed' ? o.metadata : {},
        completedAt: iso(done),
        outcome: status === 'completed' ? { summary: o.summary, notes: o.notes } : failure,
        data: status === 'completed' ? o.data : [],
      };
    }
    return {
      ...base,
      updatedAt: iso(createdMs),
      metadata: {},
      completedAt: null,
      outcome: null,
      data: [],
    };
  }
}

function generate(mode: HeimMode): HeimDataset {
  const layout = HEIM_LAYOUT[mode];
  const g = new Generator(layout.seed);
  const ds: HeimDataset = { organisations: [], patients: [], appointments: [], tasks: [] };
  let ref = 1;
  layout.organisations.forEach((o, index) => {
    const created = Date.UTC(2024, 2 + index * 2, 4 + index, 9);
    const organisation: HeimOrganisation = {
      id: g.id('org'),
      object: 'organisation',
      createdAt: iso(created),
      updatedAt: iso(created + 30 * DAY),
      metadata: { odsCode: `SBX${String(index + 1).padStart(2, '0')}`, region: g.r.pick(PLACES).city },
      name: o.name,
      status: o.patients === 0 ? 'pending' : 'active',
    };
    ds.organisations.push(organisation);
    let createdMs = Date.UTC(2025, 0, 6, 9) + index * 3_600_000;
    for (let i = 0; i < o.patients; i++) {
      createdMs += g.r.int(1, 4) * DAY + g.r.int(0, 600) * 60_000;
      const patient = g.patient(organisation.id, createdMs, ref++);
      ds.patients.push(patient);
      const { appointments, tasks } = g.visits(patient, g.r.int(1, 4));
      ds.appointments.push(...appointments);
      ds.tasks.push(...tasks);
    }
  });
  return ds;
}

// ---------------------------------------------------------------------------------------------
// The service

const STATUS_MESSAGES: Record<number, string> = {
  400: HEIM_INVALID_MESSAGE,
  401: 'No valid API key provided',
  402: 'The parameters were valid but the request failed',
  403: "The API key doesn't have permissions to perform the request",
  404: "The requested resource doesn't exist",
  409: 'The request conflicts with the current state of the resource',
  429: 'Too many requests: slow down',
  500: "Something went wrong on Heim's end",
  502: "Something went wrong on Heim's end (bad gateway)",
  503: 'Heim is temporarily unavailable',
  504: "Something went wrong on Heim's end (gateway timeout)",
};

export interface HeimIssue {
  code: string;
  message: string;
  path: Array<string | number>;
}

function resolveOptions(o: HeimRuntimeOptions, previous?: ResolvedHeimOptions): ResolvedHeimOptions {
  return {
    delayMs: o.delayMs === undefined ? (previous?.delayMs ?? 0) : (o.delayMs ?? 0),
    statuses: o.statuses !== undefined ? [...o.statuses] : [...(previous?.statuses ?? [])],
    retryAfterSeconds:
      o.retryAfterSeconds === undefined ? (previous?.retryAfterSeconds ?? 1) : o.retryAfterSeconds,
    forbidden: o.forbidden ?? previous?.forbidden ?? false,
    answer: o.answer ?? previous?.answer ?? 'ok',
    patientChurn: o.patientChurn === undefined ? (previous?.patientChurn ?? null) : o.patientChurn,
  };
}

function keyFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: string,
  prefix: string,
): string {
  const v = env[name] || fallback;
  if (!HEIM_KEY_SHAPE.test(v) || !v.startsWith(prefix)) {
    throw new Error(`${name} must look like ${prefix}<letters, digits, ".", "_" or "-">`);
  }
  return v;
}

/** Registers Heim (document 004, read-only): the list and get routes under `/v1`. */
export function registerHeim(app: SandboxApp, opts: HeimOptions = {}): HeimService {
  const keys = {
    test: keyFromEnv(app.env, 'HEIM_TEST_KEY', HEIM_DEFAULT_TEST_KEY, 'test_'),
    live: keyFromEnv(app.env, 'HEIM_LIVE_KEY', HEIM_DEFAULT_LIVE_KEY, 'live_'),
    forbidden: keyFromEnv(app.env, 'HEIM_FORBIDDEN_KEY', HEIM_DEFAULT_FORBIDDEN_KEY, ''),
  } as const;
  if (new Set(Object.values(keys)).size !== 3) throw new Error('the three Heim keys must differ');
  app.credentials.HEIM_TEST_KEY = keys.test;
  app.credentials.HEIM_LIVE_KEY = keys.live;
  app.credentials.HEIM_FORBIDDEN_KEY = keys.forbidden;

  const startup = heimRuntimeOptionsSchema.parse(opts);
  let options = resolveOptions(startup);
  const fresh = (): Record<HeimMode, HeimDataset> => ({ test: generate('test'), live: generate('live') });
  let data = fresh();
  let records: HeimRequestRecord[] = [];
  let seq = 0;
  let patientsAdded = 0;
  let patientsRemoved = 0;
  let addedSerial = 0;

  const configure = (patch: HeimRuntimeOptions): void => {
    options = resolveOptions(heimRuntimeOptionsSchema.parse(patch), options);
  };
  app.onReset(() => {
    options = resolveOptions(startup);
    data = fresh();
    records = [];
    seq = 0;
    patientsAdded = 0;
    patientsRemoved = 0;
    addedSerial = 0;
  });
  const counts = (mode: HeimMode): HeimCounts => ({
    organisations: data[mode].organisations.length,
    patients: data[mode].patients.length,
    appointments: data[mode].appointments.length,
    tasks: data[mode].tasks.length,
  });
  const state = (): HeimState => ({
    test: counts('test'),
    live: counts('live'),
    requests: records.length,
    patientsAdded,
    patientsRemoved,
  });
  app.addState('heim', state);

  // ---- data changes

  const addPatient = (
    mode: HeimMode,
    organisationId: string,
    o: { position?: 'newest' | 'oldest' } = {},
  ): HeimPatient => {
    const ds = data[mode];
    if (!ds.organisations.some((org) => org.id === organisationId)) {
      throw new Error(`no ${mode} organisation ${organisationId}`);
    }
    addedSerial += 1;
    const g = new Generator(HEIM_LAYOUT[mode].seed ^ (0x9e37 * addedSerial));
    const siblings = ds.patients.filter((p) => p.organisationId === organisationId);
    const oldest = o.position === 'oldest';
    const edge = oldest ? siblings[0] : siblings[siblings.length - 1];
    const edgeMs = edge ? Date.parse(edge.createdAt) : Date.UTC(2025, 0, 6, 9);
    const createdMs = oldest ? edgeMs - DAY : Math.max(edgeMs + 60_000, app.now());
    const patient = g.patient(organisationId, createdMs, 900_000 + addedSerial);
    // another seed may still draw an id or NHS number the data set has: draw again
    const taken = new Set(ds.patients.flatMap((p) => [p.id, p.nhsNumber]));
    while (taken.has(patient.id)) patient.id = g.id('pat');
    while (taken.has(patient.nhsNumber)) patient.nhsNumber = g.nhsNumber();
    patient.updatedAt = patient.createdAt;
    // one booked appointment a week after, with its first task pending
    const { appointments, tasks } = g.visits(patient, 1);
    const appointment = appointments[0];
    const start = createdMs + 7 * DAY;
    Object.assign(appointment, {
      status: 'booked',
      createdAt: patient.createdAt,
      updatedAt: patient.createdAt,
      windowStart: iso(start),
      windowEnd: iso(start + 2 * 3_600_000),
    });
    const task: HeimTask = {
      ...tasks[0],
      createdAt: patient.createdAt,
      updatedAt: patient.createdAt,
      status: 'pending',
      metadata: {},
      completedAt: null,
      outcome: null,
      data: [],
    };
    if (oldest && edge) ds.patients.splice(ds.patients.indexOf(edge), 0, patient);
    else ds.patients.push(patient);
    ds.appointments.push(appointment);
    ds.tasks.push(task);
    patientsAdded += 1;
    return structuredClone(patient);
  };

  const removePatient = (mode: HeimMode, patientId: string): boolean => {
    const ds = data[mode];
    const before = ds.patients.length;
    ds.patients = ds.patients.filter((p) => p.id !== patientId);
    if (ds.patients.length === before) return false;
    const gone = new Set(ds.appointments.filter((a) => a.patientId === patientId).map((a) => a.id));
    ds.appointments = ds.appointments.filter((a) => !gone.has(a.id));
    ds.tasks = ds.tasks.filter((t) => !gone.has(t.appointmentId));
    patientsRemoved += 1;
    return true;
  };

  // ---- answers

  const sendEnvelope = (
    res: ServerResponse,
    record: HeimRequestRecord,
    status: number,
    message: string,
    issues?: HeimIssue[],
    headers: Record<string, string> = {},
  ): void => {
    const traceRequestId = randomUUID();
    record.traceRequestId = traceRequestId;
    sendJson(
      res,
      status,
      { error: { message, traceRequestId, ...(issues ? { issues } : {}) } },
      { 'x-trace-request-id': traceRequestId, ...headers },
    );
  };

  type Auth = { mode: HeimMode } | { status: 401 | 403; message: string };
  const authenticate = (req: IncomingMessage, record: HeimRequestRecord): Auth => {
    const header = req.headers.authorization;
    const key = (header ?? '').trim();
    if (key === '') {
      record.authorization = 'missing';
      return {
        status: 401,
        message: 'No API key provided: send your API key as the value of the Authorization header',
      };
    }
    if (/^bearer\s/i.test(key)) {
      record.authorization = 'bearer';
      return {
        status: 401,
        message:
          'Invalid API key format: send the API key itself as the Authorization header, without "Bearer"',
      };
    }
    if (!HEIM_KEY_SHAPE.test(key)) {
      record.authorization = 'other';
      return { status: 401, message: 'Invalid API key format: API keys start with "test_" or "live_"' };
    }
    record.authorization = 'raw';
    if (key === keys.forbidden) return { status: 403, message: STATUS_MESSAGES[403] };
    const mode = key === keys.test ? 'test' : key === keys.live ? 'live' : undefined;
    if (!mode) return { status: 401, message: 'Invalid API key provided' };
    record.mode = mode;
    if (options.forbidden) return { status: 403, message: STATUS_MESSAGES[403] };
    return { mode };
  };

  /**
   * The common steps of every route: record, authenticate, validate (`check` returns issues, a 404
   * message, or the answer's builder), forced statuses, delay, then the answer.
   */
  const route =
    (
      check: (
        mode: HeimMode,
        r: RouteRequest,
      ) => { issues: HeimIssue[] } | { notFound: string } | { answer: () => unknown; after?: () => void },
    ) =>
    async (r: RouteRequest): Promise<void> => {
      const { req, res } = r;
      const record: HeimRequestRecord = {
        seq: ++seq,
        method: r.method,
        path: r.path,
        query: Object.fromEntries(r.query),
        authorization: 'missing',
        status: 0,
      };
      records.push(record);
      res.once('close', () => {
        if (res.writableFinished) record.status = res.statusCode;
      });
      const auth = authenticate(req, record);
      if ('status' in auth) {
        sendEnvelope(res, record, auth.status, auth.message);
        return;
      }
      const checked = check(auth.mode, r);
      if ('issues' in checked) {
        sendEnvelope(res, record, 400, HEIM_INVALID_MESSAGE, checked.issues);
        return;
      }
      if ('notFound' in checked) {
        sendEnvelope(res, record, 404, checked.notFound);
        return;
      }
      const forced = options.statuses.shift();
      if (forced !== undefined) {
        const headers: Record<string, string> = {};
        if (forced === 429 && options.retryAfterSeconds !== null)
          headers['retry-after'] = String(options.retryAfterSeconds);
        const issues =
          forced === 400 ? [{ code: 'custom', message: 'Sandbox: forced 400', path: [] }] : undefined;
        sendEnvelope(
          res,
          record,
          forced,
          STATUS_MESSAGES[forced] ?? `Sandbox: HTTP ${forced}`,
          issues,
          headers,
        );
        return;
      }
      if (options.delayMs > 0 && !(await waitUnlessClosed(options.delayMs, res))) return;
      const traceRequestId = randomUUID();
      record.traceRequestId = traceRequestId;
      const headers = { 'x-trace-request-id': traceRequestId };
      if (options.answer === 'notJson') {
        const text = '<html><head><title>502 Bad Gateway</title></head><body>upstream</body></html>';
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
          ...headers,
        });
        res.end(text);
        return;
      }
      const body = checked.answer() as Record<string, unknown>;
      if (body.object === 'list') {
        body.traceRequestId = traceRequestId;
        if (options.answer === 'noTotalCount') delete body.totalCount;
        const items = body.data as Array<Record<string, unknown>>;
        if (options.answer === 'itemWithoutId' && items.length > 0) delete items[0].id;
      } else if (options.answer === 'itemWithoutId') {
        delete body.id;
      }
      sendJson(res, 200, body, headers);
      checked.after?.();
    };

  const list = <T extends { id: string }>(
    name: keyof typeof HEIM_PATHS,
    filter: { param: string; noun: string; exists: (ds: HeimDataset, id: string) => boolean } | undefined,
    items: (ds: HeimDataset, parentId: string | undefined) => T[],
    after?: (mode: HeimMode, parentId: string) => void,
  ) =>
    route((mode, r) => {
      const issues: HeimIssue[] = [];
      const limit = intParam(r.query, 'limit', HEIM_DEFAULT_LIMIT, 1, HEIM_MAX_LIMIT, issues);
      const offset = intParam(r.query, 'offset', 0, 0, undefined, issues);
      let parentId: string | undefined;
      if (filter) {
        const values = r.query.getAll(filter.param);
        parentId = values[0];
        if (parentId === undefined || parentId.trim() === '')
          issues.push({ code: 'invalid_type', message: 'Required', path: [filter.param] });
        else if (values.length > 1)
          issues.push({ code: 'invalid_type', message: 'Expected a single value', path: [filter.param] });
      }
      if (issues.length > 0) return { issues };
      const ds = data[mode];
      if (filter && parentId !== undefined && !filter.exists(ds, parentId))
        return { notFound: `The ${filter.noun} doesn't exist` };
      return {
        answer: () => {
          const all = items(ds, parentId).slice().reverse(); // newest first
          return {
            object: 'list',
            url: HEIM_PATHS[name],
            data: structuredClone(all.slice(offset, offset + limit)),
            totalCount: all.length,
          };
        },
        after: after && parentId !== undefined ? () => after(mode, parentId) : undefined,
      };
    });

  const get = <T extends { id: string }>(noun: string, items: (ds: HeimDataset) => T[]) =>
    route((mode, r) => {
      const found = items(data[mode]).find((i) => i.id === r.params.id);
      if (!found) return { notFound: `The ${noun} doesn't exist` };
      return { answer: () => structuredClone(found) };
    });

  const churn = (mode: HeimMode, organisationId: string): void => {
    if (options.patientChurn === 'add') {
      addPatient(mode, organisationId);
    } else if (options.patientChurn === 'remove') {
      const newest = data[mode].patients.filter((p) => p.organisationId === organisationId).at(-1);
      if (newest) removePatient(mode, newest.id);
    }
  };

  app.router.get(
    HEIM_PATHS.organisations,
    list('organisations', undefined, (ds) => ds.organisations),
  );
  app.router.get(
    `${HEIM_PATHS.organisations}/:id`,
    get('organisation', (ds) => ds.organisations),
  );
  app.router.get(
    HEIM_PATHS.patients,
    list(
      'patients',
      {
        param: 'organisationId',
        noun: 'organisation',
        exists: (ds, id) => ds.organisations.some((o) => o.id === id),
      },
      (ds, id) => ds.patients.filter((p) => p.organisationId === id),
      churn,
    ),
  );
  app.router.get(
    `${HEIM_PATHS.patients}/:id`,
    get('patient', (ds) => ds.patients),
  );
  app.router.get(
    HEIM_PATHS.appointments,
    list(
      'appointments',
      { param: 'patientId', noun: 'patient', exists: (ds, id) => ds.patients.some((p) => p.id === id) },
      (ds, id) => ds.appointments.filter((a) => a.patientId === id),
    ),
  );
  app.router.get(
    `${HEIM_PATHS.appointments}/:id`,
    get('appointment', (ds) => ds.appointments),
  );
  app.router.get(
    HEIM_PATHS.tasks,
    list(
      'tasks',
      {
        param: 'appointmentId',
        noun: 'appointment',
        exists: (ds, id) => ds.appointments.some((a) => a.id === id),
      },
      (ds, id) => ds.tasks.filter((t) => t.appointmentId === id),
    ),
  );
  app.router.get(
    `${HEIM_PATHS.tasks}/:id`,
    get('task', (ds) => ds.tasks),
  );

  // ---- control

  const registerControl = (control: Router): void => {
    control.get('/__sandbox/heim/options', ({ res }) => sendJson(res, 200, options));
    control.post('/__sandbox/heim/options', async ({ req, res }) => {
      const parsed = heimRuntimeOptionsSchema.safeParse(await readJson(req));
      if (!parsed.success) {
        sendJson(res, 400, { message: 'invalid heim options', issues: parsed.error.issues });
        return;
      }
      configure(parsed.data);
      sendJson(res, 200, options);
    });
    control.get('/__sandbox/heim/data', ({ res, query }) => {
      const mode = modeOf(query.get('mode') ?? 'test');
      if (!mode) {
        sendJson(res, 400, { message: 'expected ?mode=test|live' });
        return;
      }
      sendJson(res, 200, data[mode]);
    });
    control.post('/__sandbox/heim/patients', async ({ req, res }) => {
      const parsed = z
        .object({
          mode: z.enum(['test', 'live']).default('test'),
          organisationId: z.string().min(1),
          position: z.enum(['newest', 'oldest']).optional(),
        })
        .strict()
        .safeParse(await readJson(req));
      if (!parsed.success) {
        sendJson(res, 400, {
          message: 'expected {mode?, organisationId, position?}',
          issues: parsed.error.issues,
        });
        return;
      }
      const { mode, organisationId, position: where } = parsed.data;
      if (!data[mode].organisations.some((o) => o.id === organisationId)) {
        sendJson(res, 404, { message: `no ${mode} organisation ${organisationId}` });
        return;
      }
      sendJson(res, 201, addPatient(mode, organisationId, { position: where }));
    });
    control.delete('/__sandbox/heim/patients/:id', ({ res, params, query }) => {
      const mode = modeOf(query.get('mode') ?? 'test');
      if (!mode) {
        sendJson(res, 400, { message: 'expected ?mode=test|live' });
        return;
      }
      if (removePatient(mode, params.id)) res.writeHead(204).end();
      else sendJson(res, 404, { message: `no ${mode} patient ${params.id}` });
    });
    control.get('/__sandbox/heim/requests', ({ res }) => sendJson(res, 200, { requests: records }));
    control.delete('/__sandbox/heim/requests', ({ res }) => {
      records = [];
      res.writeHead(204).end();
    });
  };

  return {
    credentials: keys,
    get options() {
      return { ...options, statuses: [...options.statuses] };
    },
    configure,
    data: (mode) => structuredClone(data[mode]),
    counts,
    addPatient,
    removePatient,
    requests: () => records.map((r) => ({ ...r, query: { ...r.query } })),
    clearRequests: () => {
      records = [];
    },
    state,
    registerControl,
  };
}

function modeOf(v: string): HeimMode | undefined {
  return v === 'test' || v === 'live' ? v : undefined;
}

/** Reads an integer query parameter, adding an issue (zod's codes and wording) when it is not valid. */
function intParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number | undefined,
  issues: HeimIssue[],
): number {
  const values = query.getAll(name);
  if (values.length === 0) return fallback;
  if (values.length > 1) {
    issues.push({ code: 'invalid_type', message: 'Expected a single value', path: [name] });
    return fallback;
  }
  const raw = values[0].trim();
  if (!/^-?\d+$/.test(raw)) {
    issues.push({
      code: 'invalid_type',
      message: `Expected integer, received ${JSON.stringify(values[0].slice(0, 40))}`,
      path: [name],
    });
    return fallback;
  }
  const n = Number(raw);
  if (n < min) {
    issues.push({
      code: 'too_small',
      message: `Number must be greater than or equal to ${min}`,
      path: [name],
    });
    return fallback;
  }
  if (max !== undefined && n > max) {
    issues.push({ code: 'too_big', message: `Number must be less than or equal to ${max}`, path: [name] });
    return fallback;
  }
  return n;
}

/** Waits `ms`; resolves false as soon as the client goes away. */
function waitUnlessClosed(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const done = (): void => {
      clearTimeout(timer);
      res.off('close', done);
      resolve(!res.destroyed);
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
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
