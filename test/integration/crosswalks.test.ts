/**
 * The Crosswalks tree and every crosswalk command in the real extension host, against the sandbox
 * started by runTest (SANDBOX_URL and the demo credentials in the environment).
 *
 * Nodes are found by walking the tree from `api.crosswalks.tree.root`, and told apart by their
 * contextValue (the test bundle has its own copy of the node classes, so `instanceof` would not
 * work). Every test starts from the sandbox's seed (POST /__sandbox/reset) and an unfiltered tree,
 * so none depends on another's edits. What the server holds after an edit is read back over HTTP
 * with the extension's own client (`tree.client`), never taken from the tree.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as Papa from 'papaparse';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../../src/constants';
import type { ClinicalCoderApi } from '../../src/extension';
import { signInToSandbox } from './support';
import type { CreatedCrosswalk } from '../../src/api/crosswalks';
import type { ImportOutcome } from '../../src/crosswalks/importFlow';
import type { EditOutcome } from '../../src/crosswalks/edits';
import type { Mapping } from '../../src/core/crosswalks/model';
import type { TreeNode } from '../../src/platform/tree';
import { CROSSWALK_SEEDS as SEEDS } from '../../sandbox/services/crosswalks';

const SANDBOX_URL = process.env.SANDBOX_URL ?? '';

type Node = TreeNode;
const label = (n: Node) => String(n.getTreeItem().label);
const ctxValue = (n: Node) => n.getTreeItem().contextValue ?? '';
const desc = (n: Node) => String(n.getTreeItem().description ?? '');
/** Markdown as a coder reads it: the renderer's backslash escapes and `&nbsp;`s undone. */
const rendered = (markdown: string) =>
  markdown.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1').replace(/&nbsp;/g, ' ');
const tooltip = (n: Node) => {
  const t = n.getTreeItem().tooltip;
  return rendered(typeof t === 'string' ? t : (t?.value ?? ''));
};

const isCrosswalk = (n: Node) => /^crosswalk(\.|$)/.test(ctxValue(n));
const isVersion = (n: Node) => ctxValue(n).startsWith('crosswalkVersion');
const isMapping = (n: Node) => ctxValue(n).startsWith('crosswalkMapping');
const isLoadMore = (n: Node) => ctxValue(n) === 'loadMore';

async function sandbox(method: string, p: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${SANDBOX_URL}${p}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.ok, `${method} ${p}: ${res.status}`);
  return res.status === 204 ? undefined : res.json();
}

interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}
/** Requests the sandbox received on the Crosswalks API since the log was last cleared. */
async function crosswalkRequests(): Promise<LoggedRequest[]> {
  const { requests } = (await sandbox('GET', '/__sandbox/requests')) as { requests: LoggedRequest[] };
  return requests.filter((r) => r.path.startsWith('/crosswalks'));
}

/** Resolves when `doc`'s text satisfies `check` (now, or after one of its changes); fails after `ms`. */
function textWhen(doc: vscode.TextDocument, check: (text: string) => boolean, ms = 10_000): Promise<string> {
  if (check(doc.getText())) return Promise.resolve(doc.getText());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${doc.uri.toString()} never matched; its text:\n${doc.getText().slice(0, 2000)}`));
    }, ms);
    const sub = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.toString() !== doc.uri.toString() || !check(e.document.getText())) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e.document.getText());
    });
  });
}

type Notify = (message: string, ...rest: unknown[]) => Thenable<unknown>;
const NOTIFIERS = ['showErrorMessage', 'showWarningMessage', 'showInformationMessage'] as const;

/**
 * Records the notifications the extension shows while `fn` runs (the test and the extension share
 * the extension's `vscode` API object, so wrapping its `window` functions sees the extension's
 * calls). The originals still run; nothing is awaited on them (a notification stays until dismissed).
 */
async function notificationsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const w = vscode.window as unknown as Record<(typeof NOTIFIERS)[number], Notify>;
  const originals = NOTIFIERS.map((name) => [name, w[name]] as const);
  for (const [name, original] of originals) {
    w[name] = (message, ...rest) => {
      seen.push(`${name.replace(/^show|Message$/g, '')}: ${message}`);
      return original.call(vscode.window, message, ...rest);
    };
  }
  try {
    await fn();
  } finally {
    for (const [name, original] of originals) w[name] = original;
  }
  return seen;
}

/** Every mapping of a version, as the server has it (all pages). */
async function serverMappings(api: ClinicalCoderApi, id: string, version: number): Promise<Mapping[]> {
  const out: Mapping[] = [];
  for (let page = 1; ; page++) {
    const p = await api.crosswalks.tree.client.mappings(id, version, { pageSize: 10, pageNumber: page });
    out.push(...p.items);
    if (p.items.length === 0 || out.length >= (p.total ?? 0)) return out;
  }
}
const targetsOf = (mappings: Mapping[], source: string) =>
  mappings
    .find((m) => m.sourceCode === source)
    ?.targets.map((t) => t.targetCode)
    .sort();

describe('Crosswalks tree and commands', function () {
  this.timeout(60_000);
  let api: ClinicalCoderApi;
  let tmp: string;
  const tree = () => api.crosswalks.tree;
  const client = () => api.crosswalks.tree.client;

  const children = (n?: Node) => (n ? n.getChildren() : (tree().getChildren() as Promise<Node[]>));
  const child = async (parent: Node | undefined, text: string) => {
    const all = await children(parent);
    const found = all.find((c) => label(c) === text);
    assert.ok(found, `"${text}" under ${parent ? label(parent) : 'the root'}: ${all.map(label).join(', ')}`);
    return found;
  };
  const crosswalkNode = async (identifier: string) => {
    const all = await children();
    const found = all.find((c) => c.id === `crosswalk:${identifier}`);
    assert.ok(found, `${identifier} in the tree: ${all.map(label).join(', ')}`);
    return found;
  };
  /** crosswalk → Version n → mapping `source` → target `target` (each step by its label). */
  const walk = async (identifier: string, version: number, source?: string, target?: string) => {
    const v = await child(await crosswalkNode(identifier), `Version ${version}`);
    if (source === undefined) return v;
    const m = await child(v, source);
    return target === undefined ? m : child(m, target);
  };
  const run = <T>(command: string, ...args: unknown[]) =>
    vscode.commands.executeCommand<T | undefined>(command, ...args);

  before(async () => {
    api = await vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!.activate();
    await signInToSandbox();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-crosswalks-'));
  });

  beforeEach(async () => {
    await sandbox('POST', '/__sandbox/reset');
    // an unfiltered tree read afresh (the reset also revoked the token: the client signs in again)
    await run(Commands.crosswalksClearFilter);
  });

  after(async () => {
    await sandbox('POST', '/__sandbox/reset');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand(Commands.signOut);
    const config = vscode.workspace.getConfiguration('clinicalCoder');
    await config.update('imo.environments', undefined, vscode.ConfigurationTarget.Global);
    await config.update('imo.environment', undefined, vscode.ConfigurationTarget.Global);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('the tree', () => {
    it('lists the four seeded crosswalks with their latest version and attributes', async () => {
      const nodes = await children();
      assert.ok(nodes.every(isCrosswalk), nodes.map(ctxValue).join(', '));
      assert.deepStrictEqual(
        nodes.map(label).sort(),
        Object.values(SEEDS)
          .map((s) => s.name)
          .sort(),
      );
      const diabetes = await crosswalkNode(SEEDS.diabetes.identifier);
      assert.strictEqual(desc(diabetes), 'v3 · 2 attributes');
      assert.match(tooltip(diabetes), /Latest version: 3/);
      assert.match(tooltip(diabetes), /Attribute "Purpose": DME supply orders/);
      assert.match(tooltip(diabetes), new RegExp(`Identifier: ${SEEDS.diabetes.identifier}`));
    });

    it('pages the 2,171 conversions 10 at a time: Load more adds a page, Load all reads them all', async () => {
      const cw = await crosswalkNode(SEEDS.conversions.identifier);
      const kids = await children(cw);
      assert.deepStrictEqual(kids.map(label), ['Attributes', 'Version 1']);
      const version = kids[1]!;
      let nodes = await children(version);
      assert.strictEqual(nodes.filter(isMapping).length, 10);
      const more = nodes.find(isLoadMore);
      assert.ok(more, 'a Load more… node');
      assert.strictEqual(desc(more), '2161 more');
      assert.match(desc(version), /^published · latest · 2171 mappings · updated 2025-10-01$/);

      await run(Commands.crosswalksLoadMore, version);
      nodes = await children(version);
      assert.strictEqual(nodes.filter(isMapping).length, 20);
      assert.strictEqual(desc(nodes.find(isLoadMore)!), '2151 more');

      const started = Date.now();
      await run(Commands.crosswalksLoadAll, version);
      const ms = Date.now() - started;
      nodes = await children(version);
      const mappings = nodes.filter(isMapping);
      assert.strictEqual(mappings.length, 2171);
      assert.strictEqual(new Set(mappings.map((m) => m.id)).size, 2171, 'no mapping twice');
      assert.ok(!nodes.some(isLoadMore), 'nothing more to load');
      console.log(`    Load all: 2171 mappings (218 pages) in ${ms} ms`);
    });

    it("shows a mapping's targets, a target's attributes and the crosswalk's attribute group", async () => {
      const id = SEEDS.vaccines.identifier;
      const cw = await crosswalkNode(id);
      const group = await child(cw, 'Attributes');
      assert.strictEqual(desc(group), '1');
      assert.strictEqual(ctxValue(group), 'crosswalkAttributes.editable');
      const [payer] = await children(group);
      assert.strictEqual(label(payer!), 'Payer');
      assert.strictEqual(desc(payer!), 'Medicare Part B');
      assert.strictEqual(ctxValue(payer!), 'crosswalkAttribute.crosswalk.editable');

      const version = await child(cw, 'Version 1');
      let nodes = await children(version);
      assert.strictEqual(nodes.filter(isMapping).length, 10);
      await run(Commands.crosswalksLoadAll, version);
      nodes = await children(version);
      assert.strictEqual(nodes.filter(isMapping).length, 12);
      assert.ok(!nodes.some(isLoadMore));

      const m141 = await child(version, '141');
      assert.strictEqual(ctxValue(m141), 'crosswalkMapping.latest');
      assert.match(desc(m141), /→ HCPCS: 2 targets$/);
      assert.deepStrictEqual((await children(m141)).map(label), ['G0008', 'Q2038']);
      const g0008 = await child(m141, 'G0008');
      assert.strictEqual(ctxValue(g0008), 'crosswalkTarget.latest.identified');
      assert.match(desc(g0008), /Administration of influenza virus vaccine · 1 attribute$/i);
      assert.match(tooltip(g0008), /Mapped from: HL7 CVX 141 \(Influenza, seasonal, injectable\)/);
      assert.match(tooltip(g0008), /Attribute "Type": Administration/);
      const [type] = await children(g0008);
      assert.strictEqual(label(type!), 'Type');
      assert.strictEqual(desc(type!), 'Administration');
      assert.strictEqual(ctxValue(type!), 'crosswalkAttribute.target.editable');
    });

    it('marks the Draft latest version and the older published one', async () => {
      const cw = await crosswalkNode(SEEDS.respiratoryDraft.identifier);
      const versions = (await children(cw)).filter(isVersion);
      assert.deepStrictEqual(versions.map(label), ['Version 2', 'Version 1'], 'newest first');
      const [draft, published] = versions as [Node, Node];
      assert.strictEqual(ctxValue(draft), 'crosswalkVersion.draft.latest');
      assert.match(desc(draft), /^draft · latest · /);
      assert.match(
        tooltip(draft),
        /- Edits: A Draft is edited in IMO Terminology Management; the API refuses edits until it is published\./,
      );
      assert.strictEqual(ctxValue(published), 'crosswalkVersion.published');
      assert.match(desc(published), /^published · /);
      assert.doesNotMatch(desc(published), /latest/);
      assert.match(tooltip(published), /Latest: no \(latest is 2\)/);
    });

    it('filters the list on the server by source code, then clears the filter', async () => {
      const shown = await run<string>(Commands.crosswalksFilterBySource, {
        sourceCodeSystem: 'cvx',
        sourceCode: '141',
      });
      assert.strictEqual(shown, 'HL7 CVX 141');
      let nodes = await children();
      assert.strictEqual(label(nodes[0]!), 'Source code: HL7 CVX 141');
      assert.deepStrictEqual(nodes.filter(isCrosswalk).map(label), [SEEDS.vaccines.name]);

      await run(Commands.crosswalksFilterBySource, { sourceCodeSystem: 'icd10cm', sourceCode: 'E11.9' });
      nodes = await children();
      assert.deepStrictEqual(
        nodes.filter(isCrosswalk).map(label).sort(),
        [SEEDS.conversions.name, SEEDS.diabetes.name].sort(),
      );

      await run(Commands.crosswalksFilterBySource, { sourceCodeSystem: 'icd10cm', sourceCode: 'Z99.89' });
      nodes = await children();
      assert.deepStrictEqual(nodes.map(label), [
        'Source code: ICD-10-CM Z99.89',
        'No crosswalks mapping ICD-10-CM Z99.89',
      ]);

      await run(Commands.crosswalksClearFilter);
      nodes = await children();
      assert.strictEqual(nodes.filter(isCrosswalk).length, 4);
      assert.ok(!nodes.some((n) => label(n).startsWith('Source code:')));
    });
  });

  describe('edits', () => {
    it('creates a crosswalk with attributes and a first mapping, and reports the invalid code', async () => {
      let created: CreatedCrosswalk | undefined;
      const shown = await notificationsDuring(async () => {
        created = await run<CreatedCrosswalk>(
          Commands.crosswalksCreate,
          {
            name: 'Integration: diabetes strips',
            description: 'Made by the integration tier',
            customAttributes: [{ key: 'Owner', value: 'QA' }],
            mappings: [
              {
                sourceCode: 'E11.9',
                sourceCodeSystem: 'icd10cm',
                targetCodeSystem: 'hcpcs',
                targets: [
                  { targetCode: 'A4253', customAttributes: [{ key: 'Note', value: 'strips' }] },
                  { targetCode: 'ZZ999' },
                ],
              },
            ],
          },
          { sendInvalid: true },
        );
      });
      assert.ok(created, 'the command returned the crosswalk');
      assert.strictEqual(created.version, 1);
      assert.deepStrictEqual(created.invalidCodes, ['ZZ999']);
      assert.ok(
        shown.includes('Warning: IMO reported 1 invalid code in "Integration: diabetes strips": ZZ999'),
        shown.join('\n'),
      );

      const onServer = await client().get(created.identifier);
      assert.deepStrictEqual(onServer.customAttributes, [{ key: 'Owner', value: 'QA' }]);
      const mappings = await serverMappings(api, created.identifier, 1);
      assert.deepStrictEqual(targetsOf(mappings, 'E11.9'), ['A4253'], 'the invalid target was not stored');

      // the tree was read again and shows it, down to the target's attribute
      const nodes = await children();
      assert.strictEqual(nodes.filter(isCrosswalk).length, 5);
      const target = await walk(created.identifier, 1, 'E11.9', 'A4253');
      assert.deepStrictEqual(
        (await children(target)).map((a) => `${label(a)}=${desc(a)}`),
        ['Note=strips'],
      );
    });

    it('adds a mapping to a published crosswalk: the server publishes version 4 and the tree shows it', async () => {
      const id = SEEDS.diabetes.identifier;
      const node = await crosswalkNode(id);
      await children(node); // expanded, as a coder would have it
      let outcome: EditOutcome | undefined;
      const shown = await notificationsDuring(async () => {
        outcome = await run<EditOutcome>(
          Commands.crosswalksAddMappings,
          node,
          [
            {
              sourceCode: 'E13.9',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targets: [{ targetCode: 'A4253' }, { targetCode: 'A4259' }],
            },
          ],
          { sendInvalid: false },
        );
      });
      assert.ok(outcome);
      assert.deepStrictEqual(
        { sentTo: outcome.sentTo, latest: outcome.latest, newVersion: outcome.newVersion },
        { sentTo: 3, latest: 4, newVersion: true },
      );
      assert.deepStrictEqual(shown, [
        `Information: Add 2 target codes: done on "${SEEDS.diabetes.name}". IMO published it as version 4 (version 3 is kept unchanged).`,
      ]);
      assert.deepStrictEqual(outcome.invalidCodes, []);
      assert.strictEqual((await client().get(id)).version, 4);
      assert.deepStrictEqual(targetsOf(await serverMappings(api, id, 4), 'E13.9'), ['A4253', 'A4259']);
      assert.strictEqual(targetsOf(await serverMappings(api, id, 3), 'E13.9'), undefined, 'v3 unchanged');

      // the same node now says v4, and its versions were read again
      assert.match(desc(node), /^v4 · /);
      const versions = (await children(node)).filter(isVersion);
      assert.deepStrictEqual(versions.map(label), ['Version 4', 'Version 3', 'Version 2', 'Version 1']);
      assert.ok((await children(versions[0]!)).some((m) => label(m) === 'E13.9'));
      assert.match(desc(versions[0]!), /^published · latest · 6 mappings/);
      assert.doesNotMatch(desc(versions[1]!), /latest/);
    });

    it('deletes target codes from a target node and from a mapping node', async () => {
      const id = SEEDS.diabetes.identifier;
      const target = await walk(id, 3, 'E11.9', 'K0553');
      const first = await run<EditOutcome>(Commands.crosswalksDeleteTargets, target, { confirm: true });
      assert.ok(first);
      assert.deepStrictEqual([first.sentTo, first.latest, first.newVersion], [3, 4, true]);
      assert.deepStrictEqual(targetsOf(await serverMappings(api, id, 4), 'E11.9'), ['A4253', 'A4259']);

      const mapping = await walk(id, 4, 'E10.9');
      const second = await run<EditOutcome>(Commands.crosswalksDeleteTargets, mapping, {
        confirm: true,
        targetCodes: ['E0784', 'K0553'],
      });
      assert.ok(second);
      assert.deepStrictEqual([second.sentTo, second.latest], [4, 5]);
      const v5 = await serverMappings(api, id, 5);
      assert.deepStrictEqual(targetsOf(v5, 'E10.9'), ['A4230', 'A4253', 'A4259']);
      assert.deepStrictEqual(targetsOf(v5, 'E11.9'), ['A4253', 'A4259']);
      const e109 = await walk(id, 5, 'E10.9');
      assert.deepStrictEqual((await children(e109)).map(label).sort(), ['A4230', 'A4253', 'A4259']);

      // declined: nothing is sent
      const declined = await run(Commands.crosswalksDeleteTargets, e109, {
        confirm: false,
        targetCodes: ['A4230'],
      });
      assert.strictEqual(declined, undefined);
      assert.strictEqual((await client().get(id)).version, 5);
    });

    it('sets and deletes a crosswalk attribute', async () => {
      const id = SEEDS.vaccines.identifier;
      const set = await run<EditOutcome>(Commands.crosswalksSetAttribute, { identifier: id }, [
        { key: 'Reviewed', value: '2026-11' },
      ]);
      assert.ok(set);
      assert.deepStrictEqual([set.sentTo, set.latest, set.newVersion], [1, 2, true]);
      assert.deepStrictEqual((await client().get(id)).customAttributes, [
        { key: 'Payer', value: 'Medicare Part B' },
        { key: 'Reviewed', value: '2026-11' },
      ]);
      const group = await child(await crosswalkNode(id), 'Attributes');
      const attrs = await children(group);
      assert.deepStrictEqual(
        attrs.map((a) => `${label(a)}=${desc(a)}`),
        ['Payer=Medicare Part B', 'Reviewed=2026-11'],
      );

      // from the attribute's own node, as its inline action does
      const reviewed = attrs.find((a) => label(a) === 'Reviewed')!;
      const deleted = await run<EditOutcome>(Commands.crosswalksDeleteAttribute, reviewed, undefined, {
        confirm: true,
      });
      assert.ok(deleted);
      assert.deepStrictEqual([deleted.sentTo, deleted.latest], [2, 3]);
      assert.deepStrictEqual((await client().get(id)).customAttributes, [
        { key: 'Payer', value: 'Medicare Part B' },
      ]);
      const after = await children(await child(await crosswalkNode(id), 'Attributes'));
      assert.deepStrictEqual(after.map(label), ['Payer']);
    });

    it("sets and deletes a target's attribute, on nodes found by walking the tree", async () => {
      const id = SEEDS.vaccines.identifier;
      const g0008 = await walk(id, 1, '141', 'G0008');
      const set = await run<EditOutcome>(Commands.crosswalksSetTargetAttribute, g0008, [
        { key: 'Reviewed', value: 'yes' },
      ]);
      assert.ok(set);
      assert.deepStrictEqual([set.sentTo, set.latest, set.newVersion], [1, 2, true]);
      const attrsOn = async (version: number) =>
        (await serverMappings(api, id, version))
          .find((m) => m.sourceCode === '141')!
          .targets.find((t) => t.targetCode === 'G0008')!.customAttributes;
      assert.deepStrictEqual(await attrsOn(2), [
        { key: 'Type', value: 'Administration' },
        { key: 'Reviewed', value: 'yes' },
      ]);
      assert.deepStrictEqual(await attrsOn(1), [{ key: 'Type', value: 'Administration' }], 'v1 unchanged');

      const target = await walk(id, 2, '141', 'G0008');
      const attrNodes = await children(target);
      assert.deepStrictEqual(
        attrNodes.map((a) => `${label(a)}=${desc(a)}`),
        ['Type=Administration', 'Reviewed=yes'],
      );
      const reviewed = attrNodes.find((a) => label(a) === 'Reviewed')!;
      const deleted = await run<EditOutcome>(Commands.crosswalksDeleteTargetAttribute, reviewed, undefined, {
        confirm: true,
      });
      assert.ok(deleted);
      assert.deepStrictEqual([deleted.sentTo, deleted.latest], [2, 3]);
      assert.deepStrictEqual(await attrsOn(3), [{ key: 'Type', value: 'Administration' }]);
    });

    it('archives a crosswalk: it leaves the list', async () => {
      const id = SEEDS.diabetes.identifier;
      await crosswalkNode(id);
      const declined = await run(Commands.crosswalksArchive, { identifier: id }, { confirm: false });
      assert.strictEqual(declined, false);
      assert.strictEqual((await children()).filter(isCrosswalk).length, 4);

      const archived = await run(Commands.crosswalksArchive, { identifier: id }, { confirm: true });
      assert.strictEqual(archived, true);
      const nodes = (await children()).filter(isCrosswalk);
      assert.deepStrictEqual(
        nodes.map(label).sort(),
        [SEEDS.conversions.name, SEEDS.vaccines.name, SEEDS.respiratoryDraft.name].sort(),
      );
      await assert.rejects(client().get(id), (e: { kind?: string }) => e.kind === 'notFound');
    });

    it('refuses to edit a crosswalk whose latest version is a Draft, and the server keeps it as it was', async () => {
      const id = SEEDS.respiratoryDraft.identifier;
      const node = await crosswalkNode(id);
      await sandbox('DELETE', '/__sandbox/requests');
      let added: unknown = 'not run';
      let attribute: unknown = 'not run';
      const shown = await notificationsDuring(async () => {
        added = await run(Commands.crosswalksAddMappings, node, [
          {
            sourceCode: 'J45.20',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [{ targetCode: 'E0570' }],
          },
        ]);
        attribute = await run(Commands.crosswalksSetAttribute, { identifier: id }, [
          { key: 'Owner', value: 'someone else' },
        ]);
      });
      assert.strictEqual(added, undefined, 'the error boundary took the refusal');
      assert.strictEqual(attribute, undefined);
      // the document's explanation, twice, and no "failed" with a stack or status line
      assert.strictEqual(shown.length, 2, shown.join('\n'));
      for (const message of shown) {
        assert.match(
          message,
          /^Error: The latest version \(2\) of "Asthma and COPD CM → HCPCS nebulizer supplies" is a Draft, and IMO does not accept API edits to a crosswalk whose latest version is a Draft\. Update the draft in IMO Terminology Management, or publish it, then try again\. IMO said: "The latest version of this crosswalk is a Draft\./,
        );
        assert.doesNotMatch(message, /failed|409|\bat /);
      }

      const edits = (await crosswalkRequests()).filter((r) => r.method !== 'GET');
      assert.deepStrictEqual(
        edits.map((r) => `${r.method} ${r.status}`),
        ['POST 409', 'PATCH 409'],
        'both edits reached the server and were refused',
      );
      const c = await client().get(id);
      assert.strictEqual(c.version, 2);
      assert.deepStrictEqual(c.customAttributes, [{ key: 'Owner', value: 'Respiratory therapy' }]);
      const v2 = await serverMappings(api, id, 2);
      assert.strictEqual(v2.length, 4);
      assert.strictEqual(targetsOf(v2, 'J45.20'), undefined);
      const state = (await sandbox('GET', '/__sandbox/state')) as { crosswalks: { versionsCreated: number } };
      assert.strictEqual(state.crosswalks.versionsCreated, 0);
      assert.match(desc(node), /^v2 · /);
    });

    it('refuses an over-long name and an unknown slug before any request is sent', async () => {
      const node = await crosswalkNode(SEEDS.vaccines.identifier);
      await sandbox('DELETE', '/__sandbox/requests');
      let created: unknown = 'not run';
      let added: unknown = 'not run';
      const shown = await notificationsDuring(async () => {
        created = await run(Commands.crosswalksCreate, { name: 'x'.repeat(501) });
        added = await run(
          Commands.crosswalksAddMappings,
          node,
          [
            {
              sourceCode: '141',
              sourceCodeSystem: 'cvx',
              targetCodeSystem: 'hcpcs2020',
              targets: [{ targetCode: 'G0008' }],
            },
          ],
          { sendInvalid: true },
        );
      });
      assert.strictEqual(created, undefined);
      assert.strictEqual(added, undefined);
      assert.deepStrictEqual(await crosswalkRequests(), []);
      assert.strictEqual(shown.length, 2, shown.join('\n'));
      assert.match(shown[0]!, /^Error: The crosswalk was not sent: .*500/);
      assert.match(shown[1]!, /^Error: The mappings were not sent: .*hcpcs2020/);
      assert.strictEqual((await children()).filter(isCrosswalk).length, 4, 'nothing was created');
    });
  });

  describe('tables, files and comparisons', () => {
    it('opens a version as a CSV table with a row per target', async () => {
      const result = await run<{ uri: vscode.Uri; mappings: number; complete: boolean }>(
        Commands.crosswalksOpenTable,
        { identifier: SEEDS.vaccines.identifier, version: 1 },
        'csv',
      );
      assert.ok(result);
      assert.deepStrictEqual([result.mappings, result.complete], [12, true]);
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.uri.toString());
      assert.ok(doc, 'the table is open');
      assert.ok(doc.isUntitled === false && doc.uri.scheme === 'clinical-coder-crosswalk');
      const text = await textWhen(doc, (t) => t.trimEnd().split(/\r?\n/).length === 15);
      const lines = text.trimEnd().split(/\r?\n/);
      assert.strictEqual(
        lines[0],
        'sourceCodeSystem,sourceCode,sourceDisplay,targetCodeSystem,targetCode,targetDisplay,codeIdentifier,attr:Type',
      );
      assert.strictEqual(lines.length, 1 + 14, 'a header and 14 targets');
      assert.strictEqual(doc.languageId, 'csv');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('exports a version to CSV and to a FHIR ConceptMap', async () => {
      const ref = { identifier: SEEDS.vaccines.identifier, version: 1 };
      const csvFile = path.join(tmp, 'vaccines.csv');
      const csv = await run<{ file: string; mappings: number; targets: number; pages: number }>(
        Commands.crosswalksExportCsv,
        ref,
        csvFile,
      );
      assert.deepStrictEqual(csv, { file: csvFile, mappings: 12, targets: 14, pages: 2 });
      const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(csvFile, 'utf8'), {
        header: true,
        skipEmptyLines: true,
      });
      assert.deepStrictEqual(parsed.errors, []);
      assert.strictEqual(parsed.data.length, 14);
      const q2038 = parsed.data.find((r) => r.targetCode === 'Q2038');
      assert.ok(q2038);
      assert.deepStrictEqual(
        [q2038.sourceCodeSystem, q2038.sourceCode, q2038.targetCodeSystem, q2038['attr:Type']],
        ['cvx', '141', 'hcpcs', 'Product'],
      );
      assert.deepStrictEqual(fs.readdirSync(tmp), ['vaccines.csv'], 'no temporary file left');

      const mapFile = path.join(tmp, 'vaccines.conceptmap.json');
      const exported = await run<{ mappings: number }>(Commands.crosswalksExportConceptMap, ref, mapFile);
      assert.strictEqual(exported?.mappings, 12);
      const map = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as {
        resourceType: string;
        status: string;
        version: string;
        group: { source: string; target: string; element: { code: string; target: { code: string }[] }[] }[];
      };
      assert.strictEqual(map.resourceType, 'ConceptMap');
      assert.strictEqual(map.version, '1');
      assert.strictEqual(map.group.length, 1);
      const [group] = map.group;
      assert.strictEqual(group!.source, 'http://hl7.org/fhir/sid/cvx');
      assert.strictEqual(group!.target, 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets');
      assert.strictEqual(group!.element.length, 12);
      assert.strictEqual(
        group!.element.reduce((n, e) => n + e.target.length, 0),
        14,
      );
    });

    it('exports the 2,171 conversions to CSV, every row once', async () => {
      const file = path.join(tmp, 'conversions.csv');
      const started = Date.now();
      const r = await run<{ mappings: number; targets: number; pages: number }>(
        Commands.crosswalksExportCsv,
        { identifier: SEEDS.conversions.identifier },
        file,
      );
      const ms = Date.now() - started;
      assert.ok(r);
      assert.deepStrictEqual([r.mappings, r.pages], [2171, 218]);
      const rows = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8'), {
        header: true,
        skipEmptyLines: true,
      }).data;
      assert.strictEqual(rows.length, r.targets);
      assert.strictEqual(new Set(rows.map((x) => `${x.sourceCode}>${x.targetCode}`)).size, rows.length);
      assert.strictEqual(new Set(rows.map((x) => x.sourceCode)).size, 2171);
      console.log(`    exported 2171 mappings (${r.targets} rows) in ${ms} ms`);
    });

    it('imports a CSV with adds, a delete and an invalid row, and says which lines were applied', async () => {
      const id = SEEDS.vaccines.identifier;
      const file = path.join(tmp, 'import.csv');
      fs.writeFileSync(
        file,
        [
          'sourceCodeSystem,sourceCode,targetCodeSystem,targetCode,action',
          'cvx,150,hcpcs,Q2035,add',
          'cvx,45,hcpcs,G0010,',
          'cvx,141,hcpcs,Q2038,delete',
          'cvx,158,nosuch,G0008,add',
          '',
        ].join('\r\n'),
      );
      const outcome = await run<ImportOutcome>(Commands.crosswalksImport, { identifier: id }, file, {
        confirm: true,
      });
      assert.ok(outcome);
      assert.deepStrictEqual(outcome.applied, [2, 3, 4]);
      assert.deepStrictEqual(outcome.notApplied, []);
      assert.deepStrictEqual(
        outcome.invalid.map((i) => i.line),
        [5],
      );
      assert.match(outcome.invalid[0]!.reason, /unknown targetCodeSystem "nosuch"/i);
      assert.strictEqual(outcome.failure, undefined);
      assert.strictEqual(outcome.latest, 3, 'one version for the adds, one for the delete');
      const v3 = await serverMappings(api, id, 3);
      assert.deepStrictEqual(targetsOf(v3, '150'), ['G0008', 'Q2035']);
      assert.deepStrictEqual(targetsOf(v3, '45'), ['G0010']);
      assert.deepStrictEqual(targetsOf(v3, '141'), ['G0008']);
      assert.match(desc(await crosswalkNode(id)), /^v3 · /);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('compares diabetes version 1 with version 3', async () => {
      const r = await run<{ before: number; after: number; counts: Record<string, number> }>(
        Commands.crosswalksCompare,
        { identifier: SEEDS.diabetes.identifier, version: 1 },
        3,
      );
      assert.ok(r);
      assert.deepStrictEqual([r.before, r.after], [1, 3]);
      assert.deepStrictEqual(r.counts, {
        pairsInA: 9,
        pairsInB: 14,
        added: 2,
        removed: 0,
        gained: 4,
        lost: 1,
        retargetedSources: 3,
        attributesChanged: 0,
        unchanged: 8,
      });
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'a diff editor is open');
      assert.match(tab.label, /version 1 ↔ 3/);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('finds the crosswalks that map a code', async () => {
      const found = await run<string[]>(Commands.crosswalksFindForCode, { slug: 'cvx', code: '141' });
      assert.deepStrictEqual(found, [SEEDS.vaccines.identifier]);
      const nodes = await children();
      assert.deepStrictEqual(nodes.filter(isCrosswalk).map(label), [SEEDS.vaccines.name]);

      const two = await run<string[]>(Commands.crosswalksFindForCode, { system: 'icd10cm', code: 'E11.9' });
      assert.deepStrictEqual(two?.sort(), [SEEDS.conversions.identifier, SEEDS.diabetes.identifier].sort());
      const none = await run<string[]>(Commands.crosswalksFindForCode, { slug: 'icd10cm', code: 'Z99.89' });
      assert.deepStrictEqual(none, []);
    });
  });
});
