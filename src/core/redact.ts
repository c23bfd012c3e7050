/**
 * The one redaction step every log line and every error message goes through (DESIGN.md §2,
 * "Secrets and PHI"). It is deliberately over-eager: masking a harmless value costs a little
 * debugging comfort, leaking a token or a note costs a breach.
 *
 * What is masked:
 * - `Authorization` header values (any case, `Bearer …` or a raw key) and bearer tokens in text;
 * - fields named like secrets (client_secret, clientSecret, secret, password, token, access_token,
 *   apiKey, api_key, authorization, cookie…);
 * - note text (`medical_note`, `note`, `noteText`…) and doctor/patient identifiers
 *   (`x-doctor`, `x-patient`, `doctorId`, `patientId`…);
 * - Heim API keys (`test_…` / `live_…`) and JWT-looking strings wherever they appear;
 * - the query string (and any user:password) of every URL, because presigned URLs carry their
 *   signature there.
 */

/** What replaces a masked value. */
export const REDACTED = '<redacted>';

const MAX_DEPTH = 8;

/**
 * Whether an object key or header name holds a secret or PHI, judged on the key alone.
 * Matching ignores case, `-` and `_` (so `client_secret`, `clientSecret` and `Client-Secret` agree).
 */
export function isSensitiveKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_\s]/g, '');
  if (k === '') return false;
  if (k === 'authorization' || k === 'proxyauthorization' || k === 'cookie' || k === 'setcookie') return true;
  if (k.endsWith('token') || k.endsWith('tokens')) return true; // token, access_token, refreshToken…
  if (k.endsWith('secret') || k.includes('password') || k === 'passwd') return true;
  if (k.endsWith('apikey') || k === 'privatekey' || k === 'credentials') return true;
  if (k === 'bearer' || k === 'signature' || k === 'xamzsignature' || k === 'xamzsecuritytoken') return true;
  // note text (PHI): medical_note, note, notes, noteText, clinicalNote…
  if (/^(medical|clinical|patient)?notes?(text)?$/.test(k)) return true;
  // doctor / patient identifiers and records: x-doctor, x-patient, doctorId, patient_ids, patient…
  if (/^x?(doctor|patient)s?(id|ids)?$/.test(k)) return true;
  if (k === 'nhsnumber' || k === 'dateofbirth' || k === 'dob' || k === 'phonenumber') return true;
  return false;
}

/**
 * Removes the query string, fragment and any `user:password@` from one URL, keeping scheme, host
 * and path so a log still says which endpoint was called: `https://h/p?X-Amz-Signature=…` →
 * `https://h/p?<redacted>`. Text that does not parse as a URL is cut at its first `?` or `#`.
 */
export function redactUrl(url: string): string {
  const cut = (s: string): string => {
    const q = s.search(/[?#]/);
    if (q < 0) return s;
    return s.slice(0, q) + (s[q] === '?' ? `?${REDACTED}` : '');
  };
  let out = cut(url);
  // user:password@host
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, `$1${REDACTED}@`);
  return out;
}

/** `name: value` / `name=value` / `"name": "value"` pairs whose value is masked in free text. */
const SENSITIVE_PAIR =
  /(["']?)(client[_-]?secret|secret|password|passwd|(?:access|refresh|id)[_-]?token|token|api[_-]?key|x-api-key|medical[_-]?note|note[_-]?text|x-doctor|x-patient|doctor[_-]?id|patient[_-]?id)\1(\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,&;}\])]+)/gi;

/**
 * Masks secrets and PHI inside free text (an error message, a response body, a log line).
 * Idempotent: redacting twice gives the same text.
 */
export function redactText(text: string): string {
  let out = text;
  // 1. URLs: drop query strings (presigned URL signatures) and credentials.
  out = out.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+(?:<redacted>)?/gi, (m) => redactUrl(m));
  // 2. Authorization header values, whatever the scheme (Bearer, raw Heim key, Basic…).
  out = out.replace(
    /((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?!<redacted>)(?:(?:Bearer|Basic|Token|Digest|ApiKey)\s+)?[^\s"',;}]+/gi,
    (_m, head: string) => `${head}${REDACTED}`,
  );
  // 3. Bearer tokens anywhere. A token has a digit or punctuation, or is long: "bearer token" in
  //    prose is left alone.
  out = out.replace(
    /\b(Bearer\s+)(?!<redacted>)(?=[A-Za-z0-9\-._~+/]*[\d\-._~+/]|[A-Za-z]{20})[A-Za-z0-9\-._~+/]+=*/gi,
    (_m, head: string) => head + REDACTED,
  );
  // 4. secret / PHI fields written as pairs.
  out = out.replace(SENSITIVE_PAIR, (_m, q: string, name: string, sep: string, value: string) => {
    if (value === REDACTED || value === `"${REDACTED}"`) return `${q}${name}${q}${sep}${value}`;
    const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
    return `${q}${name}${q}${sep}${quote}${REDACTED}${quote}`;
  });
  // 5. JWTs (three base64url parts, the first one a JSON header).
  out = out.replace(/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED);
  // 6. Heim API keys: test_… / live_… (the mode prefix is kept, it is useful and not secret).
  out = out.replace(/\b(test|live)_(?!<redacted>)[A-Za-z0-9][A-Za-z0-9._-]{11,}/g, `$1_${REDACTED}`);
  return out;
}

/** A copy of a header map with sensitive values masked (names kept). */
export function redactHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name] = isSensitiveKey(name) ? REDACTED : redactText(String(value));
  }
  return out;
}

/**
 * Turns anything into a single log-safe string: strings are redacted as text; errors become
 * `Name: message` (plus `code` and a redacted `cause` chain, never the request config an HTTP
 * error drags along); objects and arrays become JSON with sensitive keys masked, cycles shown as
 * `"[Circular]"` and depth capped. Never throws.
 */
export function redact(value: unknown): string {
  try {
    if (typeof value === 'string') return redactText(value);
    if (value instanceof Error) return describeError(value, new WeakSet(), 0);
    const sanitized = sanitize(value, new WeakSet(), 0);
    if (typeof sanitized === 'string') return sanitized;
    return JSON.stringify(sanitized) ?? String(sanitized);
  } catch {
    return '[unprintable value]';
  }
}

function describeError(e: Error, seen: WeakSet<object>, depth: number): string {
  seen.add(e);
  let out = `${e.name || 'Error'}: ${redactText(String(e.message))}`;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out += ` [${redactText(String(code))}]`;
  const cause = (e as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 3) {
    if (typeof cause === 'object' && cause !== null && seen.has(cause)) out += ' (cause: [Circular])';
    else if (cause instanceof Error) out += ` (cause: ${describeError(cause, seen, depth + 1)})`;
    else out += ` (cause: ${redact(cause)})`;
  }
  return out;
}

function sanitize(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return redactText(value);
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    case 'symbol':
      return value.toString();
    case 'function':
      return '[Function]';
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  seen.add(obj);
  try {
    if (obj instanceof Error) return describeError(obj, seen, 0);
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof URL) return redactUrl(obj.href);
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${obj.byteLength} bytes]`;
    if (Array.isArray(obj)) return obj.map((v) => sanitize(v, seen, depth + 1));
    if (obj instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of obj)
        out[String(k)] = isSensitiveKey(String(k)) ? REDACTED : sanitize(v, seen, depth + 1);
      return out;
    }
    if (obj instanceof Set) return [...obj].map((v) => sanitize(v, seen, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      out[k] = isSensitiveKey(k) && v !== undefined && v !== null ? REDACTED : sanitize(v, seen, depth + 1);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
