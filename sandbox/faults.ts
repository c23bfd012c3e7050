/**
 * Fault switches: a test (in this process, or in the VS Code extension host through
 * `POST /__sandbox/faults`) says "the next N `GET /x` answer 503", "rate-limit this path with a
 * Retry-After date", "cut the connection mid-body", and so on. Faults match on method + path
 * (exact, or prefix with `prefix: true`), are consulted in the order they were added, and each
 * match uses up one of its `times` (unlimited when omitted).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { newRequestId, sendJson } from './app';

const common = {
  /** HTTP method to match; omitted or `*` = any. */
  method: z.string().min(1).optional(),
  /** Path to match (no query string). */
  path: z.string().startsWith('/'),
  /** Match every path that starts with `path`. */
  prefix: z.boolean().optional(),
  /** How many matching requests this fault applies to; omitted = until cleared. */
  times: z.number().int().positive().optional(),
};

const statusFault = z.object({
  ...common,
  type: z.literal('status'),
  status: z.number().int().min(300).max(599),
  /** Body to send: a string is sent as-is (text/plain), anything else as JSON. Default: a JSON error. */
  body: z.unknown().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Put this `traceRequestId` in the default body. */
  traceRequestId: z.string().optional(),
  /** Use this `request_id` (body and `x-request-id`) instead of a random one. */
  requestId: z.string().optional(),
});

const rateLimitFault = z.object({
  ...common,
  type: z.literal('rateLimit'),
  /** Seconds the client must wait (default 1). */
  retryAfterSeconds: z.number().nonnegative().optional(),
  /** How Retry-After is written: delta seconds (default) or an HTTP date. */
  retryAfterFormat: z.enum(['seconds', 'date']).optional(),
  /** Send this exact Retry-After value instead (e.g. a fixed HTTP date, or garbage). */
  retryAfter: z.string().optional(),
  /** Send the 429 without any Retry-After header. */
  omitRetryAfter: z.boolean().optional(),
});

const delayFault = z.object({
  ...common,
  type: z.literal('delay'),
  /** Wait this long, then handle the request normally. */
  ms: z.number().int().nonnegative(),
});

const cutFault = z.object({
  ...common,
  type: z.literal('cut'),
  /** Status line to send before cutting (default 200). */
  status: z.number().int().min(100).max(599).optional(),
  /** Bytes of body to send before destroying the socket (default 10). */
  bytes: z.number().int().nonnegative().optional(),
});

const malformedFault = z.object({
  ...common,
  type: z.literal('malformed'),
  /** `notJson` (default): 200 with a JSON content type and a non-JSON body; `wrongShape`: valid JSON of the wrong shape. */
  variant: z.enum(['notJson', 'wrongShape']).optional(),
  /** Overrides the body sent (raw text). */
  raw: z.string().optional(),
});

/** One fault as posted to `POST /__sandbox/faults` or given to {@link FaultStore.add}. */
export const faultSpecSchema = z.discriminatedUnion('type', [
  statusFault,
  rateLimitFault,
  delayFault,
  cutFault,
  malformedFault,
]);
export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** A registered fault: its spec, id and how many uses remain (`Infinity` when unlimited). */
export interface ActiveFault {
  readonly id: number;
  readonly spec: FaultSpec;
  remaining: number;
}

/** The fault switches of one sandbox instance. */
export class FaultStore {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  /** Adds a fault (validated) and returns its id. */
  add(spec: FaultSpec): number {
    const parsed = faultSpecSchema.parse(spec);
    const fault: ActiveFault = { id: this.nextId++, spec: parsed, remaining: parsed.times ?? Infinity };
    this.faults.push(fault);
    return fault.id;
  }

  /** Removes one fault, or all when no id is given. */
  clear(id?: number): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }

  list(): Array<FaultSpec & { id: number; remaining: number | null }> {
    return this.faults.map((f) => ({
      ...f.spec,
      id: f.id,
      remaining: Number.isFinite(f.remaining) ? f.remaining : null,
    }));
  }

  /** Finds the first fault matching this request and uses up one of its times. */
  take(method: string, path: string): FaultSpec | undefined {
    const m = method.toUpperCase();
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.spec.method === undefined || f.spec.method === '*' || f.spec.method.toUpperCase() === m) &&
        (f.spec.prefix ? path.startsWith(f.spec.path) : path === f.spec.path),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.spec;
  }
}

/**
 * Acts out a fault. Resolves `'handled'` when the response is finished (or the socket destroyed)
 * and `'continue'` when normal handling should follow (a `delay` fault).
 */
export async function applyFault(
  spec: FaultSpec,
  req: IncomingMessage,
  res: ServerResponse,
  now: () => number,
): Promise<'handled' | 'continue'> {
  switch (spec.type) {
    case 'delay':
      await waitOrClose(spec.ms, req);
      return res.destroyed || req.socket.destroyed ? 'handled' : 'continue';

    case 'status': {
      const requestId = spec.requestId ?? newRequestId();
      const headers = { 'x-request-id': requestId, ...(spec.headers ?? {}) };
      if (typeof spec.body === 'string') {
        res.writeHead(spec.status, {
          'content-type': 'text/plain; charset=utf-8',
          'content-length': Buffer.byteLength(spec.body),
          ...headers,
        });
        res.end(spec.body);
      } else {
        const body =
          spec.body !== undefined
            ? spec.body
            : {
                message: `Sandbox fault: HTTP ${spec.status}`,
                request_id: requestId,
                ...(spec.traceRequestId !== undefined ? { traceRequestId: spec.traceRequestId } : {}),
              };
        sendJson(res, spec.status, body, headers);
      }
      return 'handled';
    }

    case 'rateLimit': {
      const seconds = spec.retryAfterSeconds ?? 1;
      const headers: Record<string, string> = { 'x-request-id': newRequestId() };
      if (!spec.omitRetryAfter) {
        headers['retry-after'] =
          spec.retryAfter ??
          (spec.retryAfterFormat === 'date'
            ? // HTTP dates have 1 s resolution: round up so the client never waits less than asked.
              new Date(Math.ceil((now() + seconds * 1000) / 1000) * 1000).toUTCString()
            : String(seconds));
      }
      sendJson(
        res,
        429,
        { message: 'Too many requests: rate limit exceeded', request_id: headers['x-request-id'] },
        headers,
      );
      return 'handled';
    }

    case 'cut': {
      const full = JSON.stringify({ message: 'this body never arrives whole', padding: 'x'.repeat(256) });
      const sent = full.slice(0, Math.min(spec.bytes ?? 10, full.length - 1));
      res.writeHead(spec.status ?? 200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(full),
      });
      res.write(sent, () => {
        // after the partial body is flushed, drop the connection
        res.socket?.destroy();
        res.destroy();
      });
      return 'handled';
    }

    case 'malformed': {
      const body =
        spec.raw ??
        (spec.variant === 'wrongShape'
          ? JSON.stringify({ unexpected: true, items: 'not-a-list' })
          : '<html><body>502 Bad Gateway</body></html>');
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return 'handled';
    }
  }
}

function waitOrClose(ms: number, req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      req.socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    req.socket.once('close', done);
  });
}
