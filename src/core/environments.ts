/**
 * Named environments per remote service (IMO, Codify, Heim). Each environment has its own base URL
 * and its own credentials; the settings hold the URLs, SecretStorage the credentials. Pure: the
 * VS Code side reads the raw setting values and hands them here.
 */

/** One environment of one service, as configured in `clinicalCoder.<service>.environments`. */
export interface EnvironmentConfig {
  /** Environment name, the key in the settings object (e.g. "production", "development", "local"). */
  name: string;
  /** Base URL without a trailing slash; empty when not configured yet (Codify URLs are per client). */
  baseUrl: string;
  /** OAuth audience (IMO only). */
  audience?: string;
  /** True when this environment reaches real patient data; shown plainly in the UI. */
  production: boolean;
}

/** The audience IMO's token endpoint expects (document 000). */
export const IMO_DEFAULT_AUDIENCE = 'https://api.imohealth.com';

/** Names treated as production when the setting does not say `production` explicitly. */
const PRODUCTION_NAME = /^(prod|production|live)$/i;

/**
 * Turns the raw settings object into a sorted list of environments. Entries that are not objects,
 * or whose baseUrl is not an http(s) URL (or empty), are reported in `problems` and left out, so a
 * typo in settings.json never sends a credential to a wrong host.
 */
export function parseEnvironments(raw: unknown): { environments: EnvironmentConfig[]; problems: string[] } {
  const environments: EnvironmentConfig[] = [];
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { environments, problems: raw === undefined ? [] : ['the setting is not an object'] };
  }
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!name.trim()) {
      problems.push('an environment has an empty name');
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`environment "${name}" is not an object`);
      continue;
    }
    const v = value as Record<string, unknown>;
    const baseUrl = typeof v.baseUrl === 'string' ? v.baseUrl.trim().replace(/\/+$/, '') : '';
    if (baseUrl && !isHttpUrl(baseUrl)) {
      problems.push(`environment "${name}" has a baseUrl that is not an http(s) URL`);
      continue;
    }
    environments.push({
      name,
      baseUrl,
      audience: typeof v.audience === 'string' && v.audience.trim() ? v.audience.trim() : undefined,
      production: typeof v.production === 'boolean' ? v.production : PRODUCTION_NAME.test(name),
    });
  }
  environments.sort((a, b) => a.name.localeCompare(b.name));
  return { environments, problems };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

/**
 * Picks the active environment: the named one when it exists, otherwise undefined (the caller
 * says which name is missing rather than silently using another environment's credentials).
 */
export function findEnvironment(
  environments: EnvironmentConfig[],
  name: string,
): EnvironmentConfig | undefined {
  return environments.find((e) => e.name === name);
}

/** Heim key modes (document 004): `test_` keys reach test mode, `live_` keys live mode. */
export type HeimMode = 'test' | 'live';

/** The mode of a Heim API key, or undefined when the key has neither documented prefix. */
export function heimModeOf(key: string): HeimMode | undefined {
  if (/^test_\S+$/.test(key)) return 'test';
  if (/^live_\S+$/.test(key)) return 'live';
  return undefined;
}

/** Validation message for a Heim key typed by a coder, or undefined when it is acceptable. */
export function validateHeimKey(key: string): string | undefined {
  const k = key.trim();
  if (!k) return 'Enter the Heim API key.';
  if (/\s/.test(k)) return 'A Heim API key has no spaces.';
  if (!heimModeOf(k)) return 'Heim API keys start with "test_" (test mode) or "live_" (live mode).';
  return undefined;
}

/** Validation for a pasted credential (client id, secret, token): trimmed, non-empty, no spaces inside. */
export function validateCredential(label: string, value: string): string | undefined {
  const v = value.trim();
  if (!v) return `Enter the ${label}.`;
  if (/\s/.test(v)) return `The ${label} has no spaces: check that it was copied whole.`;
  return undefined;
}
