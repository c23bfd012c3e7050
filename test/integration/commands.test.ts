import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID } from '../../src/constants';
import type { ClinicalCoderApi } from '../../src/extension';

describe('contributions in the real extension host', () => {
  let ext: vscode.Extension<ClinicalCoderApi>;
  let api: ClinicalCoderApi;
  before(async () => {
    ext = vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!;
    api = await ext.activate();
  });

  it('registers every contributed command, and no unknown clinicalCoder command', async () => {
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[])
      .map((c) => c.command)
      .sort();
    const registered = (await vscode.commands.getCommands(true))
      .filter((c) => c.startsWith('clinicalCoder.'))
      .sort();
    assert.ok(contributed.length >= 9, `${contributed.length} commands contributed`);
    for (const c of contributed) assert.ok(registered.includes(c), `${c} is registered`);
    // view focus/toggle commands are VS Code's own; everything else must be contributed
    const ours = registered.filter(
      (c) => !/\.(focus|resetViewLocation|toggleVisibility|removeView|open)$/.test(c),
    );
    assert.deepStrictEqual(ours, contributed);
  });

  it('activates in under 50 ms (measured inside activate)', () => {
    console.log(`    activation time: ${api.activationMs.toFixed(2)} ms`);
    assert.ok(api.activationMs < 50, `activate() took ${api.activationMs} ms`);
  });

  it('shows the Connections view in its own container', async () => {
    await vscode.commands.executeCommand('clinicalCoder.connections.focus');
    assert.ok(api.statusBarText().includes('IMO'));
  });
});
