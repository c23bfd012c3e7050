import { createHash } from 'crypto';
import * as vscode from 'vscode';
import { secretKey, type SecretKinds, type ServiceId } from '../constants';

/** Where a coder can read how to make the OS keyring work for VS Code on their machine. */
export const KEYRING_HELP_URL =
  'https://code.visualstudio.com/docs/configure/settings-sync#_troubleshooting-keychain-issues';

/**
 * Thrown when VS Code's SecretStorage cannot reach the OS keyring (a known failure on Linux
 * desktops without gnome-keyring/kwallet). Nothing was stored; the message says what to do.
 */
export class SecretStorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      'Clinical Coder could not use the OS keyring to keep your credentials, so nothing was saved. ' +
        'Install or unlock a keyring (for example gnome-keyring or KWallet), or set "password-store" ' +
        "in VS Code's argv.json, then try again.",
      { cause },
    );
    this.name = 'SecretStorageUnavailableError';
  }
}

/**
 * Typed access to credentials in VS Code SecretStorage, keyed by service, environment and kind.
 * The only place credentials are read or written: never settings, global state or logs.
 */
export class SecretStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<{ service: ServiceId; environment: string }>();
  /** Fires when a stored credential changes, here or in another window. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private unavailable = false;

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly onUnavailable: (unavailable: boolean) => void,
  ) {
    this.subscription = storage.onDidChange((e) => {
      const m = /^clinicalCoder\/(imo|codify|heim)\/([^/]+)\//.exec(e.key);
      if (m) this.changed.fire({ service: m[1] as ServiceId, environment: decodeURIComponent(m[2]) });
    });
  }

  async get<S extends ServiceId>(
    service: S,
    environment: string,
    kind: SecretKinds[S],
  ): Promise<string | undefined> {
    return this.guard(() => this.storage.get(secretKey(service, environment, kind)));
  }

  async store<S extends ServiceId>(
    service: S,
    environment: string,
    kind: SecretKinds[S],
    value: string,
  ): Promise<void> {
    await this.guard(() => this.storage.store(secretKey(service, environment, kind), value));
  }

  async delete<S extends ServiceId>(service: S, environment: string, kind: SecretKinds[S]): Promise<void> {
    await this.guard(() => this.storage.delete(secretKey(service, environment, kind)));
  }

  /**
   * A short SHA-256 fingerprint of a stored credential (never the value), so tests can tell
   * whether a credential was kept, replaced or removed.
   */
  async fingerprint<S extends ServiceId>(
    service: S,
    environment: string,
    kind: SecretKinds[S],
  ): Promise<string | undefined> {
    const value = await this.get(service, environment, kind);
    return value === undefined ? undefined : createHash('sha256').update(value).digest('hex').slice(0, 16);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }

  private async guard<T>(op: () => Thenable<T>): Promise<T> {
    try {
      const result = await op();
      if (this.unavailable) {
        this.unavailable = false;
        this.onUnavailable(false);
      }
      return result;
    } catch (e) {
      this.unavailable = true;
      this.onUnavailable(true);
      throw new SecretStorageUnavailableError(e);
    }
  }
}
