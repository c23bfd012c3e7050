import * as assert from 'assert';
import { ImoAuth } from '../../../src/api/imoAuth';
import { NormalizeClient, createImoApiClient } from '../../../src/api/normalize';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { expectApiError, recordingLogger } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const SESSION = '/precision/normalize/session';

describe('api/normalize', () => {
  let sb: Sandbox;
  let normalize: NormalizeClient;
  let log: ReturnType<typeof recordingLogger>;

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    log = recordingLogger();
    const auth = new ImoAuth({
      baseUrl: () => sb.url,
      userAgent: UA,
      audience: () => sb.credentials.IMO_AUDIENCE,
      getCredentials: async () => ({
        clientId: sb.credentials.IMO_CLIENT_ID,
        clientSecret: sb.credentials.IMO_CLIENT_SECRET,
      }),
      logger: log,
    });
    normalize = new NormalizeClient(
      createImoApiClient({
        auth,
        baseUrl: () => sb.url,
        userAgent: UA,
        logger: log,
        retry: { baseDelayMs: 5 },
      }),
    );
  });

  it('creates a session and returns the id the sandbox issued', async () => {
    const { sessionId } = await normalize.getSession();
    assert.match(sessionId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.strictEqual((sb.state().imo as { lastSessionId: string }).lastSessionId, sessionId);
    assert.deepStrictEqual(
      sb.requests.map((r) => `${r.method} ${r.path} ${r.status}`),
      ['POST /oauth/token 200', `GET ${SESSION} 200`],
    );
  });

  it('reuses the token across calls', async () => {
    await normalize.getSession();
    await normalize.getSession();
    assert.strictEqual(sb.count('POST', '/oauth/token'), 1);
    assert.strictEqual(sb.count('GET', SESSION), 2);
  });

  it('reports a session body of the wrong shape as invalidResponse', async () => {
    sb.faults.add({ type: 'malformed', method: 'GET', path: SESSION, variant: 'wrongShape', times: 1 });
    const e = await expectApiError(normalize.getSession(), 'invalidResponse');
    assert.match(e.message, /session_id/);
  });

  it('never logs the token, the secret or the session id', async () => {
    const { sessionId } = await normalize.getSession();
    const all = log.lines.join('\n');
    assert.ok(log.lines.length >= 2);
    assert.ok(!all.includes(sb.credentials.IMO_CLIENT_SECRET));
    assert.ok(!all.includes(sessionId));
    assert.ok(!/Bearer/i.test(all));
  });
});
