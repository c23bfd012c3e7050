import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { loadCvx } from '../../../../src/core/codes/loaders/cvx';

const FILE = path.join(__dirname, '../../../../sandbox/data/cvx/cvx.txt');

describe('loaders: CVX', () => {
  it('reads the 209 rows of the Nov-2020 table with their statuses; release from the newest update', () => {
    const r = loadCvx(new Uint8Array(readFileSync(FILE)));
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.entries.length, 209);
    assert.deepStrictEqual(
      [
        r.counts['status:Active'],
        r.counts['status:Inactive'],
        r.counts['status:Never Active'],
        r.counts['status:Non-US'],
      ],
      [89, 89, 16, 15],
    );
    assert.deepStrictEqual(r.release, { id: 'cvx-2020-11-16', label: 'CVX 2020-11-16' });
    const byCode = new Map(r.entries.map((e) => [e.code, e]));
    assert.deepStrictEqual(byCode.get('54'), {
      code: '54',
      title: 'adenovirus vaccine, type 4, live, oral',
      short: 'adenovirus, type 4',
      status: 'Inactive',
      extra: { nonvaccine: 'False', lastUpdated: '2010-05-28' },
    });
    for (const c of ['207', '208', '213', '801', '998', '999']) assert.ok(byCode.has(c), c);
    assert.ok(!byCode.has('210') && !byCode.has('300'));
    assert.match(byCode.get('82')!.extra!.notes!, /formulation is unknown/);
  });

  it('rejects malformed rows with reasons; skips a header row', () => {
    const text = [
      'CVX Code|CVX Short Description|Full Vaccine Name|Notes|VaccineStatus|nonvaccine|last_updated_date',
      '03        |MMR|measles, mumps and rubella virus vaccine||Active|False|2010/05/28',
      '03|MMR again|dup||Active|False|2010/05/28',
      'ABC|x|y||Active|False|2010/05/28',
      '04|x|y||Retired|False|2010/05/28',
      '05|too|few',
    ].join('\r\n');
    const r = loadCvx(text, { release: { id: 'cvx-test', label: 'test' } });
    assert.deepStrictEqual(
      r.entries.map((e) => e.code),
      ['03'],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [3, 'duplicate code 03'],
        [4, "'ABC' is not a CVX code (1-3 digits)"],
        [5, "unknown status 'Retired'"],
        [6, 'expected 7 pipe-separated fields, found 3'],
      ],
    );
    assert.strictEqual(r.release.id, 'cvx-test');
  });
});
