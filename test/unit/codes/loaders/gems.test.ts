import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { loadGem, parseGemFlags } from '../../../../src/core/codes/loaders/gems';

const DATA = path.join(__dirname, '../../../../sandbox/data/gems');
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(path.join(DATA, p)));

describe('loaders: GEMs', () => {
  it('forward GEM (ICD-9-CM → ICD-10-CM, FY2018): 24,860 rows, 14,567 sources, 422 no-map rows', () => {
    const r = loadGem(bytes('2018_I9gem.txt'), 'icd9-to-icd10', { fileName: '2018_I9gem.txt' });
    assert.deepStrictEqual(r.rejected, []);
    assert.deepStrictEqual(
      [r.counts.rows, r.counts.sources, r.counts.noMapRows, r.counts.targets],
      [24860, 14567, 422, 17513],
    );
    assert.strictEqual(r.system, 'icd9cm-dx');
    assert.strictEqual(r.release.id, 'gem-i9-i10-FY2018');
    const by = new Map(r.mappings!.map((m) => [m.source, m]));
    assert.deepStrictEqual(by.get('0010'), {
      source: '0010',
      noMap: false,
      targets: [
        { code: 'A000', approximate: false, noMap: false, combination: false, scenario: 0, choiceList: 0 },
      ],
    });
    assert.deepStrictEqual(
      by.get('340')!.targets.map((t) => t.code),
      ['G35'],
    );
    assert.deepStrictEqual(
      by.get('7242')!.targets.map((t) => t.code),
      ['M545'],
    );
    assert.strictEqual(r.mappings!.filter((m) => m.noMap).length, 422);
    assert.ok(r.mappings!.every((m) => m.noMap === (m.targets.length === 0)));
  });

  it('backward GEM (ICD-10-CM → ICD-9-CM): 81,593 rows, 71,704 sources; the one lower-case target is upper-cased', () => {
    const r = loadGem(bytes('2018_I10gem.txt'), 'icd10-to-icd9', { fileName: '2018_I10gem.txt' });
    assert.deepStrictEqual(r.rejected, []);
    assert.deepStrictEqual(
      [r.counts.rows, r.counts.sources, r.counts.noMapRows, r.counts.caseNormalised],
      [81593, 71704, 731, 1],
    );
    const t = r.mappings!.find((m) => m.source === 'T8853XD')!;
    assert.ok(t.targets.some((x) => x.code === 'V5889'));
    // combination entries keep scenario and choice list
    assert.ok(
      r.mappings!.some((m) => m.targets.some((x) => x.combination && x.scenario > 0 && x.choiceList > 0)),
    );
  });

  it('flags and malformed rows', () => {
    assert.deepStrictEqual(parseGemFlags('10112'), {
      approximate: true,
      noMap: false,
      combination: true,
      scenario: 1,
      choiceList: 2,
    });
    assert.strictEqual(parseGemFlags('1011'), undefined);
    const r = loadGem(
      '0010  A000    00000\n0011 A001\n0012  NoDx    00000\n0013  A00!    00000\n0014  NoDx    11000\n0015  A001    1000\n',
      'icd9-to-icd10',
    );
    assert.deepStrictEqual(
      r.mappings!.map((m) => m.source),
      ['0010', '0014'],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [2, 'expected 3 columns (source target flags), found 2'],
        [3, 'target NoDx without the no-map flag'],
        [4, "'A00!' is not a code"],
        [6, "flags '1000' are not 5 GEM flag digits"],
      ],
    );
  });
});
