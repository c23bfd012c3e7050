import * as vscode from 'vscode';

/**
 * Sets `when`-clause context keys and remembers their values. VS Code offers no way to read a
 * context key back, so the remembered values are what the integration tests (through the
 * extension's exported API) and the status bar consult.
 */
export class ContextKeyStore {
  private readonly values = new Map<string, unknown>();

  async set(key: string, value: unknown): Promise<void> {
    if (this.values.get(key) === value && this.values.has(key)) return;
    this.values.set(key, value);
    await vscode.commands.executeCommand('setContext', key, value);
  }

  get(key: string): unknown {
    return this.values.get(key);
  }
}
