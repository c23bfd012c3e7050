import * as assert from 'assert';
import {
  CODE_SYSTEM_SLUGS,
  CROSSWALK_LIMITS,
  type CodeKnowledge,
  checkCodes,
  formatProblems,
  isKnownSlug,
  localSystemOfSlug,
  slugInfo,
  slugOfLocalSystem,
  validateAttributeKeys,
  validateAttributes,
  validateDeletions,
  validateNewCrosswalk,
  validateNewMappings,
} from '../../../src/core/crosswalks/limits';
import type { NewMapping } from '../../../src/core/crosswalks/model';
import { CODE_SYSTEMS } from '../../../src/core/codes/systems';

const paths = (ps: { path: string }[]): string[] => ps.map((p) => p.path);

const mapping = (over: Partial<NewMapping> = {}): NewMapping => ({
  sourceCode: '93351',
  sourceCodeSystem: 'cpt2025',
  targetCodeSystem: 'cpt2025',
  targets: [{ targetCode: '93303' }],
  ...over,
});

describe('core/crosswalks/limits', () => {
  describe('slugs', () => {
    it('lists the nine slugs of the document, CPT needing a licence', () => {
      assert.deepStrictEqual(
        CODE_SYSTEM_SLUGS.map((s) => s.slug),
        ['cpt2025', 'icd10cm', 'loinc', 'cvx', 'hcpcs', 'icd10pcs', 'rxnorm', 'ndc', 'snomedusedition'],
      );
      assert.deepStrictEqual(
        CODE_SYSTEM_SLUGS.filter((s) => s.licenseRequired).map((s) => s.slug),
        ['cpt2025'],
      );
      for (const s of CODE_SYSTEM_SLUGS) assert.ok(CODE_SYSTEMS.includes(s.localSystem), s.slug);
    });

    it('accepts any yearly CPT slug, and nothing else unlisted', () => {
      assert.strictEqual(isKnownSlug('cpt2026'), true);
      assert.strictEqual(slugInfo('cpt2026')?.licenseRequired, true);
      assert.strictEqual(localSystemOfSlug('cpt1999'), 'cpt');
      for (const bad of ['cpt', 'cpt25', 'cpt20256', 'CPT2025', 'ICD10CM', 'icd10', 'snomed', 'icd9cm', '']) {
        assert.strictEqual(isKnownSlug(bad), false, bad);
        assert.strictEqual(localSystemOfSlug(bad), undefined, bad);
      }
    });

    it('maps slugs to index systems and back', () => {
      assert.strictEqual(localSystemOfSlug('snomedusedition'), 'snomed');
      assert.strictEqual(localSystemOfSlug('icd10pcs'), 'icd10pcs');
      assert.strictEqual(slugOfLocalSystem('snomed'), 'snomedusedition');
      assert.strictEqual(slugOfLocalSystem('cpt'), 'cpt2025');
      assert.strictEqual(slugOfLocalSystem('cpt', 2026), 'cpt2026');
      assert.strictEqual(slugOfLocalSystem('icd9cm-dx'), undefined);
      for (const s of CODE_SYSTEM_SLUGS) assert.strictEqual(slugOfLocalSystem(s.localSystem), s.slug);
    });
  });

  describe('validateNewCrosswalk', () => {
    it('accepts the document example', () => {
      assert.deepStrictEqual(
        validateNewCrosswalk({
          name: 'Test Crosswalk',
          description: 'Custom crosswalk for mapping CPT codes',
          customAttributes: [{ key: 'Sub-category', value: 'Echocardiography Procedures' }],
          mappings: [
            mapping({
              targets: [{ targetCode: '93303', customAttributes: [{ key: 'Sub-category', value: 'Echo' }] }],
            }),
          ],
        }),
        [],
      );
    });

    it('requires a name and allows 500 characters, not 501', () => {
      assert.deepStrictEqual(paths(validateNewCrosswalk({ name: '' })), ['name']);
      assert.deepStrictEqual(paths(validateNewCrosswalk({ name: '   ' })), ['name']);
      assert.deepStrictEqual(validateNewCrosswalk({ name: 'n'.repeat(CROSSWALK_LIMITS.nameMax) }), []);
      const p = validateNewCrosswalk({ name: 'n'.repeat(501) });
      assert.deepStrictEqual(paths(p), ['name']);
      assert.match(p[0].message, /501 characters.*at most 500/);
    });

    it('allows a 5000-character description, not 5001', () => {
      assert.deepStrictEqual(validateNewCrosswalk({ name: 'x', description: 'd'.repeat(5000) }), []);
      assert.deepStrictEqual(paths(validateNewCrosswalk({ name: 'x', description: 'd'.repeat(5001) })), [
        'description',
      ]);
    });

    it('counts UTF-16 code units, as the server does', () => {
      // 250 emoji are 500 code units: at the limit; one more accented letter is over it.
      assert.deepStrictEqual(validateNewCrosswalk({ name: '😀'.repeat(250) }), []);
      assert.deepStrictEqual(paths(validateNewCrosswalk({ name: '😀'.repeat(250) + 'é' })), ['name']);
    });

    it('checks crosswalk-level attributes and nested mappings with full paths', () => {
      const p = validateNewCrosswalk({
        name: 'x',
        customAttributes: [{ key: '' }],
        mappings: [mapping(), mapping({ targets: [{ targetCode: 'A' }, { targetCode: '' }] })],
      });
      assert.deepStrictEqual(paths(p), ['customAttributes[0].key', 'mappings[1].targets[1].targetCode']);
    });
  });

  describe('validateAttributes / validateAttributeKeys', () => {
    it('allows keys of 250 and values of 5000 characters, not one more', () => {
      assert.deepStrictEqual(validateAttributes([{ key: 'k'.repeat(250), value: 'v'.repeat(5000) }]), []);
      assert.deepStrictEqual(paths(validateAttributes([{ key: 'k'.repeat(251), value: 'v'.repeat(5001) }])), [
        'customAttributes[0].key',
        'customAttributes[0].value',
      ]);
    });

    it('requires a key, allows a missing or empty value, refuses a repeated key', () => {
      const p = validateAttributes([
        { key: 'a' },
        { key: 'b', value: '' },
        { key: ' ' },
        { key: 'a', value: 'x' },
      ]);
      assert.deepStrictEqual(paths(p), ['customAttributes[2].key', 'customAttributes[3].key']);
      assert.match(p[1].message, /repeated.*customAttributes\[0\]/);
    });

    it('wants at least one attribute for the attribute endpoints', () => {
      assert.strictEqual(validateAttributes([]).length, 1);
      assert.deepStrictEqual(validateAttributes([], { allowEmpty: true }), []);
      assert.strictEqual(validateAttributeKeys([]).length, 1);
    });

    it('checks keys to delete', () => {
      assert.deepStrictEqual(validateAttributeKeys(['Sub-category', 'k'.repeat(250)]), []);
      assert.deepStrictEqual(paths(validateAttributeKeys(['', 'k'.repeat(251), 'a', 'a'])), [
        'customAttributes[0]',
        'customAttributes[1]',
        'customAttributes[3]',
      ]);
    });
  });

  describe('validateNewMappings', () => {
    it('refuses what the server would silently skip', () => {
      const p = validateNewMappings([
        mapping({ sourceCode: '' }),
        mapping({ sourceCodeSystem: '' }),
        mapping({ targetCodeSystem: '' }),
        mapping({ targets: [{ targetCode: '93303' }, { targetCode: '' }] }),
      ]);
      assert.deepStrictEqual(paths(p), [
        'mappings[0].sourceCode',
        'mappings[1].sourceCodeSystem',
        'mappings[2].targetCodeSystem',
        'mappings[3].targets[1].targetCode',
      ]);
      for (const x of p) assert.match(x.message, /required \(the server would skip/);
    });

    it('refuses unknown slugs, naming the accepted ones', () => {
      const p = validateNewMappings([mapping({ sourceCodeSystem: 'icd10', targetCodeSystem: 'ICD10CM' })]);
      assert.deepStrictEqual(paths(p), ['mappings[0].sourceCodeSystem', 'mappings[0].targetCodeSystem']);
      assert.match(p[0].message, /"icd10".*icd10cm.*snomedusedition/);
    });

    it('accepts a future CPT slug', () => {
      assert.deepStrictEqual(validateNewMappings([mapping({ sourceCodeSystem: 'cpt2027' })]), []);
    });

    it('refuses a mapping without targets, duplicate targets and padded codes', () => {
      const p = validateNewMappings([
        mapping({ targets: [] }),
        mapping({ targets: [{ targetCode: 'A' }, { targetCode: 'B' }, { targetCode: 'A' }] }),
        mapping({ sourceCode: ' 93351' }),
      ]);
      assert.deepStrictEqual(paths(p), [
        'mappings[0].targets',
        'mappings[1].targets[2].targetCode',
        'mappings[2].sourceCode',
      ]);
      assert.match(p[1].message, /duplicate of mappings\[1\]\.targets\[0\]\.targetCode/);
    });

    it('sees a duplicate target across two mappings of the same source', () => {
      const p = validateNewMappings([mapping(), mapping()]);
      assert.deepStrictEqual(paths(p), ['mappings[1].targets[0].targetCode']);
    });

    it('checks target attributes with their path', () => {
      const p = validateNewMappings([
        mapping({
          targets: [{ targetCode: 'A', customAttributes: [{ key: 'k', value: 'v'.repeat(5001) }] }],
        }),
      ]);
      assert.deepStrictEqual(paths(p), ['mappings[0].targets[0].customAttributes[0].value']);
      assert.match(formatProblems(p), /^mappings\[0\]\.targets\[0\]\.customAttributes\[0\]\.value: .*5001/);
    });
  });

  describe('validateDeletions', () => {
    it('accepts the document example and refuses blanks, repeats and empty lists', () => {
      const ok = {
        sourceCode: '93351',
        sourceCodeSystem: 'cpt2025',
        targetCodeSystem: 'cpt2025',
        targetCodes: ['93303', '93304', '01234'],
      };
      assert.deepStrictEqual(validateDeletions([ok]), []);
      const p = validateDeletions([
        { ...ok, targetCodes: ['93303', '', '93303'] },
        { ...ok, sourceCode: 'X', targetCodes: [] },
        { ...ok, sourceCodeSystem: 'bogus' },
      ]);
      assert.deepStrictEqual(paths(p), [
        'mappings[0].targetCodes[1]',
        'mappings[0].targetCodes[2]',
        'mappings[1].targetCodes',
        'mappings[2].sourceCodeSystem',
      ]);
    });
  });

  describe('checkCodes', () => {
    it('returns the codes the index knows to be invalid, asking once per code', () => {
      const asked: string[] = [];
      const known = (slug: string, code: string): CodeKnowledge => {
        asked.push(`${slug}:${code}`);
        if (slug === 'snomedusedition') return 'unknownSystem';
        return code.startsWith('X') ? 'invalid' : 'valid';
      };
      const bad = checkCodes(
        [
          {
            sourceCodeSystem: 'icd10cm',
            sourceCode: 'X99',
            targetCodeSystem: 'icd10pcs',
            targets: [{ targetCode: '0DTJ4ZZ' }, { targetCode: 'XBAD' }],
          },
          {
            sourceCodeSystem: 'icd10cm',
            sourceCode: 'X99',
            targetCodeSystem: 'snomedusedition',
            targets: [{ targetCode: 'X1' }],
          },
          {
            sourceCodeSystem: 'icd10cm',
            sourceCode: 'E11.9',
            targetCodeSystem: 'icd10pcs',
            targets: [{ targetCode: '' }],
          },
        ],
        known,
      );
      assert.deepStrictEqual(bad, [
        { path: 'mappings[0].sourceCode', slug: 'icd10cm', code: 'X99' },
        { path: 'mappings[0].targets[1].targetCode', slug: 'icd10pcs', code: 'XBAD' },
        { path: 'mappings[1].sourceCode', slug: 'icd10cm', code: 'X99' },
      ]);
      assert.strictEqual(asked.filter((a) => a === 'icd10cm:X99').length, 1);
      assert.ok(!asked.includes('icd10pcs:'), 'blank codes are not looked up');
    });
  });
});
