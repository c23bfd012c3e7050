/**
 * Heim API (document 004), read-only: organisations → patients → appointments → tasks.
 *
 * Document 004 shows only `GET /v1/organisations`, the `Authorization: <key>` header (no `Bearer`;
 * `test_` keys for test mode, `live_` keys for live mode), the error envelope `{error: {message,
 * traceRequestId, issues: [{code, message, path}]}}` and list answers `{object: "list", url, data,
 * traceRequestId, totalCount}` paged with `limit`/`offset`. The other paths and their filter
 * parameters are INFERRED from the document's REST conventions, not documented:
 * `GET /v1/organisations/{id}`, `GET /v1/patients?organisationId=`, `GET /v1/patients/{id}`,
 * `GET /v1/appointments?patientId=`, `GET /v1/appointments/{id}`, `GET /v1/tasks?appointmentId=`,
 * `GET /v1/tasks/{id}`.
 *
 * The client takes an {@link HttpClient} built with `auth: {scheme: 'raw', getToken}` (the key is the
 * whole `Authorization` value). Every method rejects with exactly one `ApiError`: the envelope's
 * message is its `serverMessage`, `traceRequestId` its `traceId`, and `issues[]` its `issues` (mapped
 * by the HTTP client for any service using the envelope); 401 `unauthorized`, 403 `forbidden`, 404
 * `notFound` (an unknown id or parent), 400 and 402 `badRequest`, 5xx `server` after retries, a body
 * that is not JSON or of the wrong shape `invalidResponse`, `cancelled` when `signal` fires. A
 * `limit` that is not an integer ≥ 1, an `offset` that is not an integer ≥ 0, or an empty id is a
 * programming error: a `RangeError` before any request. A `limit` above the server's maximum is left
 * to the server to refuse (400 with an issue at `["limit"]`).
 *
 * PHI: ids of patients, appointments and tasks (and the organisation an identified patient belongs
 * to) are patient-related. They travel in paths and query strings, so logs and error messages show
 * the path with placeholders (`/v1/patients/{id}`) and never the query (the HTTP client logs neither
 * query strings nor bodies).
 *
 * Objects are checked loosely: `id` and `object` are required, the fields the extension reads are
 * typed when present (`null` read as absent), anything else passes through untouched (task `data` is
 * whatever the server recorded).
 */
import * as z from 'zod/mini';
import { type OffsetPage, toNumberedPage as offsetToNumberedPage } from '../core/offsetPaging';
import type { Page } from '../core/paging';
import type { HttpClient, QueryValue } from './http';

/** Fields every Heim object has. Anything else the server sends is kept. */
export interface HeimObject {
  id: string;
  object: string;
  createdAt?: string;
  updatedAt?: string;
  metadata?: Record<string, unknown>;
  [field: string]: unknown;
}
export interface Organisation extends HeimObject {
  name: string;
  status?: string;
}
export interface Patient extends HeimObject {
  givenName?: string;
  familyName?: string;
  dateOfBirth?: string;
  nhsNumber?: string;
  organisationId?: string;
}
export interface Appointment extends HeimObject {
  patientId?: string;
  status?: string;
  windowStart?: string;
  windowEnd?: string;
}
export interface Task extends HeimObject {
  appointmentId?: string;
  type?: string;
  status?: string;
  completedAt?: string;
  outcome?: Record<string, unknown>;
  data?: unknown;
}

/** Paging of a list request; omitted values are {@link HEIM_DEFAULT_LIMIT} and 0. */
export interface HeimPageQuery {
  limit?: number;
  offset?: number;
}

/**
 * One page of a list. `offset` and `limit` are the values the request was sent with (the answer does
 * not repeat them); `totalCount` is the server's count of the whole list at the time of the answer.
 */
export interface HeimPage<T> {
  items: T[];
  totalCount: number;
  offset: number;
  limit: number;
  traceRequestId?: string;
}

/** Path prefix of the API. */
export const HEIM_API_PREFIX = '/v1';
/** The list paths (only the first is documented; see the module comment). */
export const HEIM_PATHS = {
  organisations: `${HEIM_API_PREFIX}/organisations`,
  patients: `${HEIM_API_PREFIX}/patients`,
  appointments: `${HEIM_API_PREFIX}/appointments`,
  tasks: `${HEIM_API_PREFIX}/tasks`,
} as const;

/**
 * The page size sent when none is given. Always sent explicitly: the answer does not say which
 * size the server used, and the paging arithmetic needs it.
 */
export const HEIM_DEFAULT_LIMIT = 10;
/** Largest page the sandbox serves (document 004 gives no maximum); callers that load all use it. */
export const HEIM_MAX_LIMIT = 100;

// ---------------------------------------------------------------------------------------------
// Schemas

/** Optional, with `null` read as absent. */
function optionalNullable<T extends z.ZodMiniType>(schema: T) {
  return z.optional(
    z.pipe(
      z.nullable(schema),
      z.transform((v): z.output<T> | undefined => v ?? undefined),
    ),
  );
}
const optionalText = () => optionalNullable(z.string());

const base = {
  id: z.string().check(z.minLength(1)),
  object: z.string(),
  createdAt: optionalText(),
  updatedAt: optionalText(),
  metadata: optionalNullable(z.record(z.string(), z.unknown())),
};

const organisationSchema = z.looseObject({ ...base, name: z.string(), status: optionalText() });
const patientSchema = z.looseObject({
  ...base,
  givenName: optionalText(),
  familyName: optionalText(),
  dateOfBirth: optionalText(),
  nhsNumber: optionalText(),
  organisationId: optionalText(),
});
const appointmentSchema = z.looseObject({
  ...base,
  patientId: optionalText(),
  status: optionalText(),
  windowStart: optionalText(),
  windowEnd: optionalText(),
});
const taskSchema = z.looseObject({
  ...base,
  appointmentId: optionalText(),
  type: optionalText(),
  status: optionalText(),
  completedAt: optionalText(),
  outcome: optionalNullable(z.record(z.string(), z.unknown())),
  data: z.optional(z.unknown()),
});

function listSchema<T extends z.ZodMiniType>(item: T) {
  return z.looseObject({
    object: z.optional(z.string()),
    url: z.optional(z.string()),
    data: z.array(item),
    traceRequestId: optionalText(),
    totalCount: z.number().check(z.int(), z.minimum(0)),
  });
}

const organisationListSchema = listSchema(organisationSchema);
const patientListSchema = listSchema(patientSchema);
const appointmentListSchema = listSchema(appointmentSchema);
const taskListSchema = listSchema(taskSchema);

// ---------------------------------------------------------------------------------------------
// Paths and queries

/** Paths as they appear in logs and errors: identifiers replaced by placeholders. */
const LOG = {
  organisation: `${HEIM_PATHS.organisations}/{id}`,
  patient: `${HEIM_PATHS.patients}/{id}`,
  appointment: `${HEIM_PATHS.appointments}/{id}`,
  task: `${HEIM_PATHS.tasks}/{id}`,
} as const;

function objectPath(list: string, id: string): string {
  if (typeof id !== 'string' || id === '') throw new RangeError('a Heim id must be a non-empty string');
  return `${list}/${encodeURIComponent(id)}`;
}

function checkParent(name: string, id: string): string {
  if (typeof id !== 'string' || id === '') throw new RangeError(`${name} must be a non-empty string`);
  return id;
}

/** The `limit`/`offset` sent, with defaults applied (both are always sent). */
function paging(q: HeimPageQuery | undefined): { limit: number; offset: number } {
  const limit = q?.limit ?? HEIM_DEFAULT_LIMIT;
  const offset = q?.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new RangeError(`offset must be an integer >= 0, got ${offset}`);
  return { limit, offset };
}

// ---------------------------------------------------------------------------------------------
// The client

/** Typed, read-only client of the Heim API. See the module comment for errors and PHI rules. */
export class HeimClient {
  /** @param http a client with `service: 'Heim'` and `auth: {scheme: 'raw', getToken}` (the API key). */
  constructor(private readonly http: HttpClient) {}

  /** One page of the organisations the key can see. */
  async organisations(q?: HeimPageQuery, signal?: AbortSignal): Promise<HeimPage<Organisation>> {
    return this.list(HEIM_PATHS.organisations, {}, q, organisationListSchema, signal);
  }

  async organisation(id: string, signal?: AbortSignal): Promise<Organisation> {
    return this.get(HEIM_PATHS.organisations, LOG.organisation, id, organisationSchema, signal);
  }

  /** One page of an organisation's patients (newest first in the sandbox). 404 for an unknown organisation. */
  async patients(
    organisationId: string,
    q?: HeimPageQuery,
    signal?: AbortSignal,
  ): Promise<HeimPage<Patient>> {
    const filter = { organisationId: checkParent('organisationId', organisationId) };
    return this.list(HEIM_PATHS.patients, filter, q, patientListSchema, signal);
  }

  async patient(id: string, signal?: AbortSignal): Promise<Patient> {
    return this.get(HEIM_PATHS.patients, LOG.patient, id, patientSchema, signal);
  }

  /** One page of a patient's appointments. 404 for an unknown patient. */
  async appointments(
    patientId: string,
    q?: HeimPageQuery,
    signal?: AbortSignal,
  ): Promise<HeimPage<Appointment>> {
    const filter = { patientId: checkParent('patientId', patientId) };
    return this.list(HEIM_PATHS.appointments, filter, q, appointmentListSchema, signal);
  }

  async appointment(id: string, signal?: AbortSignal): Promise<Appointment> {
    return this.get(HEIM_PATHS.appointments, LOG.appointment, id, appointmentSchema, signal);
  }

  /** One page of an appointment's tasks. 404 for an unknown appointment. */
  async tasks(appointmentId: string, q?: HeimPageQuery, signal?: AbortSignal): Promise<HeimPage<Task>> {
    const filter = { appointmentId: checkParent('appointmentId', appointmentId) };
    return this.list(HEIM_PATHS.tasks, filter, q, taskListSchema, signal);
  }

  async task(id: string, signal?: AbortSignal): Promise<Task> {
    return this.get(HEIM_PATHS.tasks, LOG.task, id, taskSchema, signal);
  }

  private async list<T extends HeimObject>(
    path: string,
    filter: Record<string, QueryValue>,
    q: HeimPageQuery | undefined,
    schema: z.ZodMiniType<{ data: T[]; totalCount: number; traceRequestId?: string }>,
    signal: AbortSignal | undefined,
  ): Promise<HeimPage<T>> {
    const { limit, offset } = paging(q);
    const body = await this.http.request({
      method: 'GET',
      path,
      // the path has no identifier; the query (which may) is never logged
      logPath: path,
      query: { ...filter, limit, offset },
      schema,
      signal,
    });
    return {
      items: body.data,
      totalCount: body.totalCount,
      offset,
      limit,
      ...(body.traceRequestId !== undefined ? { traceRequestId: body.traceRequestId } : {}),
    };
  }

  private get<T extends HeimObject>(
    list: string,
    logPath: string,
    id: string,
    schema: z.ZodMiniType<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return this.http.request({ method: 'GET', path: objectPath(list, id), logPath, schema, signal });
  }
}

/**
 * Turns an offset page into the page-number {@link Page} of `core/paging.ts` (for `Pager`/`loadAll`):
 * page `⌊offset / limit⌋ + 1` of `limit` items, `total = totalCount`. Ask for offsets that are
 * multiples of the limit (`offsetOfPage` of `core/offsetPaging.ts`); another offset is a RangeError.
 */
export function toNumberedPage<T>(p: HeimPage<T>): Page<T> {
  const page: OffsetPage<T> = p;
  return offsetToNumberedPage(page);
}
