/**
 * A tiny router: each service module (`services/imo.ts`, later download, crosswalks, codify,
 * heim) registers its routes here. Patterns are exact paths whose segments may be `:name`
 * parameters (`/download/products/:productId/versions`). No framework on purpose: the sandbox must
 * behave byte for byte as we say, and stay small enough to read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route handler receives. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Upper-case HTTP method. */
  method: string;
  /** Path without the query string, percent-decoding left to the handler. */
  path: string;
  query: URLSearchParams;
  /** Values of the `:name` segments of the matched pattern (already percent-decoded). */
  params: Record<string, string>;
}

export type RouteHandler = (r: RouteRequest) => void | Promise<void>;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: RouteHandler;
}

/** The outcome of {@link Router.match}. */
export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allow: string[] }
  | { kind: 'notFound' };

export class Router {
  private readonly routes: Route[] = [];

  /** Registers `handler` for `method` + `pattern`. Registering the same pair twice is a bug. */
  add(method: string, pattern: string, handler: RouteHandler): this {
    const m = method.toUpperCase();
    if (this.routes.some((r) => r.method === m && r.pattern === pattern)) {
      throw new Error(`route registered twice: ${m} ${pattern}`);
    }
    this.routes.push({ method: m, pattern, segments: split(pattern), handler });
    return this;
  }

  get(pattern: string, handler: RouteHandler): this {
    return this.add('GET', pattern, handler);
  }

  post(pattern: string, handler: RouteHandler): this {
    return this.add('POST', pattern, handler);
  }

  put(pattern: string, handler: RouteHandler): this {
    return this.add('PUT', pattern, handler);
  }

  patch(pattern: string, handler: RouteHandler): this {
    return this.add('PATCH', pattern, handler);
  }

  delete(pattern: string, handler: RouteHandler): this {
    return this.add('DELETE', pattern, handler);
  }

  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method.toUpperCase()) return { kind: 'found', handler: route.handler, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { kind: 'methodNotAllowed', allow } : { kind: 'notFound' };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    const a = actual[i];
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(a);
      } catch {
        return undefined;
      }
    } else if (p !== a) {
      return undefined;
    }
  }
  return params;
}
