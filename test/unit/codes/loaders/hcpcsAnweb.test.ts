import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import type { CodeEntry, LoadResult } from '../../../../src/core/codes/loaders/types';
import { loadHcpcsAnweb } from '../../../../src/core/codes/loaders/hcpcsAnweb';

const DATA = path.join(__dirname, '../../../../sandbox/data');
const FILE = path.join(DATA, 'hcpcs/HCPC2020_ANWEB_w_disclaimer.txt');

/** Independent oracle: group the raw lines by code and record id, join trimmed segments with a space. */
function oracle(): Map<string, string> {
  const m = new Map<string, string[]>();
  for (const line of readFileSync(FILE, 'latin1').split('\r\n')) {
    const id = line[10];
    if (id !== '3' && id !== '4') continue;
    const code = line.slice(0, 5);
    const seg = line.slice(11, 91).trim();
    if (id === '3') m.set(code, [seg]);
    else if (seg) m.get(code)!.push(seg);
  }
  return new Map([...m].map(([k, v]) => [k, v.join(' ')]));
}

describe('loaders: HCPCS ANWEB', () => {
  let r: LoadResult;
  let codes: Map<string, CodeEntry>;
  let mods: Map<string, CodeEntry>;
  before(() => {
    r = loadHcpcsAnweb(new Uint8Array(readFileSync(FILE)), { fileName: 'HCPC2020_ANWEB_w_disclaimer.txt' });
    codes = new Map(r.entries.filter((e) => e.kind === undefined).map((e) => [e.code, e]));
    mods = new Map(r.entries.filter((e) => e.kind === 'modifier').map((e) => [e.code, e]));
  });

  it('reads 6,710 procedure codes and 369 modifiers from the 2020 file; the 9-line disclaimer is skipped', () => {
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(codes.size, 6710);
    assert.strictEqual(mods.size, 369);
    assert.strictEqual(r.counts.skipped, 9);
    assert.strictEqual(r.counts.continuations, 5280);
    assert.strictEqual(r.release.id, 'hcpcs-2020');
    assert.deepStrictEqual(
      [...new Set([...codes.keys()].map((c) => c[0]))].sort().join(''),
      'ABCEGHJKLMPQRSTV',
    );
  });

  it('every 2020 code resolves to its joined long description', () => {
    const want = oracle();
    assert.strictEqual(want.size, 6710);
    for (const [code, title] of want) assert.strictEqual(codes.get(code)?.title, title, code);
  });

  it('joins continuation lines (spot checks), keeping spaces inside a segment', () => {
    assert.strictEqual(
      codes.get('A4221')!.title,
      'Supplies for maintenance of non-insulin drug infusion catheter, per week (list drugs  separately)',
    );
    const g0503 = codes.get('G0503')!.title;
    assert.ok(
      g0503.startsWith(
        'Subsequent psychiatric collaborative care management, first 60 minutes in a subsequent month of behavioral',
      ),
    );
    assert.ok(g0503.endsWith('and are prepared for discharge from active treatment'));
    assert.strictEqual(
      mods.get('AT')!.title,
      'Acute treatment (this modifier should be used when reporting service 98940, 98941, 98942)',
    );
    assert.strictEqual(
      mods.get('AD')!.title,
      'Medical supervision by a physician: more than four concurrent anesthesia procedures',
    );
    assert.strictEqual(codes.get('A4206')!.short, '1 cc sterile syringe&needle');
  });

  it('reads dates and the action code; 615 records (codes and modifiers) carry a termination date', () => {
    assert.strictEqual(r.counts.terminated, 615);
    assert.deepStrictEqual(codes.get('A4206'), {
      code: 'A4206',
      title: 'Syringe with needle, sterile, 1 cc or less, each',
      short: '1 cc sterile syringe&needle',
      validFrom: '1985-01-01',
      extra: { actionEffectiveDate: '2008-01-01', actionCode: 'N' },
    });
    assert.strictEqual(mods.get('CP')!.validTo, '2017-12-31');
    assert.strictEqual(mods.get('AT')!.kind, 'modifier');
  });

  it('decodes Windows-1252 (0x92 is a right single quote) and rejects malformed records', () => {
    const rec = (code: string, seq: string, id: string, text: string): string =>
      (code + seq + id + text.padEnd(80) + 'Short'.padEnd(28)).padEnd(268) +
      '20200101' +
      '20200101' +
      '        ' +
      'N' +
      ' '.repeat(27);
    const lines = [
      'Disclaimer: CMS\x92s note',
      rec('A0001', '00100', '3', 'Patient\x92s first line of a long'),
      'A000100200' + '4' + 'description',
      'B000100200' + '4' + 'orphan continuation',
      'Z999900100x garbage record',
      rec('A0001', '00100', '3', 'Duplicate'),
      rec('a0002', '00100', '3', 'lower case'),
      'A000300100' + '3' + 'truncated first record',
    ];
    const enc = new Uint8Array(Buffer.from(lines.join('\r\n'), 'latin1'));
    const res = loadHcpcsAnweb(enc);
    assert.deepStrictEqual(
      res.entries.map((e) => [e.code, e.title]),
      [['A0001', 'Patient\u2019s first line of a long description']],
    );
    assert.deepStrictEqual(
      res.rejected.map((x) => [x.line, x.reason]),
      [
        [4, 'continuation of B0001 does not follow its first record'],
        [5, 'not an ANWEB record (expected code, 5-digit sequence and record id 3/4/7/8 in columns 1-11)'],
        [6, 'duplicate code A0001'],
        [7, "'a0002' is not a HCPCS code"],
        [8, 'first record is 33 bytes; expected 320'],
      ],
    );
    assert.strictEqual(res.counts.skipped, 1);
    // as the extension passes it (Latin-1-decoded text), and as already decoded text: the same
    for (const text of [lines.join('\r\n'), lines.join('\r\n').replace(/\x92/g, '\u2019')]) {
      const again = loadHcpcsAnweb(text);
      assert.deepStrictEqual(again.entries, res.entries);
      assert.deepStrictEqual(again.rejected, res.rejected);
    }
  });
});
