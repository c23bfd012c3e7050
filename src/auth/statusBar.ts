import * as vscode from 'vscode';
import { Commands, DISPLAY_NAME } from '../constants';
import type { ConnectionStatus, ServiceStatus, StatusSnapshot } from './status';

/**
 * One status bar item: the active IMO environment and sign-in state. Production environments and a
 * live Heim key are marked plainly (upper case, warning colours) because they reach real patients.
 */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;

  constructor(status: ConnectionStatus) {
    this.item = vscode.window.createStatusBarItem('clinicalCoder.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = DISPLAY_NAME;
    this.item.command = Commands.showStatus;
    this.item.text = '$(loading~spin) IMO';
    this.item.show();
    this.subscription = status.onDidChange((s) => this.render(s));
  }

  /** The text currently shown (for tests). */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }

  private render(s: StatusSnapshot): void {
    const { text, production } = statusBarText(s);
    this.item.text = text;
    this.item.backgroundColor = production
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
    this.item.tooltip = tooltip(s);
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, ''), role: 'button' };
  }
}

/** Status bar text; `production` when any active environment reaches real patient data. */
export function statusBarText(s: StatusSnapshot): { text: string; production: boolean } {
  const imoProd = !!s.imo.environment?.production;
  const parts: string[] = [];
  const env = imoProd ? s.imo.environmentName.toUpperCase() : s.imo.environmentName;
  if (s.imo.problem) parts.push(`$(warning) IMO: ${env} (not set up)`);
  else if (s.imo.hasCredential) parts.push(`${imoProd ? '$(warning)' : '$(pass-filled)'} IMO: ${env}`);
  else parts.push(`$(sign-in) IMO: ${env} (signed out)`);
  if (s.codify.environment?.production && s.codify.hasCredential) parts.push('Codify: PRODUCTION');
  // Heim's mode follows the key: live is marked plainly (real patients), test is named quietly
  if (s.heim.heimMode === 'live') parts.push('Heim: LIVE');
  else if (s.heim.heimMode === 'test') parts.push('$(beaker) Heim: test');
  const production = imoProd || parts.some((p) => p === 'Codify: PRODUCTION' || p === 'Heim: LIVE');
  return { text: parts.join('  '), production };
}

function tooltip(s: StatusSnapshot): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${DISPLAY_NAME}**\n\n`);
  for (const svc of [s.imo, s.codify, s.heim]) {
    md.appendMarkdown(`- **${svc.label}** — `);
    md.appendText(
      `${svc.environmentName}${svc.environment?.production ? ' (production)' : ''}: ${credentialText(svc)}`,
    );
    md.appendMarkdown('\n');
  }
  md.appendMarkdown('\nClick for sign-in, environments and connection tests.');
  return md;
}

/** How the credential of a service reads to a coder. */
export function credentialText(s: ServiceStatus): string {
  if (s.problem) return 'not set up';
  switch (s.service) {
    case 'imo':
      return s.hasCredential ? 'signed in' : 'signed out';
    case 'codify':
      return s.hasCredential ? 'token set' : 'no token';
    case 'heim':
      return s.heimMode ? `${s.heimMode === 'live' ? 'LIVE' : 'test'} mode key` : 'no key';
  }
}
