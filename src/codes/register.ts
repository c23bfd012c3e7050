import * as vscode from 'vscode';
import { DocumentSchemes, Settings } from '../constants';
import type { Logger } from '../platform/log';
import type { ManifestStore } from '../releases/manifestStore';
import { registerCodeCommands } from './commands';
import { registerDiagnostics } from './diagnostics';
import type { DiagnosticsApi } from './diagnostics';
import { DocumentCodes } from './documentCodes';
import { registerFindCode } from './findCode';
import type { FindCodeApi } from './findCode';
import { CodeHoverProvider } from './hover';
import { ReleaseStatus } from './releaseStatus';
import { CodeIndexService } from './service';

/** What the code features expose to the integration tests through the extension's API. */
export interface CodesApi {
  readonly service: CodeIndexService;
  readonly diagnostics: DiagnosticsApi;
  readonly find: FindCodeApi;
  /** Whether hovers and validation apply to a document (languages and file patterns settings). */
  applies(doc: vscode.TextDocument): boolean;
  releaseStatusText(): string;
}

/**
 * The documents the code features work in: the configured languages, the file patterns, and the
 * Heim details documents (read-only markdown/JSON of care tasks that coders use as source documentation).
 */
export function codeSelector(): vscode.DocumentFilter[] {
  const config = vscode.workspace.getConfiguration(Settings.section);
  const languages = config.get<string[]>(Settings.codesLanguages, []);
  const patterns = config.get<string[]>(Settings.codesFilePatterns, []);
  return [
    ...languages.flatMap((language) => [
      { language, scheme: 'file' },
      { language, scheme: 'untitled' },
      { language, scheme: 'vscode-remote' },
    ]),
    ...patterns.map((pattern) => ({ pattern })),
    { language: 'markdown', scheme: DocumentSchemes.heim },
    { language: 'json', scheme: DocumentSchemes.heim },
  ];
}

/** Hovers, Find Code, validation, the release status item and the index commands. */
export function registerCodes(
  context: vscode.ExtensionContext,
  deps: { log: Logger; manifest: ManifestStore },
): CodesApi {
  const service = new CodeIndexService({
    log: deps.log,
    bundledDir: context.asAbsolutePath('dist/data'),
    storageDir: context.globalStorageUri.fsPath,
    manifest: deps.manifest,
  });
  const codes = new DocumentCodes();
  let selector = codeSelector();
  const applies = (doc: vscode.TextDocument): boolean => vscode.languages.match(selector, doc) > 0;
  const hover = new CodeHoverProvider(service, codes);
  let hoverRegistration = vscode.languages.registerHoverProvider(selector, hover);
  const status = new ReleaseStatus(service, applies);
  const diagnostics = registerDiagnostics(context, { service, codes, log: deps.log, applies });
  const find = registerFindCode(context, { service, log: deps.log });
  registerCodeCommands(context, { service, log: deps.log, codes });
  context.subscriptions.push(
    service,
    status,
    { dispose: () => hoverRegistration.dispose() },
    vscode.workspace.onDidCloseTextDocument((doc) => codes.forget(doc)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration(`${Settings.section}.${Settings.codesLanguages}`) ||
        e.affectsConfiguration(`${Settings.section}.${Settings.codesFilePatterns}`)
      ) {
        selector = codeSelector();
        hoverRegistration.dispose();
        hoverRegistration = vscode.languages.registerHoverProvider(selector, hover);
        status.update();
        diagnostics.refreshAll();
      }
    }),
  );
  return { service, diagnostics, find, applies, releaseStatusText: () => status.text };
}
