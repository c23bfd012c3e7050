import * as vscode from 'vscode';
import { redact } from '../core/redact';
import { DISPLAY_NAME } from '../constants';

/**
 * The extension's one logger: a `LogOutputChannel` named "Clinical Coder" whose level the user
 * sets with "Developer: Set Log Level". Every message passes through {@link redact}, so a caller
 * cannot leak a token, a presigned URL's query or PHI even by mistake.
 */
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  show(): void;
}

export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (m) => channel.trace(redact(m)),
    debug: (m) => channel.debug(redact(m)),
    info: (m) => channel.info(redact(m)),
    warn: (m) => channel.warn(redact(m)),
    error: (m, e) => channel.error(redact(e === undefined ? m : `${m}: ${describeError(e)}`)),
    show: () => channel.show(true),
  };
}

export function createLogChannel(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(DISPLAY_NAME, { log: true });
}

/** One line for an error: kind/status/trace id when it is an ApiError, else its message. */
function describeError(e: unknown): string {
  if (e instanceof Error) {
    const x = e as Error & { kind?: string; status?: number; traceId?: string };
    const parts = [x.kind, x.status, x.traceId && `trace ${x.traceId}`].filter(Boolean);
    return parts.length ? `${e.message} (${parts.join(', ')})` : e.message;
  }
  return String(e);
}
