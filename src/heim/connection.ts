import * as vscode from 'vscode';
import { Commands, SERVICE_LABELS, Settings } from '../constants';
import { HeimClient } from '../api/heim';
import { createHttpClient } from '../api/http';
import type { EnvironmentConfig } from '../core/environments';
import { ApiError } from '../core/errors';
import { UserError } from '../platform/commands';
import type { Logger } from '../platform/log';
import type { SecretStore } from '../platform/secrets';
import type { SettingsStore } from '../platform/settings';

const SERVICE = SERVICE_LABELS.heim;

const openSetting = (id: string): Thenable<unknown> =>
  vscode.commands.executeCommand('workbench.action.openSettings', id);

/** The Heim client of one environment. */
export interface HeimEnvironmentClient {
  environment: EnvironmentConfig;
  client: HeimClient;
}

/**
 * Heim clients per environment (document 004): the API key of the active environment, read from
 * SecretStorage on every request and sent as the bare `Authorization` value, and that environment's
 * base URL. A changed base URL gets a fresh client; a key is never sent to another environment's host.
 */
export class HeimConnection {
  private cache: { key: string; value: HeimEnvironmentClient } | undefined;

  constructor(
    private readonly deps: {
      settings: SettingsStore;
      secrets: SecretStore;
      log: Logger;
      userAgent: string;
    },
  ) {}

  /** The client of the active environment; a UserError with a fix when it is not set up. */
  active(): HeimEnvironmentClient {
    const active = this.deps.settings.activeEnvironment('heim');
    const environments = `clinicalCoder.${Settings.environments('heim')}`;
    if (!active.ok) {
      throw new UserError(`The Heim environment is not set up: ${active.reason}.`, [
        {
          title: 'Switch Environment',
          run: () => vscode.commands.executeCommand(Commands.switchEnvironment, 'heim'),
        },
        { title: 'Open Settings', run: () => openSetting(environments) },
      ]);
    }
    const environment = active.environment;
    if (!environment.baseUrl) {
      throw new UserError(`The Heim environment "${environment.name}" has no baseUrl.`, [
        { title: 'Open Settings', run: () => openSetting(environments) },
      ]);
    }
    const key = `${environment.name}\n${environment.baseUrl}`;
    if (this.cache?.key !== key) this.cache = { key, value: this.create(environment) };
    return this.cache.value;
  }

  private create(environment: EnvironmentConfig): HeimEnvironmentClient {
    const { secrets, log, userAgent } = this.deps;
    const name = environment.name;
    const http = createHttpClient({
      service: SERVICE,
      baseUrl: () => environment.baseUrl,
      userAgent,
      logger: log,
      auth: {
        scheme: 'raw',
        // Read on every request (and again after a 401): a key set meanwhile is used at once.
        getToken: async () => {
          const apiKey = (await secrets.get('heim', name, 'apiKey'))?.trim();
          if (!apiKey) {
            throw new ApiError({
              kind: 'unauthorized',
              service: SERVICE,
              message: `No Heim API key is set for the environment "${name}"`,
            });
          }
          return apiKey;
        },
      },
    });
    return { environment, client: new HeimClient(http) };
  }
}
