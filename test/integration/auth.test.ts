import * as assert from 'assert';
import { createHash } from 'crypto';
import * as vscode from 'vscode';
import { Commands, ContextKeys, EXTENSION_ID } from '../../src/constants';
import type { ClinicalCoderApi } from '../../src/extension';

// Sign-in, sign-out, credentials per environment and Test IMO Connection in the real extension
// host, against the sandbox started by runTest (SANDBOX_URL and its demo credentials in the env).
const SANDBOX_URL = process.env.SANDBOX_URL ?? '';
const CLIENT_ID = process.env.IMO_CLIENT_ID ?? '';
const CLIENT_SECRET = process.env.IMO_CLIENT_SECRET ?? '';
const AUDIENCE = 'https://api.imohealth.com';

const fingerprint = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 16);
const config = () => vscode.workspace.getConfiguration('clinicalCoder');

describe('IMO sign-in and credentials', function () {
  let api: ClinicalCoderApi;
  let hooks: NonNullable<ClinicalCoderApi['testHooks']>;

  const signedIn = () => api.contextValue(ContextKeys.signedIn);
  const stored = (env: string, kind: 'clientId' | 'clientSecret' | 'accessToken') =>
    hooks.credentialFingerprint('imo', env, kind);

  before(async function () {
    assert.ok(SANDBOX_URL, 'runTest passes SANDBOX_URL');
    assert.ok(CLIENT_ID && CLIENT_SECRET, 'runTest passes the sandbox demo credentials');
    const ext = vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    assert.ok(api.testHooks, 'CLINICAL_CODER_TEST_HOOKS=1 is set by runTest');
    hooks = api.testHooks;
    await config().update(
      'imo.environments',
      {
        local: { baseUrl: SANDBOX_URL, audience: AUDIENCE },
        'local-b': { baseUrl: SANDBOX_URL, audience: AUDIENCE },
        'wrong-audience': { baseUrl: SANDBOX_URL, audience: 'https://example.invalid' },
      },
      vscode.ConfigurationTarget.Global,
    );
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'local-b');
    await vscode.commands.executeCommand(Commands.signOut);
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'local');
    await vscode.commands.executeCommand(Commands.signOut);
    await api.refresh();
  });

  after(async () => {
    await config().update('imo.environments', undefined, vscode.ConfigurationTarget.Global);
    await config().update('imo.environment', undefined, vscode.ConfigurationTarget.Global);
  });

  it('starts signed out, with the status bar saying so', async () => {
    assert.strictEqual(signedIn(), false);
    assert.strictEqual(api.contextValue(ContextKeys.imoEnvironment), 'local');
    assert.match(api.statusBarText(), /IMO: local \(signed out\)/);
    assert.strictEqual(await stored('local', 'clientSecret'), undefined);
  });

  it('signs in with the sandbox demo credentials, stores them and flips the context key', async () => {
    const ok = await vscode.commands.executeCommand(Commands.signIn, {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    assert.strictEqual(ok, true);
    assert.strictEqual(await stored('local', 'clientId'), fingerprint(CLIENT_ID));
    assert.strictEqual(await stored('local', 'clientSecret'), fingerprint(CLIENT_SECRET));
    assert.ok(await stored('local', 'accessToken'), 'the verified token is cached in SecretStorage');
    assert.strictEqual(signedIn(), true);
    assert.match(api.statusBarText(), /IMO: local$/);
  });

  it('Test IMO Connection returns the session id the sandbox issued', async () => {
    const sessionId = await vscode.commands.executeCommand<string>(Commands.testConnection);
    assert.match(sessionId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const state = (await (await fetch(`${SANDBOX_URL}/__sandbox/state`)).json()) as {
      imo: { lastSessionId?: string };
    };
    assert.strictEqual(sessionId, state.imo.lastSessionId);
  });

  it('a wrong secret is refused and leaves the previous credentials untouched', async () => {
    const result = await vscode.commands.executeCommand(Commands.signIn, {
      clientId: CLIENT_ID,
      clientSecret: `${CLIENT_SECRET}-wrong`,
    });
    assert.strictEqual(result, undefined, 'the command failed');
    assert.strictEqual(await stored('local', 'clientSecret'), fingerprint(CLIENT_SECRET));
    assert.strictEqual(signedIn(), true);
    assert.ok(
      await vscode.commands.executeCommand<string>(Commands.testConnection),
      'the old sign-in still works',
    );
  });

  it('a wrong audience is refused and stores nothing', async () => {
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'wrong-audience');
    const result = await vscode.commands.executeCommand(Commands.signIn, {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    assert.strictEqual(result, undefined);
    assert.strictEqual(await stored('wrong-audience', 'clientSecret'), undefined);
    assert.strictEqual(signedIn(), false);
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'local');
    assert.strictEqual(signedIn(), true);
  });

  it('switching environment switches credentials', async () => {
    const name = await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'local-b');
    assert.strictEqual(name, 'local-b');
    assert.strictEqual(signedIn(), false, 'local-b has no credentials of its own');
    assert.match(api.statusBarText(), /IMO: local-b \(signed out\)/);
    const noSession = await vscode.commands.executeCommand(Commands.testConnection);
    assert.strictEqual(noSession, undefined, 'no token of another environment is used');

    await vscode.commands.executeCommand(Commands.signIn, {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
    });
    assert.strictEqual(signedIn(), true);
    await vscode.commands.executeCommand(Commands.signOut);
    assert.strictEqual(await stored('local-b', 'clientSecret'), undefined);

    await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'local');
    assert.strictEqual(signedIn(), true, 'signing out of local-b kept local signed in');
    assert.strictEqual(await stored('local', 'clientSecret'), fingerprint(CLIENT_SECRET));
  });

  it('Sign Out removes the secrets and flips the context key back', async () => {
    assert.strictEqual(await vscode.commands.executeCommand(Commands.signOut), true);
    for (const kind of ['clientId', 'clientSecret', 'accessToken'] as const) {
      assert.strictEqual(await stored('local', kind), undefined, kind);
    }
    assert.strictEqual(signedIn(), false);
    assert.match(api.statusBarText(), /signed out/);
  });
});

describe('Codify token and Heim key', () => {
  let api: ClinicalCoderApi;
  before(async () => {
    api = await vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!.activate();
  });
  after(async () => {
    await config().update('heim.environments', undefined, vscode.ConfigurationTarget.Global);
    await config().update('heim.environment', undefined, vscode.ConfigurationTarget.Global);
  });

  it('rejects a Heim key without a test_/live_ prefix and stores nothing', async () => {
    const before = await api.testHooks!.credentialFingerprint('heim', 'default', 'apiKey');
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setHeimKey, 'sk_123456'), undefined);
    assert.strictEqual(await api.testHooks!.credentialFingerprint('heim', 'default', 'apiKey'), before);
  });

  it('stores a test key, then marks a live key plainly', async () => {
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setHeimKey, 'test_k1.abc'), true);
    assert.strictEqual(api.contextValue(ContextKeys.heimMode), 'test');
    assert.doesNotMatch(api.statusBarText(), /LIVE/);
    assert.match(api.statusBarText(), /Heim: test/);
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setHeimKey, 'live_k2.abc'), true);
    assert.strictEqual(api.contextValue(ContextKeys.heimMode), 'live');
    assert.match(api.statusBarText(), /Heim: LIVE/);
    assert.strictEqual(
      await api.testHooks!.credentialFingerprint('heim', 'default', 'apiKey'),
      fingerprint('live_k2.abc'),
    );
  });

  it('keeps a separate Codify token per environment', async () => {
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'development');
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setCodifyToken, 'dev-token-1'), true);
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'production');
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setCodifyToken, 'prod-token-2'), true);
    const fp = (env: string) => api.testHooks!.credentialFingerprint('codify', env, 'token');
    assert.strictEqual(await fp('development'), fingerprint('dev-token-1'));
    assert.strictEqual(await fp('production'), fingerprint('prod-token-2'));
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'development');
  });
});
