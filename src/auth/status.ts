import * as vscode from 'vscode';
import { ContextKeys, SERVICE_LABELS, type ServiceId } from '../constants';
import { heimModeOf, type EnvironmentConfig, type HeimMode } from '../core/environments';
import type { ContextKeyStore } from '../platform/context';
import type { Logger } from '../platform/log';
import type { SecretStore } from '../platform/secrets';
import type { SettingsStore } from '../platform/settings';
import type { ImoConnections } from './imoConnections';

/** What the coder sees of one service: environment, whether it is set up, and its credential. */
export interface ServiceStatus {
  service: ServiceId;
  label: string;
  environmentName: string;
  environment?: EnvironmentConfig;
  /** Why the environment cannot be used, when it cannot. */
  problem?: string;
  /** IMO: signed in; Codify: token stored; Heim: key stored. */
  hasCredential: boolean;
  /** Heim only: the mode of the stored key. */
  heimMode?: HeimMode;
}

export type StatusSnapshot = Record<ServiceId, ServiceStatus>;

/**
 * Reads the state of every service from settings and SecretStorage (never at activation time:
 * the first read is scheduled after `activate` returns), publishes it as context keys, and tells
 * the status bar and the Connections view when it changes.
 */
export class ConnectionStatus implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<StatusSnapshot>();
  readonly onDidChange = this.changed.event;
  private current: StatusSnapshot | undefined;
  /** A read that has not started yet: later callers join it, since it will see their changes. */
  private queued: Promise<StatusSnapshot> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      settings: SettingsStore;
      secrets: SecretStore;
      imo: ImoConnections;
      contextKeys: ContextKeyStore;
      log: Logger;
    },
  ) {}

  get snapshot(): StatusSnapshot | undefined {
    return this.current;
  }

  /**
   * Re-reads everything. The returned snapshot comes from a read that started after this call, so
   * it reflects every change made before it; calls made while a read is waiting share that read.
   */
  refresh(): Promise<StatusSnapshot> {
    if (!this.queued) {
      const next = this.tail.then(async () => {
        this.queued = undefined;
        const snap = await this.read();
        this.current = snap;
        await this.publish(snap);
        this.changed.fire(snap);
        return snap;
      });
      this.queued = next;
      this.tail = next.catch(() => undefined);
    }
    return this.queued;
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async read(): Promise<StatusSnapshot> {
    const { settings, secrets, imo } = this.deps;
    const base = (service: ServiceId): ServiceStatus => {
      const active = settings.activeEnvironment(service);
      return active.ok
        ? {
            service,
            label: SERVICE_LABELS[service],
            environmentName: active.environment.name,
            environment: active.environment,
            hasCredential: false,
          }
        : {
            service,
            label: SERVICE_LABELS[service],
            environmentName: active.name,
            problem: active.reason,
            hasCredential: false,
          };
    };
    const imoStatus = base('imo');
    const codify = base('codify');
    const heim = base('heim');
    try {
      imoStatus.hasCredential = await imo.isSignedIn();
      codify.hasCredential = !!(await secrets.get('codify', codify.environmentName, 'token'));
      const key = await secrets.get('heim', heim.environmentName, 'apiKey');
      heim.hasCredential = !!key;
      heim.heimMode = key ? heimModeOf(key) : undefined;
    } catch (e) {
      // SecretStorage unavailable: the store has set its context key; show everything as signed out
      this.deps.log.warn(`Could not read credentials: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { imo: imoStatus, codify, heim };
  }

  private async publish(s: StatusSnapshot): Promise<void> {
    const keys = this.deps.contextKeys;
    await Promise.all([
      keys.set(ContextKeys.signedIn, s.imo.hasCredential),
      keys.set(ContextKeys.imoEnvironment, s.imo.environmentName),
      keys.set(ContextKeys.heimMode, s.heim.heimMode ?? 'none'),
    ]);
  }
}
