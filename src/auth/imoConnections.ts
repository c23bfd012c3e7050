import * as vscode from 'vscode';
import { Commands, Settings } from '../constants';
import { IMO_DEFAULT_AUDIENCE, type EnvironmentConfig } from '../core/environments';
import { ImoAuth, type CachedToken, type ImoCredentials } from '../api/imoAuth';
import { NormalizeClient, createImoApiClient } from '../api/normalize';
import type { HttpClient } from '../api/http';
import { UserError } from '../platform/commands';
import type { Logger } from '../platform/log';
import type { SecretStore } from '../platform/secrets';
import type { SettingsStore } from '../platform/settings';

/** The token cached in SecretStorage, bound to the host and audience it was issued for. */
interface StoredToken extends CachedToken {
  baseUrl: string;
  audience: string;
}

/** Clients of one IMO environment, sharing one token provider. */
export interface ImoEnvironmentClients {
  environment: EnvironmentConfig;
  auth: ImoAuth;
  /** Authenticated client for IMO APIs (Download, Crosswalks, Normalize) of this environment. */
  api: HttpClient;
  normalize: NormalizeClient;
}

/**
 * IMO sign-in state per environment. Each environment gets its own {@link ImoAuth}, reading that
 * environment's credentials from SecretStorage, so switching environments switches credentials
 * and never reuses a token issued for another host.
 */
export class ImoConnections {
  private readonly clients = new Map<string, ImoEnvironmentClients>();

  constructor(
    private readonly deps: {
      settings: SettingsStore;
      secrets: SecretStore;
      log: Logger;
      userAgent: string;
    },
  ) {}

  /** Clients of the active environment; a UserError with a fix when it is not configured. */
  active(): ImoEnvironmentClients {
    const active = this.deps.settings.activeEnvironment('imo');
    if (!active.ok) {
      throw new UserError(`The IMO environment is not set up: ${active.reason}.`, [
        {
          title: 'Switch Environment',
          run: () => vscode.commands.executeCommand(Commands.switchEnvironment, 'imo'),
        },
        { title: 'Open Settings', run: () => openSetting(`clinicalCoder.${Settings.environments('imo')}`) },
      ]);
    }
    const env = active.environment;
    if (!env.baseUrl) {
      throw new UserError(`The IMO environment "${env.name}" has no baseUrl.`, [
        { title: 'Open Settings', run: () => openSetting(`clinicalCoder.${Settings.environments('imo')}`) },
      ]);
    }
    const audience = env.audience ?? IMO_DEFAULT_AUDIENCE;
    const key = `${env.name}\n${env.baseUrl}\n${audience}`;
    let clients = this.clients.get(key);
    if (!clients) {
      clients = this.create(env, audience);
      // a changed baseUrl/audience gets fresh clients; drop the stale ones of that name
      for (const k of this.clients.keys()) if (k.startsWith(`${env.name}\n`)) this.clients.delete(k);
      this.clients.set(key, clients);
    }
    return clients;
  }

  /** True when the active environment has a stored client id and secret. */
  async isSignedIn(): Promise<boolean> {
    const active = this.deps.settings.activeEnvironment('imo');
    if (!active.ok) return false;
    const name = active.environment.name;
    const [id, secret] = await Promise.all([
      this.deps.secrets.get('imo', name, 'clientId'),
      this.deps.secrets.get('imo', name, 'clientSecret'),
    ]);
    return !!id && !!secret;
  }

  /**
   * Verifies the credentials by fetching a token, and only then stores them with that token.
   * A rejected secret throws and leaves whatever was stored before untouched.
   */
  async signIn(credentials: ImoCredentials, signal?: AbortSignal): Promise<void> {
    const { environment, auth } = this.active();
    const token = await auth.verify(credentials, signal);
    const name = environment.name;
    auth.invalidate();
    await this.deps.secrets.store('imo', name, 'clientId', credentials.clientId);
    await this.deps.secrets.store('imo', name, 'clientSecret', credentials.clientSecret);
    await this.saveToken(environment, token);
    this.deps.log.info(`Signed in to IMO (${name})`);
  }

  /** Removes the client id, secret and cached token of the active environment. */
  async signOut(): Promise<string> {
    const active = this.deps.settings.activeEnvironment('imo');
    const name = active.ok ? active.environment.name : active.name;
    for (const c of this.clients.values()) if (c.environment.name === name) c.auth.invalidate();
    await this.deps.secrets.delete('imo', name, 'clientId');
    await this.deps.secrets.delete('imo', name, 'clientSecret');
    await this.deps.secrets.delete('imo', name, 'accessToken');
    this.deps.log.info(`Signed out of IMO (${name})`);
    return name;
  }

  private create(environment: EnvironmentConfig, audience: string): ImoEnvironmentClients {
    const { secrets, log, userAgent } = this.deps;
    const name = environment.name;
    const auth = new ImoAuth({
      baseUrl: () => environment.baseUrl,
      audience: () => audience,
      userAgent,
      logger: log,
      getCredentials: async () => {
        const [clientId, clientSecret] = await Promise.all([
          secrets.get('imo', name, 'clientId'),
          secrets.get('imo', name, 'clientSecret'),
        ]);
        return clientId && clientSecret ? { clientId, clientSecret } : undefined;
      },
      tokenCache: {
        load: async () => {
          const raw = await secrets.get('imo', name, 'accessToken');
          const stored = raw ? parseStoredToken(raw) : undefined;
          // a token issued for another host or audience is never sent
          return stored && stored.baseUrl === environment.baseUrl && stored.audience === audience
            ? { accessToken: stored.accessToken, expiresAt: stored.expiresAt }
            : undefined;
        },
        save: async (token) => {
          if (token) await this.saveToken(environment, token, audience);
          else await secrets.delete('imo', name, 'accessToken');
        },
      },
    });
    const api = createImoApiClient({ auth, baseUrl: () => environment.baseUrl, userAgent, logger: log });
    return { environment, auth, api, normalize: new NormalizeClient(api) };
  }

  private async saveToken(env: EnvironmentConfig, token: CachedToken, audience?: string): Promise<void> {
    const stored: StoredToken = {
      accessToken: token.accessToken,
      expiresAt: token.expiresAt,
      baseUrl: env.baseUrl,
      audience: audience ?? env.audience ?? IMO_DEFAULT_AUDIENCE,
    };
    await this.deps.secrets.store('imo', env.name, 'accessToken', JSON.stringify(stored));
  }
}

function parseStoredToken(raw: string): StoredToken | undefined {
  try {
    const v = JSON.parse(raw) as Partial<StoredToken>;
    return typeof v.accessToken === 'string' &&
      typeof v.expiresAt === 'number' &&
      typeof v.baseUrl === 'string' &&
      typeof v.audience === 'string'
      ? (v as StoredToken)
      : undefined;
  } catch {
    return undefined;
  }
}

export function openSetting(id: string): Thenable<unknown> {
  return vscode.commands.executeCommand('workbench.action.openSettings', id);
}
