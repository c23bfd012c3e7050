import * as assert from 'assert';
import { CodeRows } from '../../../../src/core/codes/loaders/codeRows';

describe('loaders: CodeRows (code → row)', () => {
  it('finds every row of 100,000 codes that share prefixes, and nothing else', () => {
    const codes: string[] = [];
    for (let i = 0; i < 100_000; i++) codes.push(`S${String(i).padStart(6, '0')}A`);
    const rows = CodeRows.of(codes);
    assert.strictEqual(rows.size, codes.length);
    for (let i = 0; i < codes.length; i += 7) assert.strictEqual(rows.get(codes[i]!), i);
    assert.strictEqual(rows.get('S100000A'), undefined);
    assert.strictEqual(rows.has('S000000'), false);
    assert.strictEqual(rows.has(''), false);
  });

  it('adds rows one by one and names the earlier row of a duplicate', () => {
    const codes: string[] = [];
    const rows = new CodeRows(codes, 3);
    codes.push('E119');
    assert.strictEqual(rows.add(0), -1);
    codes.push('I10');
    assert.strictEqual(rows.add(1), -1);
    codes.push('E119');
    assert.strictEqual(rows.add(2), 0);
    assert.strictEqual(rows.size, 2);
    assert.strictEqual(rows.get('E119'), 0);
    assert.strictEqual(rows.get('I10'), 1);
  });
});
