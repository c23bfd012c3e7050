import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { loadSnomedDescriptions } from '../../../../src/core/codes/loaders/snomedRf2';

const FIXTURE = path.join(__dirname, 'fixtures/sct2_Description_Snapshot-en_INT_20240101.txt');

describe('loaders: SNOMED CT RF2 descriptions (fixture in the real format)', () => {
  it('one entry per concept: FSN as title, first active synonym as short, inactive descriptions dropped', () => {
    const r = loadSnomedDescriptions(new Uint8Array(readFileSync(FIXTURE)));
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.counts.lines, 11);
    assert.strictEqual(r.counts.descriptions, 10);
    assert.strictEqual(r.counts.inactive, 2);
    const by = new Map(r.entries.map((e) => [e.code, e]));
    assert.deepStrictEqual([...by.keys()].sort(), ['22298006', '38341003', '44054006']);
    assert.deepStrictEqual(by.get('22298006'), {
      code: '22298006',
      title: 'Myocardial infarction (disorder)',
      short: 'Myocardial infarction',
      extra: { synonyms: 'Myocardial infarction | Heart attack' },
    });
    assert.strictEqual(by.get('38341003')!.extra!.synonyms, 'Hypertensive disorder | Hipertensión');
    assert.deepStrictEqual(r.release, { id: 'snomedct-20190131', label: 'SNOMED CT 20190131' });
  });

  it('filters by language and keeps the latest row of a description in a Full file', () => {
    const r = loadSnomedDescriptions(readFileSync(FIXTURE, 'utf-8'), { languageCode: 'en' });
    assert.strictEqual(
      r.entries.find((e) => e.code === '38341003')!.extra!.synonyms,
      'Hypertensive disorder',
    );
    const full = [
      'id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId',
      '37442013\t20020131\t1\t900000000000207008\t22298006\ten\t900000000000003001\tOld name (disorder)\t900000000000448009',
      '37442013\t20200131\t1\t900000000000207008\t22298006\ten\t900000000000003001\tNew name (disorder)\t900000000000448009',
    ].join('\n');
    assert.strictEqual(loadSnomedDescriptions(full).entries[0]!.title, 'New name (disorder)');
  });

  it('rejects malformed rows with reasons', () => {
    const text = [
      'id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId',
      '754726018\t20020131\t1\t900000000000207008\t22298006\ten\t900000000000003001\tOK (disorder)\t900000000000448009',
      '754726018 20020131 1 900000000000207008 22298006 en 900000000000003001 spaces 900000000000448009',
      '0\t20020131\t1\t900000000000207008\t22298006\ten\t900000000000003001\tbad id\t900000000000448009',
      '754726019\t2002-01-31\t1\t900000000000207008\t22298006\ten\t900000000000003001\tbad date\t900000000000448009',
      '754726020\t20020131\t2\t900000000000207008\t22298006\ten\t900000000000003001\tbad active\t900000000000448009',
    ].join('\r\n');
    const r = loadSnomedDescriptions(text);
    assert.strictEqual(r.entries.length, 1);
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [3, 'expected 9 tab-separated fields, found 1'],
        [4, 'id or conceptId is not an SCTID'],
        [5, "effectiveTime '2002-01-31' is not yyyymmdd"],
        [6, "active '2' is not 0 or 1"],
      ],
    );
  });
});
