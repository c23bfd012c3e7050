/**
 * IMO as document 000 describes it: the OAuth2 client-credentials token endpoint with its
 * 415 / 401 / 403 errors, and the Normalize `GET /precision/normalize/session` first call, guarded
 * by `Authorization: Bearer <token>`. Tokens are random and opaque, expire after
 * `tokenTtlSeconds`, and can be revoked all at once (to exercise the client's 401 → refresh path).
 *
 * Error bodies follow the OAuth2 / Auth0 shape `{error, error_description}` on the token endpoint
 * and `{error, message}` elsewhere, each with a `request_id` and an `x-request-id` header.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type SandboxApp, bearerToken, isJsonContentType, readBody, sendError, sendJson } from '../app';
import type { RouteRequest } from '../router';

/** The only audience IMO accepts (document 000). */
export const IMO_AUDIENCE = 'https://api.imohealth.com';

export const IMO_DEFAULT_CLIENT_ID = 'sandbox-client-id';
export const IMO_DEFAULT_CLIENT_SECRET = 'sandbox-client-secret-0000';

/** Issued access tokens and their expiry. Other IMO services (Download, Crosswalks) check against it. */
export class ImoTokenStore {
  private readonly tokens = new Map<string, number>();
  /** Tokens issued since the last reset. */
  issued = 0;

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number,
  ) {}

  issue(): { token: string; expiresIn: number } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now() + this.ttlSeconds * 1000);
    this.issued += 1;
    return { token, expiresIn: this.ttlSeconds };
  }

  check(token: string | undefined): 'valid' | 'expired' | 'unknown' {
    if (token === undefined) return 'unknown';
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined) return 'unknown';
    return this.now() < expiresAt ? 'valid' : 'expired';
  }

  revokeAll(): void {
    this.tokens.clear();
  }

  get active(): number {
    let n = 0;
    for (const expiresAt of this.tokens.values()) if (this.now() < expiresAt) n++;
    return n;
  }
}

/** What other service modules need from IMO auth. */
export interface ImoService {
  readonly tokens: ImoTokenStore;
  /**
   * Checks `Authorization: Bearer <valid token>`. Returns true when the request may proceed;
   * otherwise it has already answered 401.
   */
  requireBearer(r: RouteRequest): boolean;
}

export function registerImo(app: SandboxApp): ImoService {
  const clientId = app.env.IMO_CLIENT_ID || IMO_DEFAULT_CLIENT_ID;
  const clientSecret = app.env.IMO_CLIENT_SECRET || IMO_DEFAULT_CLIENT_SECRET;
  const audience = app.env.IMO_AUDIENCE || IMO_AUDIENCE;
  app.credentials.IMO_CLIENT_ID = clientId;
  app.credentials.IMO_CLIENT_SECRET = clientSecret;
  app.credentials.IMO_AUDIENCE = audience;

  const tokens = new ImoTokenStore(app.options.tokenTtlSeconds, () => app.now());
  let lastSessionId: string | undefined;
  let sessions = 0;

  app.onRevokeTokens(() => tokens.revokeAll());
  app.onReset(() => {
    tokens.revokeAll();
    tokens.issued = 0;
    lastSessionId = undefined;
    sessions = 0;
  });
  app.addState('imo', () => ({
    tokensIssued: tokens.issued,
    activeTokens: tokens.active,
    sessionsCreated: sessions,
    lastSessionId: lastSessionId ?? null,
  }));

  const requireBearer = (r: RouteRequest): boolean => {
    const token = bearerToken(r.req);
    const status = tokens.check(token);
    if (status === 'valid') return true;
    const description =
      token === undefined
        ? 'Missing bearer token in the Authorization header'
        : status === 'expired'
          ? 'The access token has expired'
          : 'The access token is invalid or has been revoked';
    sendError(
      r.res,
      401,
      { error: 'unauthorized', message: description },
      { 'www-authenticate': `Bearer error="invalid_token"` },
    );
    return false;
  };

  app.router.post('/oauth/token', async (r) => {
    // 415: "You are not sending the body as valid JSON."
    const raw = await readBody(r.req);
    let body: unknown;
    if (isJsonContentType(r.req)) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      sendError(r.res, 415, {
        error: 'unsupported_media_type',
        error_description: 'The request body must be a JSON object sent with Content-Type: application/json',
      });
      return;
    }
    const b = body as Record<string, unknown>;
    if (b.grant_type !== 'client_credentials') {
      sendError(r.res, 400, {
        error: b.grant_type === undefined ? 'invalid_request' : 'unsupported_grant_type',
        error_description:
          b.grant_type === undefined
            ? 'Missing required parameter: grant_type'
            : 'Unsupported grant type: only client_credentials is allowed',
      });
      return;
    }
    // 401: "Your Consumer key or Secret is copied incorrectly."
    if (b.client_id !== clientId || b.client_secret !== clientSecret) {
      sendError(r.res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
      return;
    }
    // 403: "The Audience field is missing or incorrect."
    if (b.audience !== audience) {
      sendError(r.res, 403, {
        error: 'access_denied',
        error_description:
          b.audience === undefined ? 'Missing audience parameter' : 'Service not enabled within domain',
      });
      return;
    }
    const { token, expiresIn } = tokens.issue();
    sendJson(
      r.res,
      200,
      {
        access_token: token,
        expires_in: expiresIn,
        token_type: 'Bearer',
        scope: 'normalize download crosswalks',
      },
      { 'cache-control': 'no-store', pragma: 'no-cache' },
    );
  });

  app.router.get('/precision/normalize/session', (r) => {
    if (!requireBearer(r)) return;
    lastSessionId = randomUUID();
    sessions += 1;
    sendJson(r.res, 200, { session_id: lastSessionId });
  });

  return { tokens, requireBearer };
}
