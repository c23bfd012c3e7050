import * as vscode from 'vscode';
import { Commands, DIAGNOSTIC_SOURCE } from '../constants';
import type { CodeFix, CodeProblem } from '../core/codes/validate';

/** `source.fixAll.clinicalCoder`: what "Fix All" and `editor.codeActionsOnSave` ask for. */
export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('clinicalCoder');
export const FIX_ALL_TITLE = 'Add missing dots to all ICD-10-CM codes in this file';
const UNDOTTED = 'undotted-code';

/** The problems of one chunk of a document as published: offsets relative to `start`, one diagnostic each. */
export interface PublishedChunk {
  /** Offset of the chunk in the validated text. */
  readonly start: number;
  readonly problems: readonly CodeProblem[];
  /** `diagnostics[i]` shows `problems[i]`. */
  readonly diagnostics: readonly vscode.Diagnostic[];
}

/** What was last published for a document: the version and text it was computed from. */
export interface Published {
  readonly version: number;
  /** The validated text (kept to check that a stale range still holds the same token). */
  readonly text: string;
  readonly chunks: readonly PublishedChunk[];
  /** Built on first use by the code actions: rule + range → problem. */
  lookup?: Map<string, { problem: CodeProblem; start: number; end: number }>;
}

/** What the code actions need from the diagnostics controller. */
export interface ProblemSource {
  /** The last published problems of the document (any version), if any. */
  published(doc: vscode.TextDocument): Published | undefined;
  /** Validates now and resolves when the document's diagnostics are published. */
  refresh(doc: vscode.TextDocument): Promise<void>;
}

/** The rule of one of our diagnostics (`code` is the rule id, plain or as `{ value }`). */
export function ruleOf(d: vscode.Diagnostic): string | undefined {
  const code = d.code;
  if (code === undefined) return undefined;
  return typeof code === 'object' ? String(code.value) : String(code);
}

function rangeKey(rule: string, r: vscode.Range): string {
  return `${rule}|${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}

/** The problem behind a diagnostic (ours, possibly a copy from the marker service), if it still applies. */
export function problemFor(
  doc: vscode.TextDocument,
  published: Published,
  d: vscode.Diagnostic,
): CodeProblem | undefined {
  const rule = ruleOf(d);
  if (rule === undefined) return undefined;
  if (!published.lookup) {
    const lookup = new Map<string, { problem: CodeProblem; start: number; end: number }>();
    for (const chunk of published.chunks) {
      chunk.problems.forEach((problem, i) => {
        const diagnostic = chunk.diagnostics[i];
        if (!diagnostic) return;
        const key = rangeKey(problem.rule, diagnostic.range);
        if (!lookup.has(key))
          lookup.set(key, { problem, start: chunk.start + problem.start, end: chunk.start + problem.end });
      });
    }
    published.lookup = lookup;
  }
  const hit = published.lookup.get(rangeKey(rule, d.range));
  if (!hit) return undefined;
  // The document moved on since: offer the fix only if the range still holds the same token.
  if (doc.version !== published.version && doc.getText(d.range) !== published.text.slice(hit.start, hit.end))
    return undefined;
  return hit.problem;
}

/** The fix the "add dots" edits use: the preferred one, else the first. */
function chosenFix(p: CodeProblem): CodeFix | undefined {
  return p.fixes.find((f) => f.isPreferred) ?? p.fixes[0];
}

/**
 * One edit replacing every `undotted-code` problem of `published` with its fix. The caller makes
 * sure `published.version === doc.version` (the ranges are those of that version).
 */
export function undottedEdit(
  doc: vscode.TextDocument,
  published: Published,
): { edit: vscode.WorkspaceEdit; count: number } {
  const edit = new vscode.WorkspaceEdit();
  const seen = new Set<string>();
  let count = 0;
  for (const chunk of published.chunks) {
    chunk.problems.forEach((p, i) => {
      if (p.rule !== UNDOTTED) return;
      const fix = chosenFix(p);
      const diagnostic = chunk.diagnostics[i];
      if (!fix || !diagnostic) return;
      const key = rangeKey(p.rule, diagnostic.range);
      if (seen.has(key)) return;
      seen.add(key);
      edit.replace(doc.uri, diagnostic.range, fix.replacement);
      count++;
    });
  }
  return { edit, count };
}

/**
 * Quick fixes for our diagnostics (one per fix the validator offers, its preferred one marked),
 * "add missing dots to all codes in this file" beside an undotted code, and the same edit as a
 * `source.fixAll.clinicalCoder` action for "Fix All" and `editor.codeActionsOnSave`.
 */
export class CodeProblemActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND],
  };

  constructor(private readonly source: ProblemSource) {}

  async provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range | vscode.Selection,
    context: vscode.CodeActionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.CodeAction[]> {
    const actions: vscode.CodeAction[] = [];
    if (!context.only || context.only.contains(vscode.CodeActionKind.QuickFix))
      actions.push(...this.quickFixes(doc, context));
    if (context.only?.contains(FIX_ALL_KIND)) {
      const fixAll = await this.fixAll(doc, token);
      if (fixAll) actions.push(fixAll);
    }
    return actions;
  }

  private quickFixes(doc: vscode.TextDocument, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (!ours.length) return [];
    const published = this.source.published(doc);
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const problem = published && problemFor(doc, published, d);
      if (!problem) continue;
      for (const fix of problem.fixes) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.diagnostics = [d];
        if (fix.isPreferred) action.isPreferred = true;
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, d.range, fix.replacement);
        actions.push(action);
      }
    }
    const undotted = ours.filter((d) => ruleOf(d) === UNDOTTED);
    if (undotted.length) {
      const action = new vscode.CodeAction(FIX_ALL_TITLE, vscode.CodeActionKind.QuickFix);
      action.diagnostics = undotted;
      action.command = { command: Commands.codesAddDotsInFile, title: FIX_ALL_TITLE, arguments: [doc.uri] };
      actions.push(action);
    }
    return actions;
  }

  private async fixAll(
    doc: vscode.TextDocument,
    token: vscode.CancellationToken,
  ): Promise<vscode.CodeAction | undefined> {
    let published = this.source.published(doc);
    if (published?.version !== doc.version) {
      await this.source.refresh(doc);
      if (token.isCancellationRequested) return undefined;
      published = this.source.published(doc);
      if (published?.version !== doc.version) return undefined;
    }
    const { edit, count } = undottedEdit(doc, published);
    if (count === 0) return undefined;
    const action = new vscode.CodeAction(FIX_ALL_TITLE, FIX_ALL_KIND);
    action.edit = edit;
    return action;
  }
}
