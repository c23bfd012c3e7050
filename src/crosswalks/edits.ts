import * as vscode from 'vscode';
import { Commands, Settings } from '../constants';
import {
  isDraftVersionError,
  isStaleVersionError,
  type CrosswalksClient,
  type EditResult,
} from '../api/crosswalks';
import type { CodeIndex } from '../core/codes/codeIndex';
import { displayCode } from '../core/codes/codeIndex';
import {
  checkCodes,
  formatProblems,
  localSystemOfSlug,
  type CodeKnowledge,
  type InvalidCode,
  type ValidationProblem,
} from '../core/crosswalks/limits';
import type { Crosswalk, NewMapping } from '../core/crosswalks/model';
import { isApiError } from '../core/errors';
import { UserError } from '../platform/commands';
import type { Logger } from '../platform/log';
import { systemLabel } from './nodes';
import type { CrosswalksTree } from './tree';

/** What the edit flows need. */
export interface EditDeps {
  tree: CrosswalksTree;
  log: Logger;
  /** The local code index when it is loaded (or can be), to check codes before sending. */
  codeIndex(): Promise<CodeIndex | undefined>;
}

/**
 * Answers given in advance (tests, scripted use): when present, the matching prompt is not shown.
 * `sendInvalid` answers "the local index says these codes are invalid: send anyway?".
 */
export interface EditAnswers {
  sendInvalid?: boolean;
  confirm?: boolean;
}

/** How an edit went, as commands return it (tests read it; the coder sees the messages). */
export interface EditOutcome {
  /** The crosswalk as the server has it after the edit. */
  crosswalk: Crosswalk;
  /** The version the edit was sent to, and the latest version afterwards. */
  sentTo: number;
  latest: number;
  /** The server made a new version for the edit (the latest was published). */
  newVersion: boolean;
  /** Codes the server listed as invalid (shown to the coder, never swallowed). */
  invalidCodes: string[];
  message?: string;
}

/** What the local index knows about `code` in the API's `slug`. */
export function knowledgeOf(index: CodeIndex | undefined, slug: string, code: string): CodeKnowledge {
  const system = localSystemOfSlug(slug);
  if (!index || !system || !index.loadedSystems().includes(system)) return 'unknownSystem';
  return index.activeRow(system, code) ? 'valid' : 'invalid';
}

/**
 * Refuses a body that breaks the document's limits, before anything is sent. `what` names it:
 * "The crosswalk", "The mappings" (a plural takes "were").
 */
export function refuseProblems(what: string, problems: readonly ValidationProblem[]): void {
  if (problems.length === 0) return;
  const verb = /s$/.test(what) ? 'were' : 'was';
  throw new UserError(`${what} ${verb} not sent: ${formatProblems(problems).replace(/\n/g, '; ')}`);
}

/**
 * Warns before sending codes the local index knows are invalid. Resolves `true` to send. The codes
 * are named with their system and the active release, so the coder can judge.
 */
export async function confirmCodes(
  deps: EditDeps,
  mappings: readonly NewMapping[],
  answers: EditAnswers = {},
): Promise<boolean> {
  const index = await deps.codeIndex().catch(() => undefined);
  if (!index) return true;
  const invalid = checkCodes(mappings, (slug, code) => knowledgeOf(index, slug, code));
  if (invalid.length === 0) return true;
  if (answers.sendInvalid !== undefined) return answers.sendInvalid;
  const choice = await vscode.window.showWarningMessage(
    `${invalid.length === 1 ? 'A code is' : `${invalid.length} codes are`} not in the active releases of the local code index.`,
    { modal: true, detail: describeInvalid(index, invalid) },
    'Send Anyway',
  );
  return choice === 'Send Anyway';
}

function describeInvalid(index: CodeIndex, invalid: readonly InvalidCode[]): string {
  const lines = invalid.slice(0, 20).map((c) => {
    const system = localSystemOfSlug(c.slug);
    const release = system ? index.activeRelease(system)?.label : undefined;
    const shown = system ? displayCode(system, c.code) : c.code;
    return `${shown} (${systemLabel(c.slug)}): not in ${release ?? 'the loaded releases'}`;
  });
  if (invalid.length > 20) lines.push(`… and ${invalid.length - 20} more`);
  return `${lines.join('\n')}\n\nIMO may list them as invalid codes and skip them.`;
}

/**
 * Runs an edit of the latest version (document 003: edits apply to the latest version only; a
 * Published latest version makes the server create and publish a new one; a Draft one refuses).
 * Reads the crosswalk first for its latest version number, sends the edit, reads the crosswalk again
 * and redraws its node, then tells the coder what happened: the new version, and any invalid codes.
 * A Draft or stale version gets an explanation (and the tree is refreshed), not a stack trace.
 */
export async function runEdit(
  deps: EditDeps,
  identifier: string,
  what: string,
  send: (client: CrosswalksClient, version: number) => Promise<EditResult>,
): Promise<EditOutcome> {
  const client = deps.tree.client;
  const before = await client.get(identifier);
  let result: EditResult;
  try {
    result = await send(client, before.version);
  } catch (e) {
    if (isDraftVersionError(e)) {
      deps.tree.updateCrosswalk(before);
      throw draftError(before, e);
    }
    if (isStaleVersionError(e)) {
      const now = await client.get(identifier).catch(() => before);
      deps.tree.updateCrosswalk(now);
      throw new UserError(
        `${what} was not applied: "${before.name}" changed on the server while you worked (its latest version is now ${now.version}). The tree shows it again; try once more.`,
        [{ title: 'Retry', run: () => vscode.commands.executeCommand(Commands.crosswalksRefresh) }],
      );
    }
    throw e;
  }
  const after = await client.get(identifier).catch(() => before);
  deps.tree.updateCrosswalk(after);
  const outcome: EditOutcome = {
    crosswalk: after,
    sentTo: before.version,
    latest: after.version,
    newVersion: after.version !== before.version,
    invalidCodes: result.invalidCodes,
    message: result.message,
  };
  deps.log.info(
    `crosswalk ${identifier}: ${what} sent to version ${before.version}; latest is now ${after.version}${result.invalidCodes.length ? `; ${result.invalidCodes.length} invalid codes` : ''}`,
  );
  announce(what, outcome);
  return outcome;
}

/** Says what an edit did; invalid codes get their own warning with a Copy action. */
export function announce(what: string, o: EditOutcome): void {
  const version = o.newVersion
    ? `IMO published it as version ${o.latest} (version ${o.sentTo} is kept unchanged).`
    : `Version ${o.latest} was updated.`;
  void vscode.window.showInformationMessage(`${what}: done on "${o.crosswalk.name}". ${version}`);
  if (o.invalidCodes.length > 0) {
    const list = o.invalidCodes.join(', ');
    void vscode.window
      .showWarningMessage(
        `IMO reported ${o.invalidCodes.length === 1 ? 'an invalid code' : `${o.invalidCodes.length} invalid codes`} in "${o.crosswalk.name}": ${list}`,
        'Copy Codes',
      )
      .then((pick) => (pick ? vscode.env.clipboard.writeText(list) : undefined));
  }
}

/** The document's explanation of a Draft latest version, with a way to its UI when configured. */
export function draftError(c: Crosswalk, e: unknown): UserError {
  const url = vscode.workspace
    .getConfiguration(Settings.section)
    .get<string>(Settings.crosswalksManagementUrl, '');
  const server = isApiError(e) && e.serverMessage ? ` IMO said: "${e.serverMessage}"` : '';
  const actions: { title: string; run: () => unknown }[] = [];
  if (url && /^https:\/\//i.test(url)) {
    actions.push({
      title: 'Open Terminology Management',
      run: () => vscode.env.openExternal(vscode.Uri.parse(url)),
    });
  } else {
    actions.push({
      title: 'Set Its Address',
      run: () =>
        vscode.commands.executeCommand(
          'workbench.action.openSettings',
          `${Settings.section}.${Settings.crosswalksManagementUrl}`,
        ),
    });
  }
  return new UserError(
    `The latest version (${c.version}) of "${c.name}" is a Draft, and IMO does not accept API edits to a crosswalk whose latest version is a Draft. Update the draft in IMO Terminology Management, or publish it, then try again.${server}`,
    actions,
  );
}

/** Codes typed as a list: commas, semicolons, spaces or new lines between them. */
export function splitCodes(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((c) => c.trim())
        .filter(Boolean),
    ),
  ];
}
