import * as vscode from 'vscode';
import { Commands } from '../constants';
import { isApiError, type ApiError } from '../core/errors';
import type { Logger } from './log';
import { KEYRING_HELP_URL, SecretStorageUnavailableError } from './secrets';

/**
 * A failure the coder can fix and that needs no stack trace: bad input, a missing setting.
 * `actions` are offered as buttons beside the message.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly actions: { title: string; run: () => unknown }[] = [],
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** What the error boundary needs from the rest of the extension. */
export interface CommandContext {
  log: Logger;
}

/** The command that fixes an unauthorized/forbidden answer from each service. */
const FIX_CREDENTIALS: Record<string, { title: string; command: string }> = {
  IMO: { title: 'Sign In', command: Commands.signIn },
  Codify: { title: 'Set Codify Token', command: Commands.setCodifyToken },
  Heim: { title: 'Set Heim API Key', command: Commands.setHeimKey },
};

/**
 * Registers a command behind the one error boundary of the extension (DESIGN.md §2): the handler's
 * result is returned to the caller (tests use it); a failure is logged once and shown as a readable
 * message with actions (Sign In on unauthorized, Retry, Copy Trace Id, Open Log), and the command
 * then resolves to `undefined`. Cancellation is silent.
 */
export function registerCommand<A extends unknown[], R>(
  ctx: CommandContext,
  id: string,
  title: string,
  handler: (...args: A) => Promise<R> | R,
): vscode.Disposable {
  const run = async (...args: A): Promise<R | undefined> => {
    try {
      return await handler(...args);
    } catch (e) {
      showFailure(ctx, title, e, () => void vscode.commands.executeCommand(id, ...args));
      return undefined;
    }
  };
  return vscode.commands.registerCommand(id, run);
}

function showFailure(ctx: CommandContext, title: string, e: unknown, retry: () => void): void {
  if (isCancellation(e)) {
    ctx.log.debug(`${title}: cancelled`);
    return;
  }
  const actions: { title: string; run: () => unknown }[] = [];
  let message: string;
  if (e instanceof UserError) {
    ctx.log.warn(`${title}: ${e.message}`);
    message = e.message;
    actions.push(...e.actions);
  } else if (isApiError(e)) {
    ctx.log.error(`${title} failed`, e);
    message = `${title} failed: ${apiErrorText(e)}`;
    const fix = FIX_CREDENTIALS[e.service];
    if (fix && (e.kind === 'unauthorized' || e.kind === 'forbidden')) {
      actions.push({ title: fix.title, run: () => vscode.commands.executeCommand(fix.command) });
    }
    if (e.kind !== 'badRequest' && e.kind !== 'invalidResponse') actions.push({ title: 'Retry', run: retry });
    if (e.traceId) {
      const traceId = e.traceId;
      actions.push({ title: 'Copy Trace Id', run: () => vscode.env.clipboard.writeText(traceId) });
    }
  } else if (e instanceof SecretStorageUnavailableError) {
    ctx.log.error(`${title} failed`, e.cause ?? e);
    message = e.message;
    actions.push({
      title: 'How to Fix',
      run: () => vscode.env.openExternal(vscode.Uri.parse(KEYRING_HELP_URL)),
    });
  } else {
    ctx.log.error(`${title} failed unexpectedly`, e instanceof Error && e.stack ? e.stack : e);
    message = `${title} failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`;
  }
  actions.push({ title: 'Open Log', run: () => ctx.log.show() });
  // Not awaited: the promise settles only when the coder clicks or dismisses the notification.
  void vscode.window.showErrorMessage(message, ...actions.map((a) => a.title)).then((picked) => {
    void actions.find((a) => a.title === picked)?.run();
  });
}

/** The error's message plus what the server said (and each issue it listed), when that adds anything. */
export function apiErrorText(e: ApiError): string {
  const server =
    e.serverMessage && !e.message.includes(e.serverMessage) ? ` The server said: "${e.serverMessage}".` : '';
  const issues = issueLines(e);
  const listed = issues.length ? ` ${issues.join('; ')}.` : '';
  const wait =
    e.kind === 'rateLimited' && e.retryAfterMs ? ` Try again in ${Math.ceil(e.retryAfterMs / 1000)} s.` : '';
  return `${e.message}${server}${listed}${wait}`;
}

/**
 * The issues of an error envelope (Heim's `issues[]`), one line each with its path:
 * `limit: Number must be less than or equal to 100`.
 */
export function issueLines(e: ApiError): string[] {
  return (e.issues ?? [])
    .filter((i) => typeof i.message === 'string' && i.message.trim() !== '')
    .map((i) => {
      const where = (i.path ?? []).map(String).join('.');
      return where ? `${where}: ${i.message.trim()}` : i.message.trim();
    });
}

function isCancellation(e: unknown): boolean {
  return (isApiError(e) && e.kind === 'cancelled') || e instanceof vscode.CancellationError;
}
