/**
 * The extension under development loads and activates inside a real VS Code 1.100 extension host
 * (code-server's Node extension host; see test/integration/runTest.ts).
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { DISPLAY_NAME, EXTENSION_ID } from '../../src/constants';

describe('activation', () => {
  it('runs in VS Code 1.100.x', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it('opens the fixture workspace', () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepStrictEqual(
      folders.map((f) => path.basename(f.uri.fsPath)),
      ['workspace'],
    );
  });

  it(`finds ${EXTENSION_ID}, loaded from this working tree`, () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not among the installed extensions`);
    assert.strictEqual(ext.packageJSON.displayName, DISPLAY_NAME);
    // out/test/integration/activation.test.js -> the project root (extensionDevelopmentPath)
    assert.strictEqual(path.resolve(ext.extensionPath), path.resolve(__dirname, '..', '..', '..'));
  });

  it('activates without throwing', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });
});
