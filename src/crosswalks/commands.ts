import * as os from 'os';
import * as vscode from 'vscode';
import { Commands, Settings, Views } from '../constants';
import type { CrosswalksClient } from '../api/crosswalks';
import type { ImoConnections } from '../auth/imoConnections';
import type { ConnectionStatus } from '../auth/status';
import type { CodeIndex } from '../core/codes/codeIndex';
import {
  CODE_SYSTEM_SLUGS,
  CROSSWALK_LIMITS,
  validateAttributeKeys,
  validateAttributes,
  validateDeletions,
  validateNewCrosswalk,
  validateNewMappings,
} from '../core/crosswalks/limits';
import type {
  Crosswalk,
  CrosswalkVersion,
  CustomAttribute,
  NewCrosswalk,
  NewMapping,
} from '../core/crosswalks/model';
import { loadAll, Pager } from '../core/paging';
import { toAbortSignal } from '../platform/cancellation';
import { registerTreeCommands } from '../platform/treeCommands';
import { registerCommand, UserError, type CommandContext } from '../platform/commands';
import type { ContainerNode } from '../platform/tree';
import {
  CrosswalkDocuments,
  fileSafe,
  readVersion,
  writeFileAtomically,
  CROSSWALK_SCHEME,
  type TableFormat,
} from './documents';
import { confirmCodes, refuseProblems, runEdit, splitCodes, type EditAnswers, type EditDeps } from './edits';
import { fileFormats } from './formats';
import { importMappings } from './importFlow';
import {
  AttributeNode,
  AttributesNode,
  CrosswalkNode,
  MappingNode,
  TargetNode,
  VersionNode,
  systemLabel,
} from './nodes';
import { CrosswalksTree } from './tree';

export interface CrosswalksServices extends CommandContext {
  imo: ImoConnections;
  status: ConnectionStatus;
  /** The local code index (loaded on first need), to check codes before they are sent. */
  codeIndex(): Promise<CodeIndex | undefined>;
}

/** What the Crosswalks feature exposes to the extension's API (tests). */
export interface CrosswalksApi {
  tree: CrosswalksTree;
  documents: CrosswalkDocuments;
}

/** A crosswalk (and optionally one of its versions) named without a tree node: palette, tests. */
export interface CrosswalkRef {
  identifier: string;
  version?: number;
}

type CrosswalkArg = CrosswalkNode | VersionNode | AttributesNode | CrosswalkRef | undefined;

/** The Crosswalks tree and every crosswalk command: browse, edit, open, export, import, compare, find. */
export function registerCrosswalks(context: vscode.ExtensionContext, s: CrosswalksServices): CrosswalksApi {
  const tree = new CrosswalksTree({ imo: s.imo, status: s.status });
  const documents = new CrosswalkDocuments(s.log);
  const deps: EditDeps = { tree, log: s.log, codeIndex: s.codeIndex };
  const client = (): CrosswalksClient => tree.client;
  const view = vscode.window.createTreeView(Views.crosswalks, {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  const cmd = <A extends unknown[], R>(id: string, title: string, fn: (...a: A) => Promise<R> | R) =>
    registerCommand(s, id, title, fn);

  /** The crosswalk an argument names, or one the coder picks. */
  const crosswalkOf = async (arg: CrosswalkArg, purpose: string): Promise<Crosswalk | undefined> => {
    if (arg instanceof CrosswalkNode) return arg.crosswalk;
    if (arg instanceof VersionNode) return arg.crosswalk;
    if (arg instanceof AttributesNode) return arg.crosswalkNode.crosswalk;
    if (arg && typeof arg.identifier === 'string') return client().get(arg.identifier);
    return pickCrosswalk(client(), purpose);
  };

  context.subscriptions.push(
    tree,
    documents,
    view,
    vscode.workspace.registerTextDocumentContentProvider(CROSSWALK_SCHEME, documents),

    cmd(Commands.crosswalksRefresh, 'Refresh Crosswalks', () => tree.resetAll()),
    ...registerTreeCommands(
      s,
      tree,
      {
        refreshNode: Commands.crosswalksRefreshNode,
        loadMore: Commands.crosswalksLoadMore,
        loadAll: Commands.crosswalksLoadAll,
        filter: Commands.crosswalksFilter,
        retry: Commands.crosswalksRetry,
        copyTraceId: Commands.crosswalksCopyTraceId,
      },
      'crosswalks',
    ),
    cmd(
      Commands.crosswalksFilterBySource,
      'Filter Crosswalks by Source Code',
      async (query?: { sourceCodeSystem?: string; sourceCode?: string }) => {
        const q = query ?? (await askSourceQuery(tree.root.query));
        if (!q) return undefined;
        tree.resetAll({
          sourceCodeSystem: q.sourceCodeSystem || undefined,
          sourceCode: q.sourceCode?.trim() || undefined,
        });
        return tree.root.queryLabel;
      },
    ),
    cmd(Commands.crosswalksClearFilter, 'Clear Filter', (node?: ContainerNode) => {
      if (!node || node === tree.root) {
        tree.root.filter = '';
        tree.resetAll({});
        return;
      }
      node.filter = '';
      tree.changed(node);
    }),
    cmd(
      Commands.crosswalksCreate,
      'Create Crosswalk',
      async (body?: NewCrosswalk, answers: EditAnswers = {}) => {
        const request = body ?? (await askNewCrosswalk());
        if (!request) return undefined;
        refuseProblems('The crosswalk', validateNewCrosswalk(request));
        if (request.mappings?.length && !(await confirmCodes(deps, request.mappings, answers)))
          return undefined;
        const created = await client().create(request);
        s.log.info(`crosswalk ${created.identifier} created (version ${created.version})`);
        tree.resetAll();
        void vscode.window.showInformationMessage(
          `Created crosswalk "${created.name}" (version ${created.version}).`,
        );
        if (created.invalidCodes.length > 0)
          void vscode.window.showWarningMessage(
            `IMO reported ${created.invalidCodes.length} invalid code${created.invalidCodes.length === 1 ? '' : 's'} in "${created.name}": ${created.invalidCodes.join(', ')}`,
          );
        return created;
      },
    ),
    cmd(
      Commands.crosswalksAddMappings,
      'Add Mappings',
      async (arg?: CrosswalkArg | MappingNode, mappings?: NewMapping[], answers: EditAnswers = {}) => {
        const node = arg instanceof MappingNode ? arg.parent : arg;
        const crosswalk = await crosswalkOf(node, 'add mappings to');
        if (!crosswalk) return undefined;
        const request = mappings ?? (await askMappings(arg instanceof MappingNode ? arg.mapping : undefined));
        if (!request) return undefined;
        refuseProblems('The mappings', validateNewMappings(request));
        if (!(await confirmCodes(deps, request, answers))) return undefined;
        const n = request.reduce((k, m) => k + m.targets.length, 0);
        return runEdit(deps, crosswalk.identifier, `Add ${n} target code${n === 1 ? '' : 's'}`, (c, v) =>
          c.addMappings(crosswalk.identifier, v, request),
        );
      },
    ),
    cmd(
      Commands.crosswalksDeleteTargets,
      'Delete Target Codes',
      async (arg?: TargetNode | MappingNode, answers: EditAnswers & { targetCodes?: string[] } = {}) => {
        if (!(arg instanceof TargetNode) && !(arg instanceof MappingNode))
          throw new UserError(
            'Choose a mapping or a target code in the Crosswalks view to delete target codes.',
          );
        const mappingNode = arg instanceof TargetNode ? arg.parent : arg;
        const m = mappingNode.mapping;
        let codes = answers.targetCodes ?? (arg instanceof TargetNode ? [arg.target.targetCode] : undefined);
        if (!codes) {
          const picked = await vscode.window.showQuickPick(
            m.targets.map((t) => ({ label: t.targetCode, description: t.targetDisplay, picked: false })),
            { canPickMany: true, title: `Delete target codes of ${m.sourceCode}` },
          );
          codes = picked?.map((p) => p.label);
        }
        if (!codes?.length) return undefined;
        const crosswalk = mappingNode.parent.crosswalk;
        const ok =
          answers.confirm ??
          (await vscode.window.showWarningMessage(
            `Delete ${codes.join(', ')} from ${m.sourceCode} in "${crosswalk.name}"?`,
            {
              modal: true,
              detail:
                'IMO applies the deletion to the latest version (a published one becomes a new version).',
            },
            'Delete',
          )) === 'Delete';
        if (!ok) return undefined;
        const deletion = [
          {
            sourceCode: m.sourceCode,
            sourceCodeSystem: m.sourceCodeSystem,
            targetCodeSystem: m.targetCodeSystem,
            targetCodes: codes,
          },
        ];
        refuseProblems('The deletion', validateDeletions(deletion));
        return runEdit(
          deps,
          crosswalk.identifier,
          `Delete ${codes.join(', ')} from ${m.sourceCode}`,
          (c, v) => c.deleteTargets(crosswalk.identifier, v, deletion),
        );
      },
    ),
    cmd(
      Commands.crosswalksSetAttribute,
      'Set Crosswalk Attribute',
      async (arg?: CrosswalkArg | AttributeNode, attributes?: CustomAttribute[]) => {
        const node = arg instanceof AttributeNode ? (arg.parent as AttributesNode) : arg;
        const crosswalk = await crosswalkOf(node, 'set an attribute of');
        if (!crosswalk) return undefined;
        const attrs =
          attributes ?? (await askAttribute(arg instanceof AttributeNode ? arg.attribute : undefined));
        if (!attrs) return undefined;
        refuseProblems('The attribute', validateAttributes(attrs));
        return runEdit(
          deps,
          crosswalk.identifier,
          `Set attribute ${attrs.map((a) => `"${a.key}"`).join(', ')}`,
          (c, v) => c.setAttributes(crosswalk.identifier, v, attrs),
        );
      },
    ),
    cmd(
      Commands.crosswalksDeleteAttribute,
      'Delete Crosswalk Attribute',
      async (arg?: AttributeNode | CrosswalkArg, keys?: string[], answers: EditAnswers = {}) => {
        const node = arg instanceof AttributeNode ? (arg.parent as AttributesNode) : arg;
        const crosswalk = await crosswalkOf(node, 'delete an attribute of');
        if (!crosswalk) return undefined;
        const list =
          keys ??
          (arg instanceof AttributeNode
            ? [arg.attribute.key]
            : await pickKeys(crosswalk.customAttributes ?? [], `Delete attributes of "${crosswalk.name}"`));
        if (!list?.length) return undefined;
        refuseProblems('The attribute deletion', validateAttributeKeys(list));
        if (!(await confirmDelete(`Delete attribute ${list.join(', ')} of "${crosswalk.name}"?`, answers)))
          return undefined;
        return runEdit(deps, crosswalk.identifier, `Delete attribute ${list.join(', ')}`, (c, v) =>
          c.deleteAttributes(crosswalk.identifier, v, list),
        );
      },
    ),
    cmd(
      Commands.crosswalksSetTargetAttribute,
      'Set Target Attribute',
      async (arg?: TargetNode | AttributeNode, attributes?: CustomAttribute[]) => {
        const target = arg instanceof AttributeNode ? arg.parent : arg;
        if (!(target instanceof TargetNode))
          throw new UserError('Choose a target code in the Crosswalks view to set its attributes.');
        const id = target.target.identifier;
        if (!id)
          throw new UserError(
            `IMO gave no code identifier for ${target.target.targetCode}: its attributes cannot be edited.`,
          );
        const attrs =
          attributes ?? (await askAttribute(arg instanceof AttributeNode ? arg.attribute : undefined));
        if (!attrs) return undefined;
        refuseProblems('The attribute', validateAttributes(attrs));
        const crosswalk = target.version.crosswalk;
        return runEdit(
          deps,
          crosswalk.identifier,
          `Set attribute ${attrs.map((a) => `"${a.key}"`).join(', ')} of ${target.target.targetCode}`,
          (c, v) => c.setMappingAttributes(crosswalk.identifier, v, id, attrs),
        );
      },
    ),
    cmd(
      Commands.crosswalksDeleteTargetAttribute,
      'Delete Target Attribute',
      async (arg?: AttributeNode | TargetNode, keys?: string[], answers: EditAnswers = {}) => {
        const target = arg instanceof AttributeNode ? arg.parent : arg;
        if (!(target instanceof TargetNode))
          throw new UserError('Choose a target attribute in the Crosswalks view to delete it.');
        const id = target.target.identifier;
        if (!id)
          throw new UserError(
            `IMO gave no code identifier for ${target.target.targetCode}: its attributes cannot be edited.`,
          );
        const list =
          keys ??
          (arg instanceof AttributeNode
            ? [arg.attribute.key]
            : await pickKeys(
                target.target.customAttributes ?? [],
                `Delete attributes of ${target.target.targetCode}`,
              ));
        if (!list?.length) return undefined;
        refuseProblems('The attribute deletion', validateAttributeKeys(list));
        if (
          !(await confirmDelete(
            `Delete attribute ${list.join(', ')} of ${target.target.targetCode}?`,
            answers,
          ))
        )
          return undefined;
        const crosswalk = target.version.crosswalk;
        return runEdit(
          deps,
          crosswalk.identifier,
          `Delete attribute ${list.join(', ')} of ${target.target.targetCode}`,
          (c, v) => c.deleteMappingAttributes(crosswalk.identifier, v, id, list),
        );
      },
    ),
    cmd(
      Commands.crosswalksArchive,
      'Archive Crosswalk',
      async (arg?: CrosswalkArg, answers: EditAnswers = {}) => {
        const crosswalk = await crosswalkOf(arg, 'archive');
        if (!crosswalk) return undefined;
        const ok =
          answers.confirm ??
          (await vscode.window.showWarningMessage(
            `Archive crosswalk "${crosswalk.name}"?`,
            {
              modal: true,
              detail:
                'IMO flags it as archived: it leaves the list and can no longer be edited through the API. It is not deleted and can be re-activated by IMO.',
            },
            'Archive',
          )) === 'Archive';
        if (!ok) return false;
        await client().archive(crosswalk.identifier);
        s.log.info(`crosswalk ${crosswalk.identifier} archived`);
        tree.removeCrosswalk();
        void vscode.window.showInformationMessage(`Archived crosswalk "${crosswalk.name}".`);
        return true;
      },
    ),

    cmd(
      Commands.crosswalksOpenTable,
      'Open Version as Table',
      async (arg?: CrosswalkArg, format?: TableFormat) => {
        const { crosswalk, version } = await versionOf(arg, 'open');
        if (!version) return undefined;
        const f =
          format ??
          vscode.workspace
            .getConfiguration(Settings.section)
            .get<TableFormat>(Settings.crosswalksTableFormat, 'markdown');
        return vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Window,
            title: `Reading "${crosswalk.name}" version ${version.version}`,
            cancellable: true,
          },
          async (_p, token) => {
            const abort = toAbortSignal(token);
            try {
              return await documents.openTable(client(), crosswalk, version, f, abort.signal);
            } finally {
              abort.dispose();
            }
          },
        );
      },
    ),
    cmd(Commands.crosswalksExportCsv, 'Export Version to CSV', async (arg?: CrosswalkArg, file?: string) =>
      exportVersion(arg, file, 'csv'),
    ),
    cmd(
      Commands.crosswalksExportConceptMap,
      'Export Version as FHIR ConceptMap',
      async (arg?: CrosswalkArg, file?: string) => exportVersion(arg, file, 'conceptMap'),
    ),
    cmd(
      Commands.crosswalksImport,
      'Import Mappings from CSV',
      async (arg?: CrosswalkArg, file?: string, answers: EditAnswers = {}) => {
        const crosswalk = await crosswalkOf(arg, 'import mappings into');
        if (!crosswalk) return undefined;
        const uri = file
          ? vscode.Uri.file(file)
          : (
              await vscode.window.showOpenDialog({
                title: `Import mappings into "${crosswalk.name}"`,
                filters: { 'CSV or TSV': ['csv', 'tsv', 'txt'] },
                canSelectMany: false,
              })
            )?.[0];
        if (!uri) return undefined;
        const bytes = await vscode.workspace.fs.readFile(uri);
        const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
        return importMappings({ ...deps, documents }, crosswalk, text, answers);
      },
    ),
    cmd(Commands.crosswalksCompare, 'Compare Versions', async (arg?: CrosswalkArg, other?: number) => {
      const { crosswalk, version } = await versionOf(arg, 'compare');
      if (!version) return undefined;
      const otherVersion =
        other ??
        (await pickVersion(
          client(),
          crosswalk,
          `Compare version ${version.version} of "${crosswalk.name}" with…`,
          version.version,
        ));
      if (otherVersion === undefined) return undefined;
      const [before, after] = [
        Math.min(version.version, otherVersion),
        Math.max(version.version, otherVersion),
      ];
      const a = await readVersion(
        client(),
        crosswalk,
        before,
        `Reading version ${before} of "${crosswalk.name}"…`,
      );
      const b = await readVersion(
        client(),
        crosswalk,
        after,
        `Reading version ${after} of "${crosswalk.name}"…`,
      );
      const base = `/compare/${crosswalk.identifier}/${fileSafe(crosswalk.name)}`;
      const left = vscode.Uri.from({ scheme: CROSSWALK_SCHEME, path: `${base}-v${before}.csv` });
      const right = vscode.Uri.from({ scheme: CROSSWALK_SCHEME, path: `${base}-v${after}.csv` });
      const { canonicalExportText, compareMappings, formatComparison } = fileFormats();
      documents.setText(left, canonicalExportText(a.mappings));
      documents.setText(right, canonicalExportText(b.mappings));
      const summary = compareMappings(a.mappings, b.mappings);
      const summaryUri = vscode.Uri.from({
        scheme: CROSSWALK_SCHEME,
        path: `${base} v${before} vs v${after}.md`,
      });
      documents.setText(
        summaryUri,
        formatComparison(summary, { before: `Version ${before}`, after: `Version ${after}` }),
      );
      await vscode.commands.executeCommand(
        'vscode.diff',
        left,
        right,
        `${crosswalk.name}: version ${before} ↔ ${after}`,
      );
      const c = summary.counts;
      void vscode.window
        .showInformationMessage(
          `Version ${before} → ${after}: ${c.added} added, ${c.removed} removed, ${c.retargetedSources} retargeted, ${c.attributesChanged} with changed attributes.`,
          'Show Summary',
        )
        .then(async (pick) => {
          if (!pick) return;
          const doc = await vscode.workspace.openTextDocument(summaryUri);
          await vscode.languages.setTextDocumentLanguage(doc, 'markdown').then(undefined, () => doc);
          await vscode.window.showTextDocument(doc, { preview: true });
        });
      return { before, after, counts: summary.counts, left: left.toString(), right: right.toString() };
    }),
    cmd(
      Commands.crosswalksFindForCode,
      'Find IMO Crosswalks for Code',
      async (args?: { slug?: string; code?: string; system?: string }) => {
        const query = args?.code
          ? { sourceCodeSystem: args.slug ?? slugOfSystemName(args.system), sourceCode: args.code }
          : await askSourceQuery({ sourceCodeSystem: args?.slug });
        if (!query?.sourceCode) return undefined;
        const found = await everyCrosswalk(client(), query);
        if (found.length === 0) {
          void vscode.window.showInformationMessage(
            `No IMO crosswalk maps ${query.sourceCodeSystem ? `${systemLabel(query.sourceCodeSystem)} ` : ''}${query.sourceCode}.`,
          );
          return [];
        }
        tree.resetAll(query);
        await vscode.commands.executeCommand(`${Views.crosswalks}.focus`);
        const pick = args?.code ? (found.length === 1 ? found[0] : undefined) : undefined;
        if (pick) {
          await tree.root.getChildren();
          const node = tree.root.find(pick.identifier);
          if (node) await view.reveal(node, { expand: true, select: true, focus: false });
        }
        return found.map((c) => c.identifier);
      },
    ),
  );

  /** The version an argument names (the latest when it names only a crosswalk), or one the coder picks. */
  async function versionOf(
    arg: CrosswalkArg,
    purpose: string,
  ): Promise<{ crosswalk: Crosswalk; version?: CrosswalkVersion }> {
    if (arg instanceof VersionNode) return { crosswalk: arg.crosswalk, version: arg.version };
    const crosswalk = await crosswalkOf(arg, purpose);
    if (!crosswalk) throw new vscode.CancellationError();
    const ref =
      arg && !(arg instanceof CrosswalkNode) && !(arg instanceof AttributesNode) ? arg.version : undefined;
    const n =
      ref ??
      (arg instanceof CrosswalkNode || (arg && 'identifier' in arg)
        ? crosswalk.version
        : await pickVersion(client(), crosswalk, `Which version of "${crosswalk.name}"?`));
    if (n === undefined) return { crosswalk };
    return { crosswalk, version: await client().version(crosswalk.identifier, n) };
  }

  async function exportVersion(arg: CrosswalkArg, file: string | undefined, kind: 'csv' | 'conceptMap') {
    const { crosswalk, version } = await versionOf(arg, 'export');
    if (!version) return undefined;
    const ext = kind === 'csv' ? 'csv' : 'json';
    const target =
      file ??
      (
        await vscode.window.showSaveDialog({
          title: `Export "${crosswalk.name}" version ${version.version}`,
          defaultUri: vscode.Uri.joinPath(
            defaultFolder(),
            `${fileSafe(crosswalk.name)}-v${version.version}${kind === 'conceptMap' ? '.conceptmap' : ''}.${ext}`,
          ),
          filters: kind === 'csv' ? { CSV: ['csv'] } : { 'FHIR ConceptMap (JSON)': ['json'] },
        })
      )?.fsPath;
    if (!target) return undefined;
    const read = await readVersion(
      client(),
      crosswalk,
      version.version,
      `Exporting "${crosswalk.name}" version ${version.version}…`,
    );
    const text =
      kind === 'csv'
        ? fileFormats().toCsv(read.mappings)
        : fileFormats().conceptMapJson({ crosswalk, version, mappings: read.mappings });
    await writeFileAtomically(target, text);
    const targets = read.mappings.reduce((n, m) => n + m.targets.length, 0);
    s.log.info(
      `crosswalk ${crosswalk.identifier} v${version.version}: exported ${read.mappings.length} mappings (${read.pages} pages, ${read.rateLimitPauses} rate-limit pauses)`,
    );
    void vscode.window
      .showInformationMessage(
        `Exported ${count(read.mappings.length, 'mapping')} (${count(targets, 'target code')}) of "${crosswalk.name}" version ${version.version}.`,
        'Open',
      )
      .then((pick) =>
        pick ? vscode.commands.executeCommand('vscode.open', vscode.Uri.file(target)) : undefined,
      );
    return { file: target, mappings: read.mappings.length, targets, pages: read.pages };
  }

  return { tree, documents };
}

/** Every crosswalk (all pages), optionally filtered by source code on the server. */
async function everyCrosswalk(
  client: CrosswalksClient,
  query: { sourceCodeSystem?: string; sourceCode?: string } = {},
): Promise<Crosswalk[]> {
  const pager = new Pager<Crosswalk>((c) => c.identifier);
  await loadAll(pager, (page, signal) => client.list({ ...query, pageSize: 100, pageNumber: page }, signal), {
    concurrency: 2,
  });
  return [...pager.items];
}

async function pickCrosswalk(client: CrosswalksClient, purpose: string): Promise<Crosswalk | undefined> {
  const all = await everyCrosswalk(client);
  if (all.length === 0)
    throw new UserError('There are no crosswalks in this IMO organisation yet. Create one first.');
  const picked = await vscode.window.showQuickPick(
    all.map((c) => ({ label: c.name, description: `v${c.version}`, detail: c.description, c })),
    { title: `Which crosswalk to ${purpose}?`, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.c;
}

async function pickVersion(
  client: CrosswalksClient,
  crosswalk: Crosswalk,
  title: string,
  exclude?: number,
): Promise<number | undefined> {
  const pager = new Pager<CrosswalkVersion>((v) => String(v.version));
  await loadAll(
    pager,
    (page, signal) => client.versions(crosswalk.identifier, { pageSize: 100, pageNumber: page }, signal),
    { concurrency: 2 },
  );
  const versions = pager.items.filter((v) => v.version !== exclude).sort((a, b) => b.version - a.version);
  if (versions.length === 0) throw new UserError(`"${crosswalk.name}" has no other version.`);
  const picked = await vscode.window.showQuickPick(
    versions.map((v) => ({
      label: `Version ${v.version}`,
      description: [v.status, v.version === crosswalk.version && 'latest'].filter(Boolean).join(' · '),
      detail: v.updatedAt ?? v.createdAt,
      n: v.version,
    })),
    { title },
  );
  return picked?.n;
}

function slugOfSystemName(system: string | undefined): string | undefined {
  if (!system) return undefined;
  return CODE_SYSTEM_SLUGS.find((x) => x.localSystem === system || x.slug === system)?.slug;
}

async function askSlug(title: string, current?: string): Promise<string | undefined> {
  const picked = await vscode.window.showQuickPick(
    CODE_SYSTEM_SLUGS.map((x) => ({
      label: x.name,
      description: x.slug,
      detail: x.licenseRequired ? 'Needs a separate licence' : undefined,
      picked: x.slug === current,
      slug: x.slug,
    })),
    { title, matchOnDescription: true },
  );
  return picked?.slug;
}

async function askSourceQuery(
  current: { sourceCodeSystem?: string; sourceCode?: string } = {},
): Promise<{ sourceCodeSystem?: string; sourceCode?: string } | undefined> {
  const slug = await askSlug('Source code system', current.sourceCodeSystem);
  if (!slug) return undefined;
  const code = await vscode.window.showInputBox({
    title: `Source code (${systemLabel(slug)})`,
    prompt: 'Crosswalks whose latest version maps this source code; leave empty for any code of the system',
    value: current.sourceCode ?? '',
  });
  if (code === undefined) return undefined;
  return { sourceCodeSystem: slug, sourceCode: code.trim() || undefined };
}

/**
 * Where a save dialog starts: the first workspace folder, else the home folder. (A bare file name
 * in `Uri.file` would be a file at the root of the file system.)
 */
function defaultFolder(): vscode.Uri {
  return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
}

/** `1 mapping`, `2 mappings`. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const limit = (n: number, what: string) => (v: string) =>
  v.length > n ? `${what} allows up to ${n} characters (${v.length} now).` : undefined;

async function askAttribute(current?: CustomAttribute): Promise<CustomAttribute[] | undefined> {
  const key =
    current?.key ??
    (await vscode.window.showInputBox({
      title: 'Attribute key',
      validateInput: (v) => (v.trim() ? limit(CROSSWALK_LIMITS.attributeKeyMax, 'A key')(v) : 'Enter a key.'),
    }));
  if (key === undefined) return undefined;
  const value = await vscode.window.showInputBox({
    title: `Value of "${key}"`,
    value: current?.value ?? '',
    validateInput: limit(CROSSWALK_LIMITS.attributeValueMax, 'A value'),
  });
  if (value === undefined) return undefined;
  return [{ key: key.trim(), value }];
}

async function pickKeys(attrs: readonly CustomAttribute[], title: string): Promise<string[] | undefined> {
  if (attrs.length === 0) throw new UserError('There are no attributes to delete.');
  const picked = await vscode.window.showQuickPick(
    attrs.map((a) => ({ label: a.key, description: a.value })),
    { canPickMany: true, title },
  );
  return picked?.map((p) => p.label);
}

async function confirmDelete(question: string, answers: EditAnswers): Promise<boolean> {
  if (answers.confirm !== undefined) return answers.confirm;
  return (
    (await vscode.window.showWarningMessage(
      question,
      {
        modal: true,
        detail: 'IMO applies it to the latest version (a published one becomes a new version).',
      },
      'Delete',
    )) === 'Delete'
  );
}

async function askMappings(from?: {
  sourceCode: string;
  sourceCodeSystem: string;
  targetCodeSystem: string;
}): Promise<NewMapping[] | undefined> {
  const sourceSlug = from?.sourceCodeSystem ?? (await askSlug('Source code system'));
  if (!sourceSlug) return undefined;
  const sourceCode =
    from?.sourceCode ??
    (await vscode.window.showInputBox({
      title: `Source code (${systemLabel(sourceSlug)})`,
      validateInput: (v) => (v.trim() ? undefined : 'Enter the source code.'),
    }));
  if (!sourceCode) return undefined;
  const targetSlug = from?.targetCodeSystem ?? (await askSlug('Target code system'));
  if (!targetSlug) return undefined;
  const targets = await vscode.window.showInputBox({
    title: `Target codes (${systemLabel(targetSlug)}) for ${sourceCode}`,
    prompt: 'One or more codes, separated by commas or spaces',
    validateInput: (v) => (splitCodes(v).length ? undefined : 'Enter at least one target code.'),
  });
  if (!targets) return undefined;
  return [
    {
      sourceCode: sourceCode.trim(),
      sourceCodeSystem: sourceSlug,
      targetCodeSystem: targetSlug,
      targets: splitCodes(targets).map((targetCode) => ({ targetCode })),
    },
  ];
}

async function askNewCrosswalk(): Promise<NewCrosswalk | undefined> {
  const name = await vscode.window.showInputBox({
    title: 'New crosswalk: name',
    validateInput: (v) =>
      v.trim() ? limit(CROSSWALK_LIMITS.nameMax, 'The name')(v) : 'Crosswalk name is required.',
  });
  if (name === undefined) return undefined;
  const description = await vscode.window.showInputBox({
    title: 'New crosswalk: description (optional)',
    validateInput: limit(CROSSWALK_LIMITS.descriptionMax, 'The description'),
  });
  if (description === undefined) return undefined;
  const customAttributes: CustomAttribute[] = [];
  for (;;) {
    const more = await vscode.window.showQuickPick(
      [
        { label: 'Add a crosswalk attribute…', add: true },
        { label: customAttributes.length ? 'Continue' : 'No attributes', add: false },
      ],
      { title: `New crosswalk "${name}": attributes (${customAttributes.length})` },
    );
    if (!more) return undefined;
    if (!more.add) break;
    const a = await askAttribute();
    if (a) customAttributes.push(...a);
  }
  const first = await vscode.window.showQuickPick(
    [
      { label: 'Create it empty', add: false },
      { label: 'Add a first mapping…', add: true },
    ],
    { title: `New crosswalk "${name}": mappings` },
  );
  if (!first) return undefined;
  const mappings = first.add ? await askMappings() : undefined;
  if (first.add && !mappings) return undefined;
  return {
    name: name.trim(),
    description: description.trim() || undefined,
    customAttributes: customAttributes.length ? customAttributes : undefined,
    mappings,
  };
}
