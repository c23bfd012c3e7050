/**
 * The sandbox: a local test double of the remote services (DESIGN.md §3). It listens on
 * 127.0.0.1 only, refuses any peer that is not loopback, and is built from service modules that
 * register routes into one {@link Router}. Tests drive it in-process (the returned
 * {@link Sandbox}) or over HTTP through `/__sandbox/*` (for tests running in another process, such
 * as the VS Code extension host).
 *
 * Control endpoints (never logged, never subject to faults):
 * - `POST /__sandbox/faults` — body: one fault spec or an array (see `faults.ts`) → `{ids}`
 * - `GET /__sandbox/faults`, `DELETE /__sandbox/faults`
 * - `GET /__sandbox/requests` → `{requests: [{method, path, status}]}`, `DELETE` clears it
 * - `POST /__sandbox/reset`, `POST /__sandbox/revoke-tokens`
 * - `GET /__sandbox/state` → per-service state (tokens issued, last session id…)
 * - per service: `/__sandbox/download/*` (services/download.ts), `/__sandbox/crosswalks/*`
 *   (services/crosswalks.ts), `/__sandbox/codify/*` (services/codify.ts), `/__sandbox/heim/*`
 *   (services/heim.ts)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { BodyTooLargeError, type SandboxApp, readBody, sendError, sendJson } from './app';
import { FaultStore, applyFault, faultSpecSchema } from './faults';
import { Router } from './router';
import { type CodifyControl, type CodifyOptions, registerCodify } from './services/codify';
import { type CrosswalksControl, type CrosswalksOptions, registerCrosswalks } from './services/crosswalks';
import { type DownloadControl, type DownloadOptions, registerDownload } from './services/download';
import { type HeimControl, type HeimOptions, registerHeim } from './services/heim';
import { registerImo } from './services/imo';

export interface SandboxOptions {
  /** Port to listen on; 0 or omitted = a free port. */
  port?: number;
  /** Lifetime of issued IMO access tokens, seconds (default 3600). */
  tokenTtlSeconds?: number;
  /** Do not print a line per request on stderr (default true). */
  quiet?: boolean;
  /** Clock, epoch ms (default `Date.now`). Lets tests expire tokens without sleeping. */
  now?: () => number;
  /** Where credential overrides are read from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Download API options: presigned URL lifetime and methods, ranges, rate limit, benchmark file. */
  download?: DownloadOptions;
  /** Crosswalks API options: rate limits (bucket, random 429s), persistence file. */
  crosswalks?: CrosswalksOptions;
  /** Codify options: slow answers, status sequences, malformed answers, data directory. */
  codify?: CodifyOptions;
  /** Heim options: slow answers, status sequences, forbidden keys, malformed answers, patient churn. */
  heim?: HeimOptions;
}

/** One request the sandbox received (control endpoints excluded). No header values, no query. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** Status sent; 0 while unanswered or when the client went away first. */
  status: number;
  /** Arrival time, epoch ms (wall clock, for measuring back-off). */
  at: number;
  /** The fault type that answered it, if any. */
  fault?: string;
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Demo credentials, e.g. IMO_CLIENT_ID, IMO_CLIENT_SECRET, IMO_AUDIENCE. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly faults: FaultStore;
  /** Requests in arrival order. The array is live: it grows as requests arrive. */
  readonly requests: readonly LoggedRequest[];
  /** Number of logged requests with this method and path. */
  count(method: string, path: string): number;
  clearRequests(): void;
  /** Per-service state, as `GET /__sandbox/state` returns it. */
  state(): Record<string, unknown>;
  /** Invalidates every issued token (clients will get 401 on their next call). */
  revokeTokens(): void;
  /** Clears faults, the request log, tokens and per-service state. */
  reset(): void;
  /** The Download service: its faults, run-time options and state (see services/download.ts). */
  readonly download: DownloadControl;
  /** The Crosswalks service: run-time options, state, UI actions (see services/crosswalks.ts). */
  readonly crosswalks: CrosswalksControl;
  /** The Codify service: run-time options, recorded requests (audit headers, never the note). */
  readonly codify: CodifyControl;
  /** The Heim service: keys, run-time options, its data per mode, recorded requests (services/heim.ts). */
  readonly heim: HeimControl;
  close(): Promise<void>;
}

/** Whether a socket peer address is loopback (IPv4 127/8, IPv6 ::1, or IPv4-mapped 127/8). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase();
  if (a === '::1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return /^127(\.\d{1,3}){3}$/.test(v4);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const now = opts.now ?? Date.now;
  const quiet = opts.quiet ?? true;
  const router = new Router();
  const faults = new FaultStore();
  const requests: LoggedRequest[] = [];
  const credentials: Record<string, string> = {};
  const resetHooks: Array<() => void> = [];
  const revokeHooks: Array<() => void> = [];
  const stateProviders = new Map<string, () => unknown>();

  const app: SandboxApp = {
    router,
    credentials,
    env: opts.env ?? process.env,
    now,
    options: { tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600 },
    onReset: (fn) => resetHooks.push(fn),
    onRevokeTokens: (fn) => revokeHooks.push(fn),
    addState: (name, fn) => {
      if (stateProviders.has(name)) throw new Error(`state section registered twice: ${name}`);
      stateProviders.set(name, fn);
    },
  };

  // Service modules.
  const imo = registerImo(app);
  const download = registerDownload(app, imo, opts.download);
  const crosswalks = registerCrosswalks(app, imo, opts.crosswalks);
  const codify = registerCodify(app, opts.codify);
  const heim = registerHeim(app, opts.heim);

  const state = (): Record<string, unknown> => {
    const out: Record<string, unknown> = { faults: faults.list().length, requests: requests.length };
    for (const [name, fn] of stateProviders) out[name] = fn();
    return out;
  };
  const revokeTokens = (): void => revokeHooks.forEach((fn) => fn());
  const reset = (): void => {
    faults.clear();
    requests.length = 0;
    resetHooks.forEach((fn) => fn());
  };

  const control = new Router();
  control.post('/__sandbox/faults', async ({ req, res }) => {
    const parsed = z.union([faultSpecSchema, z.array(faultSpecSchema)]).safeParse(await readJson(req));
    if (!parsed.success) {
      sendJson(res, 400, { message: 'invalid fault spec', issues: parsed.error.issues });
      return;
    }
    const specs = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
    sendJson(res, 201, { ids: specs.map((s) => faults.add(s)) });
  });
  control.get('/__sandbox/faults', ({ res }) => sendJson(res, 200, { faults: faults.list() }));
  control.delete('/__sandbox/faults', ({ res }) => {
    faults.clear();
    res.writeHead(204).end();
  });
  control.get('/__sandbox/requests', ({ res }) => sendJson(res, 200, { requests }));
  control.delete('/__sandbox/requests', ({ res }) => {
    requests.length = 0;
    res.writeHead(204).end();
  });
  control.post('/__sandbox/reset', ({ res }) => {
    reset();
    res.writeHead(204).end();
  });
  control.post('/__sandbox/revoke-tokens', ({ res }) => {
    revokeTokens();
    res.writeHead(204).end();
  });
  control.get('/__sandbox/state', ({ res }) => sendJson(res, 200, state()));
  download.registerControl(control);
  crosswalks.registerControl(control);
  codify.registerControl(control);
  heim.registerControl(control);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Defence in depth: we bind 127.0.0.1, but never answer anything that is not loopback.
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      res.writeHead(403, { connection: 'close' }).end();
      req.socket.destroy();
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;

    if (path.startsWith('/__sandbox/')) {
      await dispatch(control, method, path, url.searchParams, req, res);
      return;
    }

    const entry: LoggedRequest = { method, path, status: 0, at: Date.now() };
    requests.push(entry);
    const started = Date.now();
    res.on('finish', () => {
      entry.status = res.statusCode;
      if (!quiet)
        process.stderr.write(`[sandbox] ${method} ${path} ${res.statusCode} ${Date.now() - started}ms\n`);
    });
    res.on('close', () => {
      if (entry.status === 0 && res.headersSent) entry.status = res.statusCode;
    });

    const fault = faults.take(method, path);
    if (fault) {
      entry.fault = fault.type;
      if ((await applyFault(fault, req, res, now)) === 'handled') return;
    }
    await dispatch(router, method, path, url.searchParams, req, res);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof BodyTooLargeError) {
        sendError(res, 413, { error: 'payload_too_large', message: 'Request body too large' });
        return;
      }
      if (!quiet)
        process.stderr.write(`[sandbox] handler failed: ${e instanceof Error ? e.message : String(e)}\n`);
      if (!res.headersSent) sendError(res, 500, { error: 'internal', message: 'Sandbox handler failed' });
      else res.destroy();
    });
  });
  // Longer than any test idles, so keep-alive sockets are not closed under a client's feet.
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    credentials,
    faults,
    requests,
    count: (method, path) =>
      requests.filter((r) => r.method === method.toUpperCase() && r.path === path).length,
    clearRequests: () => {
      requests.length = 0;
    },
    state,
    revokeTokens,
    reset,
    download,
    crosswalks,
    codify,
    heim,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function dispatch(
  router: Router,
  method: string,
  path: string,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const m = router.match(method, path);
  if (m.kind === 'found') {
    await m.handler({ req, res, method, path, query, params: m.params });
  } else if (m.kind === 'methodNotAllowed') {
    sendError(
      res,
      405,
      { error: 'method_not_allowed', message: `${method} is not allowed on ${path}` },
      { allow: m.allow.join(', ') },
    );
  } else {
    sendError(res, 404, { error: 'not_found', message: `No route for ${method} ${path}` });
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = (await readBody(req)).toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
