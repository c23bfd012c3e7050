/**
 * Validation rules (src/core/codes/validate.ts) against the real bundled code sets: build them once
 * with `node scripts/build-data.mjs` (writes dist/data). Every sample document in samples/ is
 * checked for the traps samples/README.md lists.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { CodeIndex } from '../../../src/core/codes/codeIndex';
import { findCodes, visitCodes, type DocumentFormat } from '../../../src/core/codes/findCodes';
import {
  findDatesOfService,
  problemsFor,
  validateCodes,
  type CodeProblem,
  type RuleId,
} from '../../../src/core/codes/validate';
import { bundledSources, loadIndex } from '../../../src/node/codeIndexLoader';

const ROOT = path.resolve(__dirname, '../../..');
const SAMPLES = path.join(ROOT, 'samples');

function sample(name: string): string {
  return fs.readFileSync(path.join(SAMPLES, name), 'utf8');
}

/** The problems whose range is exactly `token` (every occurrence), as `rule` or `rule:severity`. */
function at(text: string, problems: readonly CodeProblem[], token: string): CodeProblem[] {
  return problems.filter((p) => text.slice(p.start, p.end) === token);
}

function rulesAt(text: string, problems: readonly CodeProblem[], token: string): string[] {
  return at(text, problems, token).map((p) => p.rule);
}

function occurrences(text: string, token: string): number[] {
  const out: number[] = [];
  for (let i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + 1)) out.push(i);
  return out;
}

/** No problem overlaps any occurrence of `token`. */
function expectClean(text: string, problems: readonly CodeProblem[], tokens: readonly string[]): void {
  for (const token of tokens) {
    const spots = occurrences(text, token);
    assert.ok(spots.length > 0, `the text should contain ${token}`);
    for (const s of spots) {
      const hit = problems.find((p) => p.start < s + token.length && p.end > s);
      assert.strictEqual(hit, undefined, `${token} at ${s}: ${hit?.rule} ${hit?.message}`);
    }
  }
}

function replacements(p: CodeProblem): string[] {
  return p.fixes.map((f) => f.replacement);
}

function preferred(p: CodeProblem): string[] {
  return p.fixes.filter((f) => f.isPreferred).map((f) => f.replacement);
}

const G35_SUCCESSORS = ['G35.A', 'G35.B0', 'G35.B1', 'G35.B2', 'G35.C0', 'G35.C1', 'G35.C2', 'G35.D'];

describe('core/codes/validate', function () {
  let index: CodeIndex;

  before(async function () {
    this.timeout(60_000);
    const sources = await bundledSources(path.join(ROOT, 'dist/data'));
    if (sources.length === 0)
      throw new Error('no code sets in dist/data: run `node scripts/build-data.mjs` first');
    index = (await loadIndex({ sources })).index;
    for (const system of ['icd10cm', 'icd10pcs', 'hcpcs', 'cvx', 'icd9cm-dx'] as const) {
      assert.ok(index.loadedSystems().includes(system), `${system} did not load from dist/data`);
    }
  });

  const validate = (text: string, format?: DocumentFormat, dateOfService?: string): CodeProblem[] =>
    validateCodes(text, index, {
      ...(format ? { format } : {}),
      ...(dateOfService ? { dateOfService } : {}),
    });

  describe('CodeIndex.childrenOf', () => {
    it('lists the billable codes under a header, in order, dotted or not', () => {
      assert.deepStrictEqual(
        index.childrenOf('icd10cm', 'M54.5').map((c) => c.display),
        ['M54.50', 'M54.51', 'M54.59'],
      );
      assert.deepStrictEqual(index.childrenOf('icd10cm', 'M545'), index.childrenOf('icd10cm', 'M54.5'));
      const e11 = index.childrenOf('icd10cm', 'E11', 4);
      assert.deepStrictEqual(
        e11.map((c) => c.code),
        ['E1100', 'E1101', 'E1110', 'E1111'],
      );
      assert.ok(e11.every((c) => c.billable === true && c.title !== undefined && c.system === 'icd10cm'));
    });

    it('skips nested headers, stops at the first row outside the header and honours the limit', () => {
      const g35 = index.childrenOf('icd10cm', 'G35').map((c) => c.display);
      assert.deepStrictEqual(g35, G35_SUCCESSORS); // G35.B and G35.C are headers themselves
      assert.strictEqual(index.childrenOf('icd10cm', 'G35', 2).length, 2);
      assert.deepStrictEqual(index.childrenOf('icd10cm', 'E11.65'), []); // billable leaf
      assert.deepStrictEqual(index.childrenOf('icd10cm', 'E11.99'), []); // unknown
      assert.ok(index.childrenOf('icd10pcs', '0SR').every((c) => c.code.startsWith('0SR')));
    });
  });

  describe('rule 1: unknown-code', () => {
    it('flags a code of a loaded system that no release has, in context and by shape', () => {
      const csv = 'claim,dx1\n1,E11.99\n';
      const [p] = validate(csv);
      assert.strictEqual(p?.rule, 'unknown-code');
      assert.strictEqual(p.severity, 'error');
      assert.strictEqual(p.code, 'E11.99');
      assert.strictEqual(p.system, 'icd10cm');
      assert.match(p.message, /^E11\.99 is not a valid ICD-10-CM code \(not in ICD-10-CM FY2026\)/);
      assert.strictEqual(csv.slice(p.start, p.end), 'E11.99');
      const x12 = validate('ISA*00~CLM*1*10~HI*ABK:E1199~', 'x12');
      assert.deepStrictEqual(
        x12.map((x) => x.rule),
        ['unknown-code'],
      );
      const prose = validate('Assessment: E11.99 and G9999.');
      assert.deepStrictEqual(
        prose.map((x) => `${x.rule}:${x.code}`),
        ['unknown-code:E11.99', 'unknown-code:G9999'],
      );
    });

    it('suggests the billable codes under the nearest existing parent', () => {
      const [p] = validate('dx1,dx2\nM54.55,\n');
      assert.match(p!.message, /codes under M54\.5: M54\.50, M54\.51, M54\.59$/);
      assert.deepStrictEqual(replacements(p!), ['M54.50', 'M54.51', 'M54.59']);
    });

    it('never judges systems without a loaded release, nor modifiers that may be CPT', () => {
      const x12 = 'ISA*00~CLM*1*10~SV1*HC:99213:25*100*UN*1~SV1*HC:0042T*1~';
      assert.deepStrictEqual(validate(x12, 'x12'), []);
      assert.deepStrictEqual(validate('LOINC 2345-7; SNOMED 22298006; CPT 3044F'), []);
      const fhir = JSON.stringify({
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
      });
      assert.deepStrictEqual(validate(fhir), []);
      // an alphabetic modifier is HCPCS Level II only, so it can be judged
      const [mod] = validate('ISA*00~CLM*1*10~SV1*HC:G0008:ZZ*1~', 'x12');
      assert.strictEqual(mod?.rule, 'unknown-code');
      assert.match(mod.message, /ZZ is not a valid HCPCS Level II modifier/);
    });

    it('applies only when no reading of the token is known', () => {
      // ICD-9-CM `3921`: procedure 39.21 is known, diagnosis 392.1 is not
      const fhir = JSON.stringify({
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-9-cm', code: '3921' }] },
      });
      assert.deepStrictEqual(
        findCodes(fhir).map((m) => m.candidates.map((c) => `${c.system}:${c.code}`)),
        [['icd9cm-dx:392.1', 'icd9cm-proc:39.21']],
      );
      assert.deepStrictEqual(validate(fhir), []);
    });

    it('is a warning when the date of service is after every loaded release of the system', () => {
      const x12 = 'ISA*00~CLM*1*10~SV1*HC:G2211*10~DTP*472*D8*20251006~';
      const [p] = validate(x12, 'x12');
      assert.strictEqual(p?.rule, 'unknown-code');
      assert.strictEqual(p.severity, 'warning');
      assert.match(p.message, /G2211 is not a valid HCPCS Level II code \(not in HCPCS 2020\); .*2025-10-06/);
      assert.strictEqual(validate('ISA*00~CLM*1*10~SV1*HC:G2211*10~', 'x12')[0]?.severity, 'error');
    });
  });

  describe('rule 2: malformed-code', () => {
    it('flags a token in a declared context that fits no shape of the system', () => {
      const [p] = validate('dx1,hcpcs\nE11.6ZZZZ,G000\n');
      assert.strictEqual(p?.rule, 'malformed-code');
      assert.strictEqual(p.severity, 'error');
      assert.strictEqual(p.message, '‘E11.6ZZZZ’ is not a valid ICD-10-CM code');
      const all = validate('dx1,hcpcs\nE11.6ZZZZ,G000\n');
      assert.deepStrictEqual(
        all.map((x) => x.message),
        ['‘E11.6ZZZZ’ is not a valid ICD-10-CM code', '‘G000’ is not a valid HCPCS Level II code'],
      );
      const fhir = JSON.stringify({
        code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'diabetes' }] },
      });
      assert.deepStrictEqual(
        validate(fhir).map((x) => x.rule),
        ['malformed-code'],
      );
    });

    it('does not flag words next to codes in a cell, nor prose', () => {
      assert.deepStrictEqual(validate('dx1,dx2\nZ79.4 (long term),\n'), []);
      assert.deepStrictEqual(validate('The E11.6ZZZZ typo in prose is not claimed.'), []);
    });
  });

  describe('rule 3: header-code', () => {
    it('warns about a header with its billable codes as fixes', () => {
      const text = 'dx1,dx2\nM54.5,\n';
      const [p] = validate(text);
      assert.strictEqual(p?.rule, 'header-code');
      assert.strictEqual(p.severity, 'warning');
      assert.strictEqual(
        p.message,
        'M54.5 is a header in ICD-10-CM FY2026, not billable: use a more specific code (M54.50, M54.51, M54.59)',
      );
      assert.deepStrictEqual(replacements(p), ['M54.50', 'M54.51', 'M54.59']);
      assert.deepStrictEqual(preferred(p), []);
      assert.match(p.fixes[0]!.title, /^Replace with M54\.50 \(Low back pain, unspecified\)$/);
    });

    it('prefers the only billable code, lists at most five', () => {
      const [one] = validate('dx1,dx2\nH54.413,\n');
      assert.deepStrictEqual(preferred(one!), ['H54.413A']);
      const [e11] = validate('dx1,dx2\nE11.6,\n');
      assert.strictEqual(e11?.rule, 'header-code');
      assert.ok(e11.fixes.length <= 5);
      assert.match(e11.message, /E11\.61\d?, .*…/);
    });

    it('not for billable codes, nor for `G35.B-` (a category named on purpose) in prose', () => {
      assert.deepStrictEqual(validate('dx1,dx2\nM54.50,\n'), []);
      assert.deepStrictEqual(validate('Use G35.A/G35.B-/G35.C-/G35.D as documented.'), []);
      assert.deepStrictEqual(
        validate('Assessment: G35.B, needs a 6th character.').map((p) => p.rule),
        ['header-code'],
      );
    });

    it('writes fixes undotted in X12', () => {
      const [p] = validate('ISA*00~CLM*1*10~HI*ABK:M545~', 'x12');
      assert.deepStrictEqual(replacements(p!), ['M5450', 'M5451', 'M5459']);
    });
  });

  describe('rule 4: deleted-code', () => {
    it('G35 in FY2026: no longer billable, now a header; fixes to every successor', () => {
      const [p] = validate('dx1,dx2\nG35,\n');
      assert.strictEqual(p?.rule, 'deleted-code');
      assert.strictEqual(p.severity, 'warning');
      assert.strictEqual(
        p.message,
        'G35 is no longer billable in ICD-10-CM FY2026 (deleted as a code, now a header); use G35.A, G35.B0, G35.B1, … (8 codes)',
      );
      assert.deepStrictEqual(replacements(p), G35_SUCCESSORS);
      assert.deepStrictEqual(preferred(p), []);
      assert.strictEqual(validate('dx1,dx2\nG35,\n').length, 1, 'the header rule is not repeated');
    });

    it('a code deleted outright: found from the addenda, not reported unknown', () => {
      const [p] = validate('Injury: S30.1XXA (contusion of abdominal wall).');
      assert.strictEqual(p?.rule, 'deleted-code');
      assert.match(
        p.message,
        /^S30\.1XXA was deleted in ICD-10-CM FY2026; use S30\.11XA, S30\.12XA, S30\.13XA$/,
      );
      assert.deepStrictEqual(replacements(p), ['S30.11XA', 'S30.12XA', 'S30.13XA']);
    });

    it('an HCPCS code terminated before the release', () => {
      const [p] = validate('ISA*00~CLM*1*10~SV1*HC:A4466*10~', 'x12');
      assert.strictEqual(p?.rule, 'deleted-code');
      assert.strictEqual(p.message, 'A4466 was terminated on 2016-12-31 (HCPCS 2020)');
    });

    it('only information when the date of service is before the deletion', () => {
      const problems = validate('dx1,dos\nG35,2025-09-15\n');
      assert.deepStrictEqual(
        problems.map((p) => `${p.rule}:${p.severity}`),
        ['deleted-code:information'],
      );
      assert.strictEqual(
        problems[0]!.message,
        'G35 is valid on 2025-09-15, but no longer billable from ICD-10-CM FY2026 (2025-10-01); from then use G35.A, G35.B0, G35.B1, … (8 codes)',
      );
      assert.deepStrictEqual(preferred(problems[0]!), []);
    });
  });

  describe('rule 5: invalid-on-date', () => {
    it('a code added after the date of service (from the addenda), with its predecessor as fix', () => {
      const problems = validate('dx1,dx2\nE11.A,\n', 'csv', '2025-09-15');
      assert.deepStrictEqual(
        problems.map((p) => p.rule),
        ['invalid-on-date'],
      );
      const p = problems[0]!;
      assert.strictEqual(p.severity, 'warning');
      assert.strictEqual(
        p.message,
        'E11.A was added in ICD-10-CM FY2026 (from 2025-10-01); not valid on 2025-09-15',
      );
      assert.deepStrictEqual(preferred(p), ['E11.9']);
      assert.deepStrictEqual(validate('dx1,dx2\nE11.A,\n', 'csv', '2025-12-15'), []);
      // mentioned in prose, the same finding is information
      const prose = validate('Type 2 DM in remission: E11.A', 'text', '2025-09-15');
      assert.deepStrictEqual(
        prose.map((x) => `${x.rule}:${x.severity}`),
        ['invalid-on-date:information'],
      );
    });

    it('the same date found in the document', () => {
      const text = 'Date of service: 09/15/2025\nAssessment: E11.A\n';
      assert.deepStrictEqual(
        validate(text).map((p) => p.rule),
        ['invalid-on-date'],
      );
    });

    it('HCPCS per-code validity: added after the date, terminated before it', () => {
      const x12 = (code: string, date: string): string =>
        `ISA*00~CLM*1*10~SV1*HC:${code}*10~DTP*472*D8*${date}~`;
      const added = validate(x12('A4226', '20190601'), 'x12');
      assert.deepStrictEqual(
        added.map((p) => p.rule),
        ['invalid-on-date'],
      );
      assert.strictEqual(
        added[0]!.message,
        'A4226 is valid from 2020-01-01 (HCPCS 2020); not valid on 2019-06-01',
      );
      assert.deepStrictEqual(validate(x12('A4226', '20200601'), 'x12'), []);
      // terminated: rule 4 says it once, naming the date
      const terminated = validate(x12('A4466', '20250601'), 'x12');
      assert.deepStrictEqual(
        terminated.map((p) => p.rule),
        ['deleted-code'],
      );
      assert.match(terminated[0]!.message, /terminated on 2016-12-31 .*not valid for DOS 2025-06-01/);
      // before termination it was valid: rule 4 is only information
      assert.deepStrictEqual(
        validate(x12('A4466', '20160601'), 'x12').map((p) => `${p.rule}:${p.severity}`),
        ['deleted-code:information'],
      );
    });

    it('not repeated when rule 4 already says it for the same release; fires when rule 4 is off', () => {
      const x12 = 'ISA*00~CLM*1*10~HI*ABK:G35~DTP*472*D8*20251112~';
      assert.deepStrictEqual(
        validate(x12, 'x12').map((p) => p.rule),
        ['deleted-code'],
      );
      const off = validateCodes(x12, index, { format: 'x12', rules: { 'deleted-code': false } });
      assert.deepStrictEqual(
        off.map((p) => p.rule),
        ['invalid-on-date'],
      );
      assert.strictEqual(off[0]!.message, 'G35 is a header in ICD-10-CM FY2026, not billable on 2025-11-12');
      assert.deepStrictEqual(
        replacements(off[0]!),
        G35_SUCCESSORS.map((c) => c.replace('.', '')),
      );
    });

    it('nothing when no loaded release or change says anything about the date', () => {
      assert.deepStrictEqual(validate('dx1,dos\nE11.65,2031-01-01\n'), []);
      assert.deepStrictEqual(validate('dx1,dos\nE11.65,2019-01-01\n'), []);
      assert.deepStrictEqual(validate('DOS: 2025-10-06. Influenza vaccine CVX 150, HCPCS G0008.'), []);
    });
  });

  describe('rule 6: undotted-code', () => {
    it('hints the dotted form of a resolved ICD-10-CM code, with a preferred fix', () => {
      const text = 'dx1,dx2\nE538,I10\n';
      const problems = validate(text);
      assert.deepStrictEqual(
        problems.map((p) => `${p.rule}:${p.severity}:${text.slice(p.start, p.end)}`),
        ['undotted-code:hint:E538'],
      );
      const p = problems[0]!;
      assert.strictEqual(p.code, 'E53.8');
      assert.deepStrictEqual(p.fixes, [
        { title: 'Add the dot: E53.8', replacement: 'E53.8', isPreferred: true },
      ]);
    });

    it('in CSV, FHIR JSON, text and HL7; never in X12; not for unknown codes', () => {
      const fhir = JSON.stringify({
        coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E1165' }],
      });
      assert.deepStrictEqual(
        validate(fhir).map((p) => p.rule),
        ['undotted-code'],
      );
      assert.deepStrictEqual(
        validate('Diagnosis E1165 today.').map((p) => p.rule),
        ['undotted-code'],
      );
      const hl7 = 'MSH|^~\\&|A|B|C|D|20251006||ADT^A08|1|P|2.5.1\rDG1|1||E1165^Type 2 DM^I10|';
      assert.deepStrictEqual(
        validate(hl7).map((p) => p.rule),
        ['undotted-code'],
      );
      assert.deepStrictEqual(validate('ISA*00~CLM*1*10~HI*ABK:E1165*ABF:Z794~', 'x12'), []);
      assert.deepStrictEqual(
        validate('dx1,dx2\nE1199,\n').map((p) => p.rule),
        ['unknown-code'],
      );
    });
  });

  describe('samples/ (the traps of samples/README.md)', () => {
    it('claims_batch_2025Q4.csv: undotted E538/D649, header M54.5, deleted G35, E11.A valid', () => {
      const text = sample('claims_batch_2025Q4.csv');
      const problems = validate(text);
      const e538 = at(text, problems, 'E538');
      assert.deepStrictEqual(
        e538.map((p) => [p.rule, p.severity, preferred(p)]),
        [['undotted-code', 'hint', ['E53.8']]],
      );
      const d649 = at(text, problems, 'D649');
      assert.deepStrictEqual(
        d649.map((p) => [p.rule, p.severity, preferred(p)]),
        [['undotted-code', 'hint', ['D64.9']]],
      );
      const m545 = at(text, problems, 'M54.5');
      assert.strictEqual(m545.length, 2); // the dx1 cell and the REVIEW note
      for (const p of m545) {
        assert.strictEqual(p.rule, 'header-code');
        assert.deepStrictEqual(replacements(p), ['M54.50', 'M54.51', 'M54.59']);
      }
      const g35 = at(text, problems, 'G35');
      assert.strictEqual(g35.length, 2); // dx1 (DOS 2025-11-12) and the REVIEW note
      // the dx1 cell is a reported code (warning); the REVIEW note only mentions it (information)
      assert.deepStrictEqual(
        g35.map((p) => p.severity),
        ['warning', 'information'],
      );
      assert.deepStrictEqual(
        m545.map((p) => p.severity),
        ['warning', 'information'],
      );
      for (const p of g35) {
        assert.strictEqual(p.rule, 'deleted-code');
        assert.match(p.message, /not valid for DOS 2025-11-12/);
        assert.deepStrictEqual(replacements(p), G35_SUCCESSORS);
      }
      expectClean(text, problems, ['E11.A', 'E11.65', 'W19.XXXA', 'G0008', 'KX', 'B12', 'PHQ-9', 'CVX 150']);
      assert.ok(!problems.some((p) => p.severity === 'error'));
      assert.deepStrictEqual(
        new Set(problems.map((p) => text.slice(p.start, p.end))),
        new Set(['E538', 'D649', 'M54.5', 'G35']),
      );
    });

    it('claim_837p_excerpt.x12: HI*ABK:G35 flagged for DOS 2025-11-12, no undotted hints', () => {
      const text = sample('claim_837p_excerpt.x12');
      const problems = validate(text);
      assert.strictEqual(problems.length, 1);
      const p = problems[0]!;
      assert.strictEqual(text.slice(p.start - 7, p.end), 'HI*ABK:G35');
      assert.strictEqual(p.rule, 'deleted-code');
      assert.match(
        p.message,
        /^G35 is no longer billable in ICD-10-CM FY2026 .*not valid for DOS 2025-11-12/,
      );
      assert.deepStrictEqual(
        replacements(p),
        G35_SUCCESSORS.map((c) => c.replace('.', '')),
      );
      assert.ok(!problems.some((x) => x.rule === 'undotted-code'));
    });

    it('progress_note_annual_visit.md: no problem for B12, L4-L5, A1c, PHQ-2, 128/76; deleted and header references noted as information', () => {
      const text = sample('progress_note_annual_visit.md');
      const problems = validate(text);
      expectClean(text, problems, ['B12', 'L4-L5', 'A1c', 'Lp(a)', 'PHQ-2', '128/76']);
      expectClean(text, problems, ['E11.A', 'B88.01', 'G35.A', 'E78.011', 'M54.50', 'G0439', 'CVX 150']);
      assert.deepStrictEqual([...new Set(rulesAt(text, problems, 'G35'))], ['deleted-code']);
      assert.deepStrictEqual(rulesAt(text, problems, 'E78.01'), ['deleted-code']);
      assert.deepStrictEqual(rulesAt(text, problems, 'B88.0'), ['deleted-code']);
      assert.deepStrictEqual(rulesAt(text, problems, 'M54.5'), ['header-code']);
      // prose mentions: information, not warnings (nothing is being reported here)
      assert.ok(problems.every((p) => p.severity === 'information'));
    });

    it('legacy_icd9_conversion_review.csv: GEM targets E78.4 / M54.5 headers, G35 deleted; ICD-9 codes fine', () => {
      const text = sample('legacy_icd9_conversion_review.csv');
      const problems = validate(text);
      const inRow = (row: string, token: string): CodeProblem[] => {
        const rowStart = text.indexOf(`\n${row},`);
        const rowEnd = text.indexOf('\n', rowStart + 1);
        return problems.filter(
          (p) => p.start > rowStart && p.end < rowEnd && text.slice(p.start, p.end) === token,
        );
      };
      assert.deepStrictEqual(
        inRow('PL-0007', 'E78.4').map((p) => [p.rule, replacements(p)]),
        [
          ['header-code', ['E78.41', 'E78.49']],
          ['header-code', ['E78.41', 'E78.49']],
        ], // the GEM target and the reviewer's comment
      );
      assert.deepStrictEqual(
        inRow('PL-0015', 'M54.5').map((p) => p.rule),
        ['header-code', 'header-code'],
      );
      assert.deepStrictEqual(
        inRow('PL-0016', 'G35').map((p) => p.rule),
        ['deleted-code', 'deleted-code'],
      );
      // the reviewer's choices and every ICD-9-CM code are valid
      expectClean(text, problems, [
        'E78.5',
        'M54.50',
        'G35.D',
        '250.00',
        '272.4',
        '724.2',
        '340',
        'V58.67',
        'E888.9',
      ]);
      assert.ok(!problems.some((p) => p.severity === 'error'));
    });

    it('fhir_bundle_office_visit.json: undotted E1165 / Z794 in Claim.diagnosis, nothing else', () => {
      const text = sample('fhir_bundle_office_visit.json');
      const problems = validate(text);
      assert.deepStrictEqual(
        problems.map((p) => [text.slice(p.start, p.end), p.rule, preferred(p)]),
        [
          ['E1165', 'undotted-code', ['E11.65']],
          ['Z794', 'undotted-code', ['Z79.4']],
        ],
      );
    });

    it('inpatient worksheet, discharge summary and the VXU message: no problems', () => {
      for (const name of [
        'inpatient_coding_worksheet_hip_fracture.md',
        'discharge_summary_sepsis_uti.txt',
        'immunization_vxu_message.hl7',
      ]) {
        const text = sample(name);
        const problems = validate(text);
        assert.deepStrictEqual(
          problems.map((p) => `${text.slice(p.start, p.end)} ${p.message}`),
          [],
          name,
        );
        assert.ok(findCodes(text).length > 0, `${name} has codes`);
      }
      const summary = sample('discharge_summary_sepsis_uti.txt');
      expectClean(summary, validate(summary), ['39.2', '4.1', '2.9', 'PCV13', 'E. coli']);
    });
  });

  describe('findDatesOfService', () => {
    it('X12: DTP*472 and DTP*434 (start of the range), scoped from CLM to the next CLM', () => {
      const text = sample('claim_837p_excerpt.x12');
      const dates = findDatesOfService(text, 'x12');
      assert.deepStrictEqual(
        dates.map((d) => d.date),
        ['2025-10-06', '2025-10-14', '2025-11-12'],
      );
      const clms = occurrences(text, 'CLM*');
      assert.deepStrictEqual(
        dates.map((d) => d.start),
        clms,
      );
      assert.deepStrictEqual(
        dates.map((d) => d.end),
        [clms[1], clms[2], text.length],
      );
      const institutional =
        'ISA*00~CLM*A*1~DTP*434*RD8*20251001-20251005~HI*ABK:Z23~CLM*B*2~DTP*472*D8*20251103~';
      assert.deepStrictEqual(
        findDatesOfService(institutional, 'x12').map((d) => [
          d.date,
          institutional.slice(d.start, d.start + 5),
        ]),
        [
          ['2025-10-01', 'CLM*A'],
          ['2025-11-03', 'CLM*B'],
        ],
      );
      const noClaim = 'ST*837~DTP*472*D8*20251006~';
      assert.deepStrictEqual(findDatesOfService(noClaim, 'x12'), [
        { start: 0, end: noClaim.length, date: '2025-10-06' },
      ]);
      assert.deepStrictEqual(findDatesOfService('CLM*A~DTP*431*D8*20251001~', 'x12'), []); // onset
    });

    it('CSV: a date-of-service column, per row', () => {
      const text = sample('claims_batch_2025Q4.csv');
      const dates = findDatesOfService(text, 'csv');
      const rows = text
        .split('\n')
        .filter((l) => l !== '')
        .slice(1);
      assert.strictEqual(dates.length, rows.length);
      assert.deepStrictEqual(
        dates.map((d) => text.slice(d.start, d.end)),
        rows,
      );
      assert.strictEqual(dates[0]!.date, '2025-10-06');
      assert.strictEqual(dates[dates.length - 1]!.date, '2025-12-15');
      for (const header of ['DOS', 'Date of Service', 'svc_date', 'from_date', 'SERVICE-DATE']) {
        const csv = `dx1,${header}\r\nE11.9,11/12/2025\r\nI10,"20251113"\r\n`;
        assert.deepStrictEqual(
          findDatesOfService(csv, 'csv').map((d) => d.date),
          ['2025-11-12', '2025-11-13'],
          header,
        );
      }
      const quoted = 'note,dos,dx1\n"line one\nline two, still the note",2025-10-06,E11.9\n';
      assert.deepStrictEqual(
        findDatesOfService(quoted, 'csv').map((d) => d.date),
        ['2025-10-06'],
      );
      assert.deepStrictEqual(findDatesOfService('dx1,amount\nE11.9,12\n', 'csv'), []);
    });

    it('FHIR JSON (and XML): the first service date, Encounter period.start only in an Encounter', () => {
      const text = sample('fhir_bundle_office_visit.json');
      assert.deepStrictEqual(findDatesOfService(text, 'json'), [
        { start: 0, end: text.length, date: '2025-10-06' },
      ]);
      const coverageFirst = JSON.stringify({
        entry: [
          { resource: { resourceType: 'Coverage', period: { start: '2020-01-01' } } },
          { resource: { period: { start: '2024-02-02' }, resourceType: 'Encounter' } },
          { resource: { resourceType: 'Claim', billablePeriod: { start: '2024-03-03' } } },
        ],
      });
      assert.strictEqual(findDatesOfService(coverageFirst, 'json')[0]?.date, '2024-02-02');
      const claim = JSON.stringify({
        resourceType: 'Claim',
        item: [{ servicedPeriod: { start: '2025-11-12' } }],
      });
      assert.strictEqual(findDatesOfService(claim, 'json')[0]?.date, '2025-11-12');
      assert.deepStrictEqual(
        findDatesOfService('{"resourceType":"Patient","birthDate":"1958-03-14"}', 'json'),
        [],
      );
      const xml =
        '<Bundle><entry><resource><Coverage><period><start value="2020-01-01"/></period></Coverage></resource></entry>' +
        '<entry><resource><Encounter><period><start value="2025-10-06T10:00:00Z"/></period></Encounter></resource></entry></Bundle>';
      assert.deepStrictEqual(findDatesOfService(xml, 'xml'), [
        { start: 0, end: xml.length, date: '2025-10-06' },
      ]);
      assert.strictEqual(
        findDatesOfService('<Claim><item><servicedDate value="2025/11/12"/></item></Claim>', 'xml')[0]?.date,
        '2025-11-12',
      );
    });

    it('text, markdown and HL7: date-of-service phrases, ISO, US and yyyymmdd, up to the next phrase', () => {
      const cases: [string, string][] = [
        ['Date of service: 2025-11-12', '2025-11-12'],
        ['DOS 11/12/2025', '2025-11-12'],
        ['**DOS:** 2025-12-15 · **Provider:**', '2025-12-15'],
        ['Service date: Nov 12, 2025', '2025-11-12'],
        ['Date of admission: 20251112', '2025-11-12'],
        ['Admission Date - 12 November 2025', '2025-11-12'],
        ['Admitted: 12/09/2025         Discharged: 12/13/2025', '2025-12-09'],
        ['| Admit / discharge | 2025-10-22 → 2025-10-27 |', '2025-10-22'],
      ];
      for (const [text, date] of cases) {
        assert.deepStrictEqual(findDatesOfService(`Note\n${text}\nE11.9`, 'text'), [
          { start: 0, end: text.length + 11, date },
        ]);
      }
      const two = 'DOS: 2025-10-06 visit one E11.9\nDOS: 2025-11-12 visit two G35';
      const dates = findDatesOfService(two, 'text');
      assert.deepStrictEqual(
        dates.map((d) => [d.date, d.start, d.end]),
        [
          ['2025-10-06', 0, two.indexOf('DOS: 2025-11')],
          ['2025-11-12', two.indexOf('DOS: 2025-11'), two.length],
        ],
      );
      for (const none of [
        'dosage 2025-11-12',
        'Date of birth: 1958-03-14',
        'DOS: 13/45/2025',
        'DOS pending',
      ]) {
        assert.deepStrictEqual(findDatesOfService(none, 'text'), [], none);
      }
      const hl7 = 'MSH|^~\\&|A\rNTE|1||Date of service 2025-10-06';
      assert.strictEqual(findDatesOfService(hl7, 'hl7')[0]?.date, '2025-10-06');
      assert.deepStrictEqual(findDatesOfService(sample('immunization_vxu_message.hl7'), 'hl7'), []);
    });

    it('the sample documents', () => {
      const expected: [string, string][] = [
        ['progress_note_annual_visit.md', '2025-12-15'],
        ['discharge_summary_sepsis_uti.txt', '2025-12-09'],
        ['inpatient_coding_worksheet_hip_fracture.md', '2025-10-22'],
      ];
      for (const [name, date] of expected) {
        const text = sample(name);
        assert.deepStrictEqual(
          findDatesOfService(text, 'text'),
          [{ start: 0, end: text.length, date }],
          name,
        );
      }
      assert.deepStrictEqual(findDatesOfService(sample('legacy_icd9_conversion_review.csv'), 'csv'), []);
    });
  });

  describe('options', () => {
    it('rules: false turns a rule off', () => {
      const text = sample('claims_batch_2025Q4.csv');
      const all = validateCodes(text, index);
      const count = (problems: readonly CodeProblem[], rule: RuleId): number =>
        problems.filter((p) => p.rule === rule).length;
      assert.ok(count(all, 'undotted-code') === 2 && count(all, 'header-code') === 2);
      const some = validateCodes(text, index, { rules: { 'undotted-code': false, 'header-code': false } });
      assert.strictEqual(count(some, 'undotted-code'), 0);
      assert.strictEqual(count(some, 'header-code'), 0);
      assert.strictEqual(count(some, 'deleted-code'), 2);
      const none = validateCodes(text, index, {
        rules: {
          'unknown-code': false,
          'malformed-code': false,
          'header-code': false,
          'deleted-code': false,
          'invalid-on-date': false,
          'undotted-code': false,
        },
      });
      assert.deepStrictEqual(none, []);
      assert.deepStrictEqual(
        validateCodes('dx1,hcpcs\nE11.6ZZZZ,G000\n', index, { rules: { 'malformed-code': false } }),
        [],
      );
    });

    it('dateOfService overrides what the document says', () => {
      const text = 'DOS: 2025-12-15\nE11.A';
      assert.deepStrictEqual(validateCodes(text, index), []);
      assert.deepStrictEqual(
        validateCodes(text, index, { dateOfService: '2025-09-15' }).map((p) => p.rule),
        ['invalid-on-date'],
      );
      assert.deepStrictEqual(
        validateCodes(text, index, { dateOfService: '09/15/2025' }).map((p) => p.rule),
        ['invalid-on-date'],
      );
    });

    it('format skips detection', () => {
      const text = 'dx1\nE538\n';
      assert.deepStrictEqual(
        validateCodes(text, index).map((p) => p.rule),
        ['undotted-code'],
      );
      // read as X12 there is no code at all, and never an undotted hint
      assert.deepStrictEqual(validateCodes(text, index, { format: 'x12' }), []);
      assert.deepStrictEqual(validateCodes('HI*ABK:E538~', index, { format: 'x12' }), []);
    });

    it('signal: an aborted validation returns what it has', () => {
      const text = 'dx1\n' + 'M54.5\n'.repeat(5000);
      assert.deepStrictEqual(validateCodes(text, index, { signal: { aborted: true } }), []);
      let reads = 0;
      const signal = {
        get aborted(): boolean {
          return ++reads > 2;
        },
      };
      const partial = validateCodes(text, index, { signal });
      assert.ok(partial.length >= 1024 && partial.length < 5000, `${partial.length} problems`);
      assert.strictEqual(validateCodes(text, index).length, 5000);
    });

    it('problems are sorted by start, across passes', () => {
      const text = 'dx1,note\nM54.5,see G35 and E11.99\nE538,x\n';
      const problems = validateCodes(text, index);
      assert.deepStrictEqual(
        problems.map((p) => text.slice(p.start, p.end)),
        ['M54.5', 'G35', 'E11.99', 'E538'],
      );
    });
  });

  describe('problemsFor (hover, CLI)', () => {
    it('judges one match as validateCodes does', () => {
      const text = sample('claims_batch_2025Q4.csv');
      const matches = findCodes(text, { isKnown: (s, c) => index.has(s, c) });
      const g35 = matches.find((m) => m.text === 'G35')!;
      const [p] = problemsFor(g35, index, '2025-11-12', 'csv');
      assert.strictEqual(p?.rule, 'deleted-code');
      assert.match(p.message, /not valid for DOS 2025-11-12/);
      const early = problemsFor(g35, index, '2025-09-01', 'csv');
      assert.strictEqual(early[0]?.severity, 'information');
      const e538 = matches.find((m) => m.text === 'E538')!;
      assert.deepStrictEqual(
        problemsFor(e538, index, undefined, 'csv').map((x) => x.rule),
        ['undotted-code'],
      );
      assert.deepStrictEqual(problemsFor(e538, index, undefined, 'x12'), []);
      // without isKnown on the match, known-ness is asked of the index
      const bare = findCodes(text).find((m) => m.text === 'E538')!;
      assert.deepStrictEqual(
        problemsFor(bare, index, undefined, 'csv').map((x) => x.rule),
        ['undotted-code'],
      );
      const all = validateCodes(text, index);
      const viaMatches = matches.flatMap((m) => {
        const dos = findDatesOfService(text, 'csv').find((d) => d.start <= m.start && m.start < d.end);
        return problemsFor(m, index, dos?.date, 'csv').filter(
          (x) => !(x.rule === 'header-code' && text.charCodeAt(m.end) === 45),
        );
      });
      assert.deepStrictEqual(viaMatches, all);
    });
  });

  describe('visitCodes', () => {
    it('hands over exactly the matches findCodes returns', () => {
      for (const name of fs.readdirSync(SAMPLES).filter((f) => f !== 'README.md')) {
        const text = sample(name);
        const isKnown = (s: Parameters<CodeIndex['has']>[0], c: string): boolean => index.has(s, c);
        const seen: unknown[] = [];
        visitCodes(text, { isKnown }, (start, end, t, candidates, confidence, evidence, malformed) => {
          seen.push(
            malformed
              ? { start, end, text: t, candidates, confidence, evidence, malformed }
              : { start, end, text: t, candidates, confidence, evidence },
          );
        });
        seen.sort((a, b) => (a as { start: number }).start - (b as { start: number }).start);
        assert.deepStrictEqual(seen, findCodes(text, { isKnown }), name);
      }
    });

    it('stops reporting a free-text reading the visitor wants no more of, and only that one', () => {
      const isKnown = (s: Parameters<CodeIndex['has']>[0], c: string): boolean => index.has(s, c);
      const seen: string[] = [];
      visitCodes(
        'E11.9, I10; E11.9 and I10, then E11.9',
        { isKnown, format: 'text' },
        (start, _end, token) => {
          seen.push(`${token}@${start}`);
          return token === 'E11.9';
        },
      );
      assert.deepStrictEqual(seen, ['E11.9@0', 'I10@7', 'I10@22']);
    });
  });

  describe('linear time', () => {
    const MB = 1_000_000;
    const inputs: [string, string][] = [
      ['codes in prose', 'E11.65 G35 M54.5 E538 G0008 '.repeat(MB / 28)],
      ['one long line of digits and dots', '1.'.repeat(MB / 2)],
      ['date phrases', 'DOS 11/12/2025 '.repeat(MB / 15)],
      ['date phrases without dates', 'date of service '.repeat(MB / 16)],
      ['csv rows', 'dx1,dos,hcpcs\n' + 'G35,2025-11-12,A4466\n'.repeat(MB / 21)],
      ['csv one row', 'dx1,dos\n' + 'E538,'.repeat(MB / 5)],
      ['csv quotes', 'dx1,dos,note\n' + 'M54.5,2025-10-06,"a ""b"", c\n'.repeat(MB / 30)],
      ['x12 claims', 'ISA*00~' + 'CLM*1*1~HI*ABK:G35~DTP*472*D8*20251112~'.repeat(MB / 40)],
      ['x12 dates in one claim', 'ISA*00~CLM*1*1~HI*ABK:G35~' + 'DTP*472*D8*20251112~'.repeat(MB / 21)],
      ['json nesting', '{"servicedDate":"x",' + '"a":['.repeat(MB / 6) + ']'.repeat(MB / 6) + '}'],
      ['json periods', '[' + '{"period":{"start":"2025-10-06"}},'.repeat(MB / 35) + '{}]'],
    ];
    for (const [name, text] of inputs) {
      it(`${name}: 1 MB validates in well under a second`, function () {
        this.timeout(10_000);
        const t0 = process.hrtime.bigint();
        validateCodes(text, index);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        assert.ok(ms < 1000, `${name}: ${ms.toFixed(0)} ms`);
      });
    }
  });
});
