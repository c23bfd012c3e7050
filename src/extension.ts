import * as vscode from 'vscode';
import { ContextKeys, type SecretKinds, type ServiceId } from './constants';
import { registerAuth } from './auth/commands';
import { ImoConnections } from './auth/imoConnections';
import { ConnectionStatus } from './auth/status';
import { registerCodes, type CodesApi } from './codes/register';
import { registerCodify, type CodifyApi } from './codify/register';
import { registerCrosswalks, type CrosswalksApi } from './crosswalks/commands';
import { registerHeim, type CareApi } from './heim/commands';
import { registerReleases, type ReleasesApi } from './releases/commands';
import { ContextKeyStore } from './platform/context';
import { createLogChannel, createLogger } from './platform/log';
import { SecretStore } from './platform/secrets';
import { SettingsStore } from './platform/settings';

/** What `activate` returns: used by the integration tests, stable enough for other extensions. */
export interface ClinicalCoderApi {
  /** Wall time of `activate()` from its first to its last line, in milliseconds. */
  readonly activationMs: number;
  /** The last value this extension set for a context key. */
  contextValue(key: string): unknown;
  /** Text of the status bar item. */
  statusBarText(): string;
  /** The Releases tree, the downloads manifest and the release watcher. */
  readonly releases: ReleasesApi;
  /** The code index, its hovers, Find Code and validation. */
  readonly codes: CodesApi;
  /** The Crosswalks tree and its documents. */
  readonly crosswalks: CrosswalksApi;
  /** The Codify panel: the tests' handle on its message handling (most of it needs test hooks). */
  readonly codify: CodifyApi;
  /** The Care (Heim) tree, its view and its details documents. */
  readonly care: CareApi;
  /** Re-reads settings and SecretStorage; resolves when the UI reflects them. */
  refresh(): Promise<void>;
  /**
   * Present only when the extension host runs with CLINICAL_CODER_TEST_HOOKS=1 (the integration
   * tier): SHA-256 fingerprints of stored credentials, never their values.
   */
  readonly testHooks?: {
    credentialFingerprint<S extends ServiceId>(
      service: S,
      env: string,
      kind: SecretKinds[S],
    ): Promise<string | undefined>;
  };
}

/**
 * Composition root: builds the services and hands them to each feature. Nothing here touches the
 * network or the disk; the first read of SecretStorage is scheduled after activation returns.
 */
export function activate(context: vscode.ExtensionContext): ClinicalCoderApi {
  const started = performance.now();
  const channel = createLogChannel();
  const log = createLogger(channel);
  const contextKeys = new ContextKeyStore();
  const settings = new SettingsStore();
  const secrets = new SecretStore(
    context.secrets,
    (off) => void contextKeys.set(ContextKeys.secretsUnavailable, off),
  );
  const version = String(context.extension.packageJSON.version ?? '0.0.0');
  const userAgent = `clinical-coder/${version} (VS Code ${vscode.version}; ${process.platform})`;
  const imo = new ImoConnections({ settings, secrets, log, userAgent });
  const status = new ConnectionStatus({ settings, secrets, imo, contextKeys, log });
  context.subscriptions.push(channel, secrets, status);

  const statusBar = registerAuth(context, { log, settings, secrets, imo, status });
  const releases = registerReleases(context, { log, imo, status, userAgent });
  const codes = registerCodes(context, { log, manifest: releases.manifest });
  const crosswalks = registerCrosswalks(context, {
    log,
    imo,
    status,
    codeIndex: () => codes.service.ready(),
  });
  const testHooks = process.env.CLINICAL_CODER_TEST_HOOKS === '1';
  const codify = registerCodify(context, {
    log,
    settings,
    secrets,
    status,
    userAgent,
    codeIndex: () => codes.service.ready(),
    extensionUri: context.extensionUri,
    testHooks,
  });
  const care = registerHeim(context, { log, settings, secrets, status, userAgent });

  const initial = new Promise<void>((resolve) =>
    setImmediate(() => status.refresh().then(() => resolve(), resolve)),
  );
  const activationMs = performance.now() - started;
  log.info(`Clinical Coder ${version} activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    contextValue: (key) => contextKeys.get(key),
    statusBarText: () => statusBar.text,
    releases,
    codes,
    crosswalks,
    codify,
    care,
    refresh: async () => {
      await initial;
      await status.refresh();
    },
    testHooks: testHooks
      ? { credentialFingerprint: (service, env, kind) => secrets.fingerprint(service, env, kind) }
      : undefined,
  };
}

export function deactivate(): void {
  // every disposable is in context.subscriptions
}
