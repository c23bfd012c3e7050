/**
 * The messages between the Codify panel's host (src/codify) and its webview (src/webview-ui), checked
 * at runtime on both sides: a message of an unknown type or shape is dropped (and logged by type
 * only, never with its content). The note, the doctor id and the patient id travel only from the
 * webview to the host; the token never enters the webview.
 *
 * Shared by the extension host and the browser bundle: zod/mini only, no Node or VS Code imports.
 */
import * as z from 'zod/mini';

/** Characters a note may have unless the setting says otherwise (the API documents no limit). */
export const DEFAULT_NOTE_LIMIT = 100_000;

const text = (max: number) => z.string().check(z.maxLength(max));
/** Identifiers typed by the coder (doctor, patient): short, one line. */
const identifier = () => z.optional(text(200));

// ---------------------------------------------------------------------------------------------
// Webview → host

export const webviewMessageSchema = z.discriminatedUnion('type', [
  /** The webview is loaded and listening: the host answers with `init`. */
  z.object({ type: z.literal('ready') }),
  /** Send the note. The host checks it again (length, emptiness) before any request. */
  z.object({
    type: z.literal('submit'),
    note: text(10_000_000),
    model: z.optional(text(200)),
    doctorId: identifier(),
    patientId: identifier(),
    /** Remember the doctor id in the settings (never the patient id). */
    rememberDoctor: z.optional(z.boolean()),
  }),
  /** Abort the request in flight. */
  z.object({ type: z.literal('cancel') }),
  /** Copy / insert / find crosswalks for some codes of the result (`codes` empty = all). */
  z.object({
    type: z.literal('action'),
    action: z.enum(['copy', 'insert', 'findCrosswalks']),
    codes: z.array(text(64)).check(z.maxLength(10_000)),
    /** `code` or `code — description`. */
    as: z.optional(z.enum(['code', 'codeDescription'])),
    /** Insert at the cursor (comma-separated) or as a list (one per line). */
    layout: z.optional(z.enum(['inline', 'list'])),
  }),
  /** Save the results as a file. */
  z.object({ type: z.literal('export'), format: z.enum(['csv', 'json']) }),
  z.object({ type: z.literal('copyRequestId'), requestId: text(500) }),
  /** The buttons of an error: set the URL or the token of the active environment. */
  z.object({ type: z.literal('fix'), fix: z.enum(['setToken', 'setUrl', 'switchEnvironment']) }),
]);
export type WebviewMessage = z.infer<typeof webviewMessageSchema>;

// ---------------------------------------------------------------------------------------------
// Host → webview

const environmentSchema = z.object({
  name: z.string(),
  /** Reaches real patient data. */
  production: z.boolean(),
  /** A base URL is set for it. */
  configured: z.boolean(),
  /** A token is stored for it. */
  hasToken: z.boolean(),
});
export type PanelEnvironment = z.infer<typeof environmentSchema>;

/** What the local code index says about a returned code. */
const indexInfoSchema = z.object({
  /** Code system label (`ICD-10-CM`), when the code reads as one. */
  system: z.optional(z.string()),
  /** The code in its canonical form (`E11.65`). */
  display: z.optional(z.string()),
  /** Title in the active release. */
  title: z.optional(z.string()),
  release: z.optional(z.string()),
  billable: z.optional(z.boolean()),
  status: z.enum(['valid', 'header', 'deleted', 'unknown', 'notLoaded', 'notACode']),
  /** Successor codes when deleted (conversion table). */
  successors: z.optional(z.array(z.string())),
  /** Why the index disagrees with the answer (title differs, not billable, deleted, unknown). */
  disagreement: z.optional(z.string()),
});
export type IndexInfo = z.infer<typeof indexInfoSchema>;

/** One returned assessment with the local index's view of its code. */
const assessmentSchema = z.object({
  code: z.string(),
  description: z.string(),
  /** Every other field of the assessment, as the server sent it (shown generically). */
  extra: z.record(z.string(), z.unknown()),
  index: indexInfoSchema,
});
export type EnrichedAssessment = z.infer<typeof assessmentSchema>;

export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    environment: environmentSchema,
    noteLimit: z.number(),
    defaultModel: z.string(),
    doctorId: z.optional(z.string()),
    /** Text to start with (the editor's selection or document), when the panel was opened so. */
    note: z.optional(z.string()),
    /** Where Insert puts codes: the editor the panel was opened from. */
    target: z.optional(z.string()),
  }),
  /** The environment or its credentials changed. */
  z.object({ type: z.literal('environment'), environment: environmentSchema }),
  /** A request started (`startedAt`: epoch ms, for the elapsed-time indicator) or ended. */
  z.object({ type: z.literal('busy'), busy: z.boolean(), startedAt: z.optional(z.number()) }),
  z.object({
    type: z.literal('result'),
    assessments: z.array(assessmentSchema),
    /** Names of the extra fields, in first-seen order (the table's extra columns). */
    extraFields: z.array(z.string()),
    /** Request ids the server returned (body or headers). */
    requestIds: z.array(z.string()),
    /** Top-level fields of the answer other than `final_code_assessments`. */
    answerFields: z.record(z.string(), z.unknown()),
    elapsedMs: z.number(),
  }),
  z.object({
    type: z.literal('error'),
    kind: z.enum([
      'emptyNote',
      'noteTooLong',
      'missingUrl',
      'missingToken',
      'unauthorized',
      'badRequest',
      'rateLimited',
      'server',
      'timeout',
      'network',
      'invalidResponse',
      'other',
    ]),
    message: z.string(),
    /** Offer Retry (the note is still in the form either way). */
    retry: z.boolean(),
    fix: z.optional(z.enum(['setToken', 'setUrl', 'switchEnvironment'])),
    requestId: z.optional(z.string()),
  }),
  /** The request was cancelled (by the coder). */
  z.object({ type: z.literal('cancelled') }),
  /** Feedback for an action (copied, inserted, exported). */
  z.object({ type: z.literal('notice'), message: z.string() }),
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;

/** A message from the webview, or `undefined` (with the reason) when it is not one. */
export function parseWebviewMessage(
  raw: unknown,
): { ok: true; message: WebviewMessage } | { ok: false; type: string; reason: string } {
  const r = webviewMessageSchema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  return { ok: false, type: typeOf(raw), reason: r.error.issues[0]?.message ?? 'invalid' };
}

/** A message from the host, or `undefined` (with the reason) when it is not one. */
export function parseHostMessage(
  raw: unknown,
): { ok: true; message: HostMessage } | { ok: false; type: string; reason: string } {
  const r = hostMessageSchema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  return { ok: false, type: typeOf(raw), reason: r.error.issues[0]?.message ?? 'invalid' };
}

/** The `type` of a message for a log line: a short identifier or `(none)`, never content. */
function typeOf(raw: unknown): string {
  const t = raw !== null && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
  return typeof t === 'string' && /^[A-Za-z]{1,32}$/.test(t) ? t : '(none)';
}
