import * as vscode from 'vscode';
import { Commands, SERVICE_LABELS, Settings, Views, type ServiceId } from '../constants';
import { heimModeOf, validateCredential, validateHeimKey } from '../core/environments';
import { toAbortSignal } from '../platform/cancellation';
import { registerCommand, UserError, type CommandContext } from '../platform/commands';
import type { SecretStore } from '../platform/secrets';
import type { SettingsStore } from '../platform/settings';
import { ConnectionsView, serviceOf } from './connectionsView';
import { openSetting, type ImoConnections } from './imoConnections';
import { ConnectionStatus } from './status';
import { StatusBar } from './statusBar';

export interface AuthServices extends CommandContext {
  settings: SettingsStore;
  secrets: SecretStore;
  imo: ImoConnections;
  status: ConnectionStatus;
}

/** Arguments Sign In accepts instead of prompting (tests and automation). */
export interface SignInArgs {
  clientId?: string;
  clientSecret?: string;
}

/**
 * Sign-in, credentials and environments: the commands, the status bar item and the Connections
 * view. Every prompting command also takes its inputs as arguments.
 */
export function registerAuth(context: vscode.ExtensionContext, s: AuthServices): StatusBar {
  const statusBar = new StatusBar(s.status);
  const view = new ConnectionsView(s.status);
  const cmd = <A extends unknown[], R>(id: string, title: string, fn: (...a: A) => Promise<R> | R) =>
    registerCommand(s, id, title, fn);

  context.subscriptions.push(
    statusBar,
    view,
    vscode.window.createTreeView(Views.connections, { treeDataProvider: view, showCollapseAll: false }),
    s.settings.onDidChange(() => void s.status.refresh()),
    s.secrets.onDidChange(() => void s.status.refresh()),

    cmd(Commands.signIn, 'Sign In to IMO', async (args?: SignInArgs) => {
      const { environment } = s.imo.active();
      const stored = await s.secrets.get('imo', environment.name, 'clientId');
      const clientId =
        args?.clientId ??
        (await ask({
          title: `Sign In to IMO (${environment.name}) — 1/2`,
          prompt: 'Client ID (Consumer Key) of your IMO app, from the IMO developer portal',
          value: stored,
          validate: (v) => validateCredential('client ID', v),
        }));
      if (clientId === undefined) return false;
      const clientSecret =
        args?.clientSecret ??
        (await ask({
          title: `Sign In to IMO (${environment.name}) — 2/2`,
          prompt: 'Client secret (Consumer Secret) of the same app',
          password: true,
          validate: (v) => validateCredential('client secret', v),
        }));
      if (clientSecret === undefined) return false;
      for (const [label, v] of [
        ['client ID', clientId],
        ['client secret', clientSecret],
      ] as const) {
        const problem = validateCredential(label, v);
        if (problem) throw new UserError(problem);
      }
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Verifying with IMO (${environment.name})…`,
          cancellable: true,
        },
        async (_p, token) => {
          const abort = toAbortSignal(token);
          try {
            await s.imo.signIn(
              { clientId: clientId.trim(), clientSecret: clientSecret.trim() },
              abort.signal,
            );
          } finally {
            abort.dispose();
          }
        },
      );
      await s.status.refresh();
      void vscode.window.showInformationMessage(`Signed in to IMO (${environment.name}).`);
      return true;
    }),

    cmd(Commands.signOut, 'Sign Out of IMO', async () => {
      const name = await s.imo.signOut();
      await s.status.refresh();
      void vscode.window.showInformationMessage(
        `Signed out of IMO (${name}): its client ID, secret and token were removed.`,
      );
      return true;
    }),

    cmd(Commands.testConnection, 'Test IMO Connection', async () => {
      const { environment, normalize } = s.imo.active();
      if (!(await s.imo.isSignedIn())) {
        throw new UserError(`Not signed in to IMO (${environment.name}).`, [
          { title: 'Sign In', run: () => vscode.commands.executeCommand(Commands.signIn) },
        ]);
      }
      const { sessionId } = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Testing the IMO connection…', cancellable: true },
        async (_p, token) => {
          const abort = toAbortSignal(token);
          try {
            return await normalize.getSession(abort.signal);
          } finally {
            abort.dispose();
          }
        },
      );
      s.log.info(`IMO connection test (${environment.name}) succeeded`);
      // The id comes first: toasts cut long lines, and support asks for it.
      void vscode.window
        .showInformationMessage(
          `Session ID ${sessionId}: IMO (${environment.name}) connection OK.`,
          'Copy Session ID',
        )
        .then((picked) => picked && vscode.env.clipboard.writeText(sessionId));
      return sessionId;
    }),

    cmd(Commands.setCodifyToken, 'Set Codify Token', async (token?: string) => {
      const env = activeOrThrow(s.settings, 'codify');
      const value =
        token ??
        (await ask({
          title: `Set Codify Token (${env})`,
          prompt: `Bearer token for the Codify ${env} environment (each environment has its own token)`,
          password: true,
          validate: (v) => validateCredential('Codify token', v),
        }));
      if (value === undefined) return false;
      const problem = validateCredential('Codify token', value);
      if (problem) throw new UserError(problem);
      await s.secrets.store('codify', env, 'token', value.trim());
      await s.status.refresh();
      void vscode.window.showInformationMessage(`Codify token saved for ${env}.`);
      return true;
    }),

    cmd(Commands.setHeimKey, 'Set Heim API Key', async (key?: string) => {
      const env = activeOrThrow(s.settings, 'heim');
      const value =
        key ??
        (await ask({
          title: `Set Heim API Key (${env})`,
          prompt: 'Heim API key: "test_…" for test mode, "live_…" for live mode',
          password: true,
          validate: validateHeimKey,
        }));
      if (value === undefined) return false;
      const problem = validateHeimKey(value);
      if (problem) throw new UserError(problem);
      await s.secrets.store('heim', env, 'apiKey', value.trim());
      await s.status.refresh();
      const mode = heimModeOf(value.trim());
      const say = mode === 'live' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void say(
        `Heim API key saved for ${env}: ${mode === 'live' ? 'LIVE mode — real care tasks' : 'test mode'}.`,
      );
      return true;
    }),

    cmd(Commands.switchEnvironment, 'Switch Environment', async (service?: unknown, name?: string) => {
      const svc = serviceOf(service) ?? (await pickService());
      if (!svc) return undefined;
      const { environments, problems } = s.settings.environments(svc);
      const current = s.settings.activeEnvironment(svc);
      const target =
        name ??
        (await pickEnvironment(
          svc,
          environments,
          current.ok ? current.environment.name : current.name,
          problems,
        ));
      if (target === undefined) return undefined;
      if (!environments.some((e) => e.name === target)) {
        throw new UserError(`There is no ${SERVICE_LABELS[svc]} environment named "${target}".`, [
          { title: 'Open Settings', run: () => openSetting(`clinicalCoder.${Settings.environments(svc)}`) },
        ]);
      }
      await s.settings.setActiveEnvironment(svc, target);
      const snap = await s.status.refresh();
      return snap[svc].environmentName;
    }),

    cmd(Commands.showStatus, 'Show Connection Status', async () => {
      const snap = s.status.snapshot ?? (await s.status.refresh());
      const items: (vscode.QuickPickItem & { command: string; args?: unknown[] })[] = [
        snap.imo.hasCredential
          ? { label: '$(sign-out) Sign Out of IMO', command: Commands.signOut }
          : { label: '$(sign-in) Sign In to IMO', command: Commands.signIn },
        { label: '$(plug) Test IMO Connection', command: Commands.testConnection },
        { label: '$(server-environment) Switch Environment…', command: Commands.switchEnvironment },
        {
          label: '$(key) Set Codify Token',
          description: snap.codify.environmentName,
          command: Commands.setCodifyToken,
        },
        {
          label: '$(key) Set Heim API Key',
          description: snap.heim.environmentName,
          command: Commands.setHeimKey,
        },
        { label: '$(output) Open Log', command: Commands.showLog },
      ];
      const picked = await vscode.window.showQuickPick(items, {
        title: 'Clinical Coder',
        placeHolder: 'Choose an action',
      });
      if (picked) await vscode.commands.executeCommand(picked.command, ...(picked.args ?? []));
    }),

    cmd(Commands.refreshConnections, 'Refresh Connections', () => s.status.refresh().then(() => undefined)),
    cmd(Commands.showLog, 'Open Log', () => s.log.show()),
  );
  return statusBar;
}

function activeOrThrow(settings: SettingsStore, service: ServiceId): string {
  const active = settings.activeEnvironment(service);
  if (!active.ok) {
    throw new UserError(`The ${SERVICE_LABELS[service]} environment is not set up: ${active.reason}.`, [
      { title: 'Open Settings', run: () => openSetting(`clinicalCoder.${Settings.environments(service)}`) },
    ]);
  }
  return active.environment.name;
}

async function ask(o: {
  title: string;
  prompt: string;
  value?: string;
  password?: boolean;
  validate: (v: string) => string | undefined;
}): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: o.title,
    prompt: o.prompt,
    value: o.value,
    password: o.password,
    ignoreFocusOut: true,
    validateInput: o.validate,
  });
}

async function pickService(): Promise<ServiceId | undefined> {
  const picked = await vscode.window.showQuickPick(
    (Object.keys(SERVICE_LABELS) as ServiceId[]).map((id) => ({ label: SERVICE_LABELS[id], id })),
    { title: 'Switch Environment', placeHolder: 'Which service?' },
  );
  return picked?.id;
}

async function pickEnvironment(
  service: ServiceId,
  environments: { name: string; baseUrl: string; production: boolean }[],
  current: string,
  problems: string[],
): Promise<string | undefined> {
  const items: (vscode.QuickPickItem & { name?: string })[] = environments.map((e) => ({
    label: `${e.name === current ? '$(check) ' : ''}${e.name}`,
    description: `${e.production ? 'PRODUCTION · ' : ''}${e.baseUrl || 'no base URL yet'}`,
    name: e.name,
  }));
  items.push({ label: '$(gear) Edit environments in Settings…' });
  const picked = await vscode.window.showQuickPick(items, {
    title: `${SERVICE_LABELS[service]} environment`,
    placeHolder: problems.length
      ? `Some environments are invalid: ${problems.join('; ')}`
      : `Now: ${current}`,
  });
  if (!picked) return undefined;
  if (!picked.name) {
    await openSetting(`clinicalCoder.${Settings.environments(service)}`);
    return undefined;
  }
  return picked.name;
}
