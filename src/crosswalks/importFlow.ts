import * as vscode from 'vscode';
import { isDraftVersionError } from '../api/crosswalks';
import { checkCodes } from '../core/crosswalks/limits';
import type { Batch, ImportPlan } from '../core/crosswalks/csv';
import type { Crosswalk } from '../core/crosswalks/model';
import { UserError } from '../platform/commands';
import { readVersion, type CrosswalkDocuments, CROSSWALK_SCHEME, fileSafe } from './documents';
import { draftError, knowledgeOf, type EditAnswers, type EditDeps } from './edits';
import { fileFormats } from './formats';

/** How an import went (commands return it; the coder sees the messages and the report). */
export interface ImportOutcome {
  /** Lines whose rows were applied on the server. */
  applied: number[];
  /** Lines of valid rows that were not applied (a batch failed, or the import was stopped). */
  notApplied: number[];
  /** Lines rejected before sending, with reasons. */
  invalid: { line: number; reason: string }[];
  /** Codes the server listed as invalid. */
  invalidCodes: string[];
  /** The latest version after the import. */
  latest: number;
  /** Set when a batch failed: what the server said. */
  failure?: string;
  summary: ImportPlan['summary'];
}

/**
 * Imports mappings from CSV text into the latest version of a crosswalk: parsed and checked
 * locally, compared with what the latest version has, previewed (adds, deletes, attribute changes,
 * invalid rows), then sent in batches with progress. Each call on a published version makes the
 * server publish a new one, so the latest version number is read again before each batch. A failure
 * midway stops the import and says exactly which lines were applied.
 */
export async function importMappings(
  deps: EditDeps & { documents: CrosswalkDocuments },
  crosswalk: Crosswalk,
  text: string,
  answers: EditAnswers = {},
): Promise<ImportOutcome | undefined> {
  const { formatImportPreview, parseImportCsv, planImport } = fileFormats();
  const parsed = parseImportCsv(text);
  if (parsed.problems.length > 0)
    throw new UserError(`The file cannot be imported: ${parsed.problems.join(' ')}`);
  const client = deps.tree.client;
  const latest = await client.get(crosswalk.identifier);
  const existing = await readVersion(
    client,
    latest,
    latest.version,
    `Reading version ${latest.version} of "${latest.name}" to compare…`,
  );
  const plan = planImport(parsed.rows, existing.mappings, { invalid: parsed.invalid });
  const previewUri = vscode.Uri.from({
    scheme: CROSSWALK_SCHEME,
    path: `/import/${latest.identifier}/${fileSafe(latest.name)} import preview.md`,
  });
  deps.documents.setText(
    previewUri,
    formatImportPreview(plan, parsed.invalid, {
      title: `Import into "${latest.name}" (version ${latest.version})`,
    }),
  );
  const s = plan.summary;
  const batches: Batch[] = [...plan.adds, ...plan.deletes];
  if (batches.length === 0 && plan.attributeChanges.length === 0) {
    if (answers.confirm === undefined) await showPreview(previewUri);
    void vscode.window.showInformationMessage(
      `Nothing to import into "${latest.name}": ${s.unchanged} rows are there already, ${s.notPresent} deletions are not present, ${s.invalid} rows are invalid.`,
    );
    return {
      applied: [],
      notApplied: [],
      invalid: parsed.invalid,
      invalidCodes: [],
      latest: latest.version,
      summary: s,
    };
  }
  let go = answers.confirm;
  if (go === undefined) {
    await showPreview(previewUri);
    const index = await deps.codeIndex().catch(() => undefined);
    const unknown = checkCodes(
      plan.adds.flatMap((b) => b.mappings),
      (slug, code) => knowledgeOf(index, slug, code),
    );
    const calls = batches.length + plan.attributeChanges.length;
    const pick = await vscode.window.showWarningMessage(
      `Import into "${latest.name}"?`,
      {
        modal: true,
        detail: [
          `${s.adds} target codes to add, ${s.deletes} to delete, ${s.attributeChanges} attribute changes, in ${calls} API call${calls === 1 ? '' : 's'}.`,
          `${s.unchanged} rows are there already, ${s.notPresent} deletions are not present, ${s.invalid} rows are invalid (see the preview).`,
          unknown.length ? `${unknown.length} codes are not in the local code index's active releases.` : '',
          'Each call on a published version makes IMO publish a new version.',
        ]
          .filter(Boolean)
          .join('\n'),
      },
      'Import',
    );
    go = pick === 'Import';
  }
  if (!go) return undefined;

  const applied: number[] = [];
  const invalidCodes: string[] = [];
  let failure: string | undefined;
  let version = latest.version;
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Importing into "${latest.name}"`,
      cancellable: true,
    },
    async (progress, token) => {
      const steps = batches.length + plan.attributeChanges.length;
      let done = 0;
      const step = (): void => {
        done++;
        progress.report({ increment: 100 / steps, message: `${done} of ${steps} calls` });
      };
      for (const batch of batches) {
        if (token.isCancellationRequested) return;
        try {
          version = (await client.get(latest.identifier)).version;
          const r =
            batch.kind === 'add'
              ? await client.addMappings(latest.identifier, version, batch.mappings)
              : await client.deleteTargets(latest.identifier, version, batch.mappings);
          applied.push(...batch.lines);
          invalidCodes.push(...r.invalidCodes);
        } catch (e) {
          if (isDraftVersionError(e)) throw draftError({ ...latest, version }, e);
          failure = e instanceof Error ? e.message : String(e);
          return;
        }
        step();
      }
      for (const change of plan.attributeChanges) {
        if (token.isCancellationRequested) return;
        if (!change.codeIdentifier) continue;
        try {
          version = (await client.get(latest.identifier)).version;
          await client.setMappingAttributes(latest.identifier, version, change.codeIdentifier, change.set);
          applied.push(change.row.line);
        } catch (e) {
          failure = e instanceof Error ? e.message : String(e);
          return;
        }
        step();
      }
    },
  );
  const after = await client.get(latest.identifier).catch(() => latest);
  deps.tree.updateCrosswalk(after);
  const appliedSet = new Set(applied);
  const wanted = [...batches.flatMap((b) => b.lines), ...plan.attributeChanges.map((c) => c.row.line)];
  const notApplied = [...new Set(wanted)].filter((l) => !appliedSet.has(l)).sort((a, b) => a - b);
  applied.sort((a, b) => a - b);
  const outcome: ImportOutcome = {
    applied,
    notApplied,
    invalid: parsed.invalid,
    invalidCodes,
    latest: after.version,
    failure,
    summary: s,
  };
  deps.log.info(
    `crosswalk ${latest.identifier}: import applied ${applied.length} lines, ${notApplied.length} not applied, latest version ${after.version}`,
  );
  const reportUri = vscode.Uri.from({
    scheme: CROSSWALK_SCHEME,
    path: `/import/${latest.identifier}/${fileSafe(latest.name)} import report.md`,
  });
  deps.documents.setText(reportUri, importReport(latest.name, outcome));
  if (failure || notApplied.length > 0) {
    void vscode.window
      .showErrorMessage(
        `Import into "${latest.name}" stopped: ${applied.length} lines applied (${ranges(applied)}), ${notApplied.length} not applied (${ranges(notApplied)}).${failure ? ` ${failure}` : ''}`,
        'Show Report',
      )
      .then((p) => (p ? showPreview(reportUri) : undefined));
  } else {
    void vscode.window
      .showInformationMessage(
        `Imported ${applied.length} lines into "${latest.name}": version ${after.version} is now the latest.`,
        'Show Report',
      )
      .then((p) => (p ? showPreview(reportUri) : undefined));
  }
  if (invalidCodes.length > 0)
    void vscode.window.showWarningMessage(
      `IMO reported ${invalidCodes.length} invalid code${invalidCodes.length === 1 ? '' : 's'} in the import: ${[...new Set(invalidCodes)].join(', ')}`,
    );
  return outcome;
}

async function showPreview(uri: vscode.Uri): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.languages.setTextDocumentLanguage(doc, 'markdown').then(undefined, () => doc);
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

/** `3-7, 9, 12-15` for sorted line numbers. */
export function ranges(lines: readonly number[]): string {
  if (lines.length === 0) return 'none';
  const out: string[] = [];
  let start = lines[0]!;
  let prev = start;
  for (const l of [...lines.slice(1), Number.NaN]) {
    if (l === prev + 1) {
      prev = l;
      continue;
    }
    out.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = l;
  }
  return `line${lines.length === 1 ? '' : 's'} ${out.join(', ')}`;
}

function importReport(name: string, o: ImportOutcome): string {
  return [
    `# Import into ${name.replace(/[#*_`[\]]/g, '\\$&')}`,
    '',
    o.failure ? `**Stopped:** ${o.failure.replace(/[#*_`[\]]/g, '\\$&')}` : 'Finished.',
    '',
    `- Applied: ${ranges(o.applied)}`,
    `- Not applied: ${ranges(o.notApplied)}`,
    `- Invalid, not sent: ${o.invalid.length === 0 ? 'none' : o.invalid.map((i) => `line ${i.line} (${i.reason})`).join('; ')}`,
    `- Invalid codes reported by IMO: ${o.invalidCodes.length ? o.invalidCodes.join(', ') : 'none'}`,
    `- Latest version now: ${o.latest}`,
    '',
  ].join('\n');
}
