import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../../src/constants';
import type { ClinicalCoderApi } from '../../src/extension';
import { signInToSandbox } from './support';
import { DOWNLOAD_SLUGS as S } from '../../sandbox/services/download';

// The Releases tree and downloads in the real extension host, against the sandbox started by
// runTest (SANDBOX_URL and the demo credentials in the environment).
const SANDBOX_URL = process.env.SANDBOX_URL ?? '';
const root = path.resolve(__dirname, '..', '..', '..');
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

type Node = { id: string; parent?: Node; getTreeItem(): vscode.TreeItem; getChildren(): Promise<Node[]> };
const label = (n: Node) => String(n.getTreeItem().label);
const ctxValue = (n: Node) => n.getTreeItem().contextValue ?? '';

async function sandboxControl(method: string, p: string, body?: unknown): Promise<void> {
  const res = await fetch(`${SANDBOX_URL}${p}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.ok, `${method} ${p}: ${res.status}`);
}

describe('Releases tree and downloads', function () {
  this.timeout(60_000);
  let api: ClinicalCoderApi;
  let tmp: string;
  const children = (n?: Node) =>
    (n ? n.getChildren() : (api.releases.tree.getChildren() as Promise<Node[]>)) as Promise<Node[]>;
  const child = async (parent: Node | undefined, text: string) => {
    const found = (await children(parent)).find((c) => label(c) === text);
    assert.ok(found, `"${text}" under ${parent ? label(parent) : 'the root'}`);
    return found;
  };

  before(async () => {
    api = await vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!.activate();
    await signInToSandbox();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-releases-'));
  });

  after(async () => {
    await sandboxControl('DELETE', '/__sandbox/faults');
    await vscode.commands.executeCommand(Commands.signOut);
    const config = vscode.workspace.getConfiguration('clinicalCoder');
    await config.update('imo.environments', undefined, vscode.ConfigurationTarget.Global);
    await config.update('imo.environment', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the products, with their Release Notes links as actions', async () => {
    const products = (await children()).map(label);
    for (const p of ['ICD-10-CM', 'ICD-10-PCS', 'HCPCS', 'CVX', 'ICD-9-CM', 'GEMs'])
      assert.ok(products.includes(p), p);
    assert.match(ctxValue(await child(undefined, 'ICD-10-CM')), /\.menu/);
  });

  it('expands ICD-10-CM down to the FY2026 files with their sizes', async () => {
    const cm = await child(undefined, 'ICD-10-CM');
    const sub = await child(cm, 'ICD-10-CM Code Descriptions');
    const version = await child(sub, 'FY2026 (October 2025)');
    assert.match(String(version.getTreeItem().description), /effective 2025-10-01/);
    const files = await children(version);
    const order = files.find((f) => label(f) === 'icd10cm-order-2026.txt');
    assert.ok(order, files.map(label).join(', '));
    assert.strictEqual(order.getTreeItem().description, '15 MB');
    const a11y = order.getTreeItem().accessibilityInformation?.label ?? '';
    assert.strictEqual(a11y, 'icd10cm-order-2026.txt, 15 MB');
  });

  it('pages the 60 monthly versions: Load more, then Load all, newest first', async () => {
    const core = await child(undefined, 'IMO Core');
    const monthly = (await children(core)).find((n) => n.id.endsWith(`/${S.imoCore.monthly}`));
    assert.ok(monthly);
    let nodes = await children(monthly);
    const versions = () => nodes.filter((n) => ctxValue(n) === 'version');
    assert.strictEqual(versions().length, 10);
    const more = nodes.find((n) => ctxValue(n) === 'loadMore');
    assert.ok(more, 'a Load more… node');
    assert.strictEqual(more.getTreeItem().description, '50 more');
    await vscode.commands.executeCommand(Commands.releasesLoadMore, monthly);
    nodes = await children(monthly);
    assert.strictEqual(versions().length, 20);
    await vscode.commands.executeCommand(Commands.releasesLoadAll, monthly);
    nodes = await children(monthly);
    assert.strictEqual(versions().length, 60);
    assert.ok(!nodes.some((n) => ctxValue(n) === 'loadMore'), 'nothing more to load');
    assert.strictEqual(label(versions()[0]), '2025 October');
    const dates = versions().map((v) => String(v.getTreeItem().description));
    assert.deepStrictEqual([...dates].sort().reverse(), dates, 'newest first');

    await vscode.commands.executeCommand(Commands.releasesFilter, monthly, '2024');
    nodes = await children(monthly);
    assert.strictEqual(versions().length, 12);
    assert.ok(versions().every((v) => label(v).startsWith('2024 ')));
    await vscode.commands.executeCommand(Commands.releasesFilter, monthly, 'no such month');
    nodes = await children(monthly);
    assert.deepStrictEqual(nodes.map(label), ['No versions match "no such month"']);
    await vscode.commands.executeCommand(Commands.releasesClearFilter, monthly);
  });

  it('says so when a sub-product has no versions', async () => {
    const core = await child(undefined, 'IMO Core');
    const empty = (await children(core)).find((n) => n.id.endsWith(`/${S.imoCore.empty}`));
    assert.ok(empty);
    assert.deepStrictEqual((await children(empty)).map(label), ['No versions']);
  });

  it('shows a failed load as an error node, and Retry recovers', async () => {
    const versionsPath = `/download/v2/products/${S.cvx.product}/sub-products/${S.cvx.vaccines}/versions`;
    await sandboxControl('POST', '/__sandbox/faults', {
      type: 'status',
      status: 503,
      path: versionsPath,
      times: 4, // the first try and its 3 retries
      traceRequestId: 'trace-integration-503',
    });
    const cvx = await child(undefined, 'CVX');
    const sub = await child(cvx, 'CVX Vaccines Administered');
    const [error] = await children(sub);
    assert.match(label(error), /^Couldn't load versions: IMO answered 503/);
    assert.strictEqual(ctxValue(error), 'error.trace');
    await vscode.commands.executeCommand(Commands.releasesRetry, error);
    assert.deepStrictEqual((await children(sub)).map(label), ['2020 November']);
  });

  it('downloads a real file whose sha256 matches the source and records it', async () => {
    const ref = {
      productSlug: S.cvx.product,
      subProductSlug: S.cvx.vaccines,
      versionSlug: S.cvx.nov2020,
      file: 'cvx.txt',
    };
    const records = await vscode.commands.executeCommand<{ path: string; sha256: string; size: number }[]>(
      Commands.downloadFile,
      ref,
      { targetDir: tmp, overwrite: true },
    );
    assert.strictEqual(records?.length, 1);
    const [r] = records;
    const source = path.join(root, 'sandbox', 'data', 'cvx', 'cvx.txt');
    assert.strictEqual(r.sha256, sha256(source));
    assert.strictEqual(sha256(r.path), sha256(source));
    assert.strictEqual(r.path, path.join(tmp, S.cvx.product, S.cvx.vaccines, S.cvx.nov2020, 'cvx.txt'));
    assert.deepStrictEqual(fs.readdirSync(path.dirname(r.path)), ['cvx.txt'], 'no .part file left');
    const manifest = await api.releases.manifest.read();
    assert.ok(manifest.downloads.some((d) => d.path === r.path && d.sha256 === r.sha256));

    const mtime = fs.statSync(r.path).mtimeMs;
    const again = await vscode.commands.executeCommand<unknown[]>(Commands.downloadFile, ref, {
      targetDir: tmp,
      overwrite: false,
    });
    assert.deepStrictEqual(again, [], 'kept the existing file');
    assert.strictEqual(fs.statSync(r.path).mtimeMs, mtime);
  });

  it('announces a version newer than the last one seen of a watched sub-product, once', async () => {
    const newest = (await api.releases.tree.client.listVersions(S.imoCore.product, S.imoCore.monthly, 1))
      .items[0];
    const watched = {
      productSlug: S.imoCore.product,
      productName: 'IMO Core',
      subProductSlug: S.imoCore.monthly,
      subProductName: 'Problem Terminology Monthly',
      lastSeen: 'an-older-version',
    };
    await api.releases.watcher.watch(watched);
    try {
      assert.deepStrictEqual(await vscode.commands.executeCommand(Commands.checkForNewReleases), [
        { subProduct: S.imoCore.monthly, version: newest.version_slug },
      ]);
      assert.deepStrictEqual(
        await vscode.commands.executeCommand(Commands.checkForNewReleases),
        [],
        'told once',
      );
    } finally {
      await api.releases.watcher.unwatch(watched.productSlug, watched.subProductSlug);
    }
  });

  it('downloads every file of a version, saving hostile file names safely inside the folder', async () => {
    const records = await vscode.commands.executeCommand<{ path: string; fileName: string }[]>(
      Commands.downloadVersion,
      {
        productSlug: S.fixtures.product,
        subProductSlug: S.fixtures.hostile,
        versionSlug: S.fixtures.hostileVersion,
      },
      { targetDir: tmp, overwrite: true },
    );
    assert.ok(records && records.length >= 5, JSON.stringify(records));
    const dir = path.join(tmp, S.fixtures.product, S.fixtures.hostile, S.fixtures.hostileVersion);
    for (const r of records) {
      assert.strictEqual(path.dirname(r.path), dir, r.fileName);
      const control = [...r.fileName].some((ch) => ch.charCodeAt(0) < 32);
      assert.ok(!/[\\/]/.test(r.fileName) && !control && !r.fileName.startsWith('.'), r.fileName);
    }
    assert.ok(!fs.existsSync(path.join(os.homedir(), '.bashrc.cc-test')));
  });
});
