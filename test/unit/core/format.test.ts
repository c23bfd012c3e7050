import * as assert from 'assert';
import { formatBytes, formatProgress, matchesFilter } from '../../../src/core/format';

describe('core/format', () => {
  it('formats sizes the way a file manager shows them', () => {
    assert.deepStrictEqual([0, 999, 1000, 14_694_719, 536_870_912, -1].map(formatBytes), [
      '0 B',
      '999 B',
      '1.0 KB',
      '15 MB',
      '537 MB',
      '?',
    ]);
  });
  it('formats progress with percent and rate', () => {
    assert.strictEqual(formatProgress(12_000_000, 50_000_000, 8_400_000), '12 MB of 50 MB (24%) · 8.4 MB/s');
    assert.strictEqual(formatProgress(5_000, undefined, 0), '5.0 KB');
  });
  it('filters by name, slug, date prefix and date comparison', () => {
    const texts = ['FY2026 (October 2025)', 'fy2026-october-2025'];
    const dates = ['2025-10-01', '2025-09-15'];
    assert.ok(matchesFilter('october', texts, dates));
    assert.ok(matchesFilter('2025-10', texts, dates));
    assert.ok(matchesFilter('>=2025-10-01', texts, dates));
    assert.ok(!matchesFilter('<2025-01', texts, dates));
    assert.ok(!matchesFilter('2024', texts, dates));
    assert.ok(matchesFilter('  ', texts, dates));
  });
});
