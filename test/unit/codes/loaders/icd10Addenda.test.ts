import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  loadIcd10CmCodesAddenda,
  loadIcd10CmOrderAddenda,
  loadIcd10PcsOrderAddenda,
} from '../../../../src/core/codes/loaders/icd10Addenda';

const DATA = path.join(__dirname, '../../../../sandbox/data');
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(path.join(DATA, p)));

describe('loaders: ICD-10 addenda', () => {
  it('CM order addenda FY2026: 630 adds (487 codes + 143 headers), 28 deletes, 45 revisions (38 + 7), summary skipped', () => {
    const r = loadIcd10CmOrderAddenda(bytes('icd10cm/icd10cm-order-addenda-2026.txt'), {
      fileName: 'icd10cm-order-addenda-2026.txt',
    });
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.counts.lines, 770);
    assert.strictEqual(r.counts.added, 630);
    assert.strictEqual(r.changes!.filter((c) => c.action === 'added' && c.billable).length, 487);
    assert.strictEqual(r.changes!.filter((c) => c.action === 'added' && !c.billable).length, 143);
    assert.strictEqual(r.counts.deleted, 28);
    assert.strictEqual(r.counts.revised, 45);
    assert.strictEqual(r.release.id, 'icd10cm-FY2026');
    // B88.0 deleted as a billable code and re-added as a header.
    assert.deepStrictEqual(
      r.changes!.filter((c) => c.code === 'B880').map((c) => [c.action, c.billable]),
      [
        ['deleted', true],
        ['added', false],
      ],
    );
    for (const code of ['G35', 'E7801', 'B880', 'Z91011'])
      assert.ok(
        r.changes!.some((c) => c.code === code && c.action === 'deleted'),
        code,
      );
    const rev = r.changes!.find((c) => c.code === 'L02212')!;
    assert.deepStrictEqual(rev, {
      action: 'revised',
      code: 'L02212',
      title: 'Cutaneous abscess of back [any part, except buttock and flank]',
      short: 'Cutaneous abscess of back',
      billable: true,
      previousTitle: 'Cutaneous abscess of back [any part, except buttock]',
      previousShort: 'Cutaneous abscess of back [any part, except buttock]',
      line: 86,
    });
    // entries = added + revised rows with their new titles
    assert.strictEqual(r.entries.length, 630 + 45);
  });

  it('CM codes addenda FY2026: 487 adds, 28 deletes, 38 revisions', () => {
    const r = loadIcd10CmCodesAddenda(bytes('icd10cm/icd10cm-codes-addenda-2026.txt'), {
      fileName: 'icd10cm-codes-addenda-2026.txt',
    });
    assert.deepStrictEqual(r.rejected, []);
    assert.deepStrictEqual([r.counts.added, r.counts.deleted, r.counts.revised], [487, 28, 38]);
    const add = r.changes!.find((c) => c.code === 'B8801')!;
    assert.deepStrictEqual(add, {
      action: 'added',
      code: 'B8801',
      title: 'Infestation by Demodex mites',
      line: 2,
    });
  });

  it('CM codes addenda agree with the order addenda on billable adds and deletes', () => {
    const o = loadIcd10CmOrderAddenda(bytes('icd10cm/icd10cm-order-addenda-2026.txt'));
    const c = loadIcd10CmCodesAddenda(bytes('icd10cm/icd10cm-codes-addenda-2026.txt'));
    const key = (xs: typeof o.changes): string[] => xs!.map((x) => `${x.action}:${x.code}:${x.title}`).sort();
    assert.deepStrictEqual(
      key(c.changes!.filter((x) => x.action !== 'revised')),
      key(o.changes!.filter((x) => x.action !== 'revised' && x.billable)),
    );
  });

  it('PCS order addenda FY2026 (no flag column): 160 adds (156 codes + 4 headers), 27 deletes, 1 short-title revision', () => {
    const r = loadIcd10PcsOrderAddenda(bytes('icd10pcs/order_addenda_2026.txt'), {
      fileName: 'order_addenda_2026.txt',
    });
    assert.deepStrictEqual(r.rejected, []);
    assert.deepStrictEqual([r.counts.added, r.counts.deleted, r.counts.revised], [160, 27, 1]);
    assert.strictEqual(r.changes!.filter((c) => c.action === 'added' && c.code.length === 7).length, 156);
    assert.strictEqual(r.changes!.filter((c) => c.action === 'added' && c.code.length === 3).length, 4);
    const rev = r.changes!.find((c) => c.action === 'revised')!;
    assert.strictEqual(rev.code, '6A4');
    assert.strictEqual(rev.previousShort, 'Extracrp/Syst Therapies, Phys Sys, Hypothermia');
    assert.strictEqual(rev.short, 'Extracrp/Syst Therapies, Phys Sys, Hypotherm');
    assert.strictEqual(rev.title, rev.previousTitle);
    const add = r.changes!.find((c) => c.code === '00H033J')!;
    assert.strictEqual(add.short, 'Insertion of Infusion Device into Brain, Temp, Perc Approach');
    assert.strictEqual(
      add.title,
      'Insertion of Infusion Device into Brain, Temporary, Percutaneous Approach',
    );
    assert.strictEqual(add.billable, undefined);
  });

  it('rejects malformed rows and unpaired revisions with reasons', () => {
    const text = [
      'Add:         B8801   Infestation by Demodex mites',
      'Remove:      B8809   Other acariasis',
      'Revise from: L02212  Old title',
      'Add:         L0221   Interrupts the pair',
      'Revise to:   L02222  Orphan new title',
      'Delete:      B880',
      'Add:         b88     lower case',
      '',
      '    487 additions',
    ].join('\r\n');
    const r = loadIcd10CmCodesAddenda(text);
    assert.deepStrictEqual(
      r.changes!.map((c) => `${c.action}:${c.code}`),
      ['added:B8801', 'added:L0221'],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [2, 'not an addenda row (expected Add:, Delete:, Revise from: or Revise to:)'],
        [3, "'Revise from:' L02212 has no 'Revise to:' row after it"],
        [5, "'Revise to:' L02222 does not follow a 'Revise from:' row for the same code"],
        [6, 'expected a code padded to 8 characters, then the title'],
        [7, "'b88' is not a ICD-10-CM code"],
      ],
    );
    assert.strictEqual(r.counts.skipped, 2);
  });
});
