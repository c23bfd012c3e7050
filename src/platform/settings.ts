import * as vscode from 'vscode';
import { Settings, type ServiceId } from '../constants';
import { findEnvironment, parseEnvironments, type EnvironmentConfig } from '../core/environments';

/** The active environment of a service, or why there is none. */
export type ActiveEnvironment =
  | { ok: true; environment: EnvironmentConfig; all: EnvironmentConfig[] }
  | { ok: false; name: string; reason: string; all: EnvironmentConfig[] };

/**
 * Typed reads and writes of the `clinicalCoder.*` settings. Base URLs are `application`-scoped in
 * package.json (user settings only; `machine` scope would be ignored in remote windows such
 * as code-server), so a workspace's settings can never redirect a credential to another host.
 */
export class SettingsStore {
  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Settings.section);
  }

  environments(service: ServiceId): { environments: EnvironmentConfig[]; problems: string[] } {
    return parseEnvironments(this.config.get(Settings.environments(service)));
  }

  activeEnvironment(service: ServiceId): ActiveEnvironment {
    const name = this.config.get<string>(Settings.environment(service)) ?? '';
    const { environments, problems } = this.environments(service);
    const environment = findEnvironment(environments, name);
    if (environment) return { ok: true, environment, all: environments };
    const reason = problems.length
      ? `clinicalCoder.${Settings.environments(service)} has problems: ${problems.join('; ')}`
      : `there is no environment named "${name}" in clinicalCoder.${Settings.environments(service)}`;
    return { ok: false, name, reason, all: environments };
  }

  async setActiveEnvironment(service: ServiceId, name: string): Promise<void> {
    await this.config.update(Settings.environment(service), name, vscode.ConfigurationTarget.Global);
  }

  /** Fires for any change under `clinicalCoder`. */
  onDidChange(listener: () => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(Settings.section)) listener();
    });
  }
}
