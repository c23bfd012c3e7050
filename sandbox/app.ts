/**
 * What a sandbox service module receives when it registers itself, plus the small HTTP helpers
 * every service uses so error bodies look alike: a JSON body carrying `request_id`, and the same
 * id in an `x-request-id` header, like the real gateways.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Router } from './router';

/** The registration surface handed to each `services/*.ts` module. */
export interface SandboxApp {
  readonly router: Router;
  /** Demo credentials, `NAME=value`; services add theirs (printed by `npm run sandbox`). */
  readonly credentials: Record<string, string>;
  /** Environment to read credential overrides from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The sandbox clock, epoch ms (injectable so tests can expire tokens without sleeping). */
  now(): number;
  readonly options: { readonly tokenTtlSeconds: number };
  /** Called by `reset()` (clear all state) and `revokeTokens()`. */
  onReset(fn: () => void): void;
  onRevokeTokens(fn: () => void): void;
  /** Adds a section to `GET /__sandbox/state`. */
  addState(name: string, fn: () => unknown): void;
}

export function newRequestId(): string {
  return randomUUID();
}

/** Sends a JSON body with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Sends an error body `{...fields, request_id}` with an `x-request-id` header of the same value.
 * Returns the request id.
 */
export function sendError(
  res: ServerResponse,
  status: number,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
): string {
  const requestId = newRequestId();
  sendJson(res, status, { ...fields, request_id: requestId }, { 'x-request-id': requestId, ...headers });
  return requestId;
}

/** Reads the whole request body (at most `limit` bytes; more is a 413). */
export async function readBody(req: IncomingMessage, limit = 10 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export class BodyTooLargeError extends Error {
  constructor() {
    super('request body too large');
  }
}

/** Whether the request declares a JSON body (`application/json`, any parameters). */
export function isJsonContentType(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

/** `Authorization: Bearer <token>` → token; anything else → undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m ? m[1] : undefined;
}
