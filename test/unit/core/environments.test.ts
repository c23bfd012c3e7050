import * as assert from 'assert';
import {
  findEnvironment,
  heimModeOf,
  parseEnvironments,
  validateCredential,
  validateHeimKey,
} from '../../../src/core/environments';

describe('core/environments', () => {
  it('parses, sorts and normalises environments', () => {
    const { environments, problems } = parseEnvironments({
      production: { baseUrl: 'https://api.imohealth.com/', audience: 'https://api.imohealth.com' },
      local: { baseUrl: 'http://127.0.0.1:4010' },
    });
    assert.deepStrictEqual(problems, []);
    assert.deepStrictEqual(
      environments.map((e) => [e.name, e.baseUrl, e.production]),
      [
        ['local', 'http://127.0.0.1:4010', false],
        ['production', 'https://api.imohealth.com', true],
      ],
    );
    assert.strictEqual(findEnvironment(environments, 'production')?.audience, 'https://api.imohealth.com');
  });

  it('reports bad entries instead of using them', () => {
    const { environments, problems } = parseEnvironments({
      evil: { baseUrl: 'ftp://x' },
      creds: { baseUrl: 'https://user:pw@host' },
      notObject: 'https://x',
      dev: { baseUrl: '' },
    });
    assert.deepStrictEqual(
      environments.map((e) => e.name),
      ['dev'],
    );
    assert.strictEqual(problems.length, 3);
    assert.deepStrictEqual(parseEnvironments(['x']).problems, ['the setting is not an object']);
  });

  it('honours an explicit production flag over the name', () => {
    const { environments } = parseEnvironments({
      live: { baseUrl: '', production: false },
      x: { production: true },
    });
    assert.deepStrictEqual(
      environments.map((e) => e.production),
      [false, true],
    );
  });

  it('tells Heim test keys from live keys and rejects others', () => {
    assert.strictEqual(heimModeOf('test_abc.def'), 'test');
    assert.strictEqual(heimModeOf('live_abc'), 'live');
    assert.strictEqual(heimModeOf('sk_abc'), undefined);
    assert.strictEqual(heimModeOf('test_'), undefined);
    assert.match(validateHeimKey('abc') ?? '', /test_.*live_/);
    assert.match(validateHeimKey('test_a b') ?? '', /spaces/);
    assert.strictEqual(validateHeimKey(' live_k1 '), undefined);
  });

  it('validates pasted credentials', () => {
    assert.match(validateCredential('client secret', '  ') ?? '', /Enter the client secret/);
    assert.match(validateCredential('client ID', 'ab cd') ?? '', /copied whole/);
    assert.strictEqual(validateCredential('client ID', ' abc '), undefined);
  });
});
