import * as assert from 'assert';
import {
  couldBeKeywordAt,
  detectFormat,
  findCodeAt,
  findCodes,
  type CodeMatch,
  type FindCodesContext,
} from '../../../src/core/codes/findCodes';
import {
  KEYWORD_SYSTEMS,
  systemsForKeyword,
  systemsForKeywordAt,
  type CodeSystem,
} from '../../../src/core/codes/systems';

/** `system:code` of the best reading of each match. */
function keys(matches: readonly CodeMatch[]): string[] {
  return matches.map((m) => `${m.candidates[0]!.system}:${m.candidates[0]!.code}`);
}

function knownSet(entries: readonly string[]): FindCodesContext['isKnown'] {
  const set = new Set(entries);
  return (system: CodeSystem, code: string) => set.has(`${system}:${code}`);
}

describe('core/codes/findCodes', () => {
  describe('free text', () => {
    it('claims distinctive shapes with offsets', () => {
      const text =
        'Dx: E11.65 and W19.XXXA; proc 0SRR0J9; supply G0439; CPT II 3044F; LOINC-ish 2345-7; NDC 0002-1433-80.';
      const m = findCodes(text);
      assert.deepStrictEqual(keys(m), [
        'icd10cm:E11.65',
        'icd10cm:W19.XXXA',
        'icd10pcs:0SRR0J9',
        'hcpcs:G0439',
        'cpt:3044F',
        'loinc:2345-7',
        'ndc:00002143380',
      ]);
      for (const x of m) assert.strictEqual(text.slice(x.start, x.end), x.text);
      assert.ok(m.every((x) => x.confidence === 'medium' || x.evidence === 'keyword'));
    });

    const nonCodes = [
      'Room B12, vitamin B12 level 410 pg/mL',
      'tenderness L4-L5, SLR negative',
      'A1c 5.6% x2',
      'PHQ-2 = 0, PHQ-9 negative',
      'fever 39.2 C, lactate 4.1, creatinine 2.9',
      'PCV13 received, PPSV23 due',
      'Sepsis due to E. coli, source urinary',
      'BP 128/76, HR 72, BMI 31.4, LDL 162, Lp(a) pending',
      'NPI 0000000000, MRN 00-SYN-0590, phone 555-123-4567, date 2025-10-22',
      'SNOMED-looking number 22298006 without a keyword',
      'range 120-8 mmHg',
      'lower-case e11.65 is not claimed in prose',
    ];
    for (const text of nonCodes) {
      it(`claims nothing in ${JSON.stringify(text)}`, () =>
        assert.deepStrictEqual(keys(findCodes(text)), []));
    }

    it('does not claim non-codes even when an index would know their letters', () => {
      const isKnown = knownSet([
        'icd10cm:B12',
        'icd10cm:A1C',
        'icd9cm-dx:039.2',
        'icd9cm-proc:39.2',
        'cvx:72',
        'icd9cm-dx:135',
        'icd9cm-dx:101.5',
      ]);
      const text = 'Vitamin B12 given. A1c 7. T 39.2 C. HR 72. Na 135. Temp 101.5 F.';
      assert.deepStrictEqual(keys(findCodes(text, { isKnown })), []);
    });

    it('claims undotted or short codes only when the index knows them', () => {
      const text = 'Hypertension I10; MS G35; room B12; part E1165x';
      assert.deepStrictEqual(keys(findCodes(text)), []);
      const m = findCodes(text, { isKnown: knownSet(['icd10cm:I10', 'icd10cm:G35']) });
      assert.deepStrictEqual(keys(m), ['icd10cm:I10', 'icd10cm:G35']);
      assert.ok(m.every((x) => x.evidence === 'known' && x.confidence === 'high'));
    });

    it('orders known readings first and keeps unknown distinctive ones for diagnostics', () => {
      const isKnown = knownSet(['icd9cm-dx:V58.67']);
      const [v] = findCodes('history V58.67', { isKnown });
      assert.strictEqual(v!.candidates[0]!.system, 'icd9cm-dx');
      const [bad] = findCodes('code E11.6Z maybe', { isKnown });
      assert.strictEqual(bad!.evidence, 'shape');
      assert.strictEqual(bad!.candidates[0]!.known, false);
    });

    it('uses a keyword right before the token', () => {
      const m = findCodes(
        'PCV13 (CVX 133) and PPSV23 (CVX 33); HCPCS J0696; LOINC 718-7; SNOMED 22298006; RxNorm 197361; CPT 99213',
      );
      assert.deepStrictEqual(keys(m), [
        'cvx:133',
        'cvx:33',
        'hcpcs:J0696',
        'loinc:718-7',
        'snomed:22298006',
        'rxnorm:197361',
        'cpt:99213',
      ]);
      assert.ok(m.every((x) => x.evidence === 'keyword'));
      // every spelling of the RxNorm keyword, before a bare number (which only a keyword claims)
      for (const kw of ['RXCUI', 'RxCUI', 'rxnorm', 'RXNORM:'])
        assert.deepStrictEqual(keys(findCodes(`${kw} 197361 tablet`)), ['rxnorm:197361'], kw);
    });

    it('pre-filters words by characters every keyword passes', () => {
      for (const kw of KEYWORD_SYSTEMS.keys()) {
        for (const spelling of [kw, kw.toLowerCase(), kw[0] + kw.slice(1).toLowerCase()]) {
          assert.ok(couldBeKeywordAt(`(${spelling}`, 1, spelling.length + 1), spelling);
          // and is looked up in place as the string would be
          assert.strictEqual(
            systemsForKeywordAt(`(${spelling} `, 1, spelling.length + 1),
            systemsForKeyword(spelling),
          );
        }
      }
      for (const word of ['CVXX', 'ICD_10', 'Inpatient', 'LOINK', 'ICD-10-C'])
        assert.strictEqual(systemsForKeywordAt(word, 0, word.length), undefined, word);
      // and most words before a number are not even sliced
      for (const word of ['Condition', 'Temp', 'Diagnosis', 'BP', 'Hemoglobin'])
        assert.ok(!couldBeKeywordAt(word, 0, word.length), word);
    });

    it('reads the parts of every repeated hyphenated token the same way', () => {
      const isKnown = knownSet(['icd10cm:I10', 'icd10cm:I15']);
      const text = 'ICD-9-CM CLM-25-100231 I10-I15; again ICD-9-CM CLM-25-100231 I10-I15.';
      assert.deepStrictEqual(
        findCodes(text, { isKnown }).map((m) => `${m.text}@${m.start}`),
        ['I10@23', 'I15@27', 'I10@61', 'I15@65'],
      );
    });

    it('strips sentence punctuation and splits code ranges', () => {
      const text = 'recode to E78.011. Use G35.A/G35.B-/G35.C- or range I10-I15.';
      const m = findCodes(text, { isKnown: knownSet(['icd10cm:I10', 'icd10cm:I15']) });
      assert.deepStrictEqual(keys(m), [
        'icd10cm:E78.011',
        'icd10cm:G35.A',
        'icd10cm:G35.B',
        'icd10cm:G35.C',
        'icd10cm:I10',
        'icd10cm:I15',
      ]);
      assert.strictEqual(m[0]!.text, 'E78.011');
    });
  });

  describe('FHIR', () => {
    it('reads the system of each Coding (JSON), either key order, dotted or not', () => {
      const json = JSON.stringify({
        coding: [
          { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E1165' },
          { code: '2345-7', system: 'http://loinc.org' },
          { system: 'http://snomed.info/sct', code: '44054006' },
          { system: 'http://hl7.org/fhir/sid/cvx', code: '150' },
          { system: 'http://www.ama-assn.org/go/cpt', code: '99213' },
          { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197361' },
          { system: 'http://hl7.org/fhir/sid/ndc', code: '0002-1433-80' },
          { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
          { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'E11.6ZZZZ' },
        ],
      });
      const m = findCodes(json);
      assert.deepStrictEqual(keys(m), [
        'icd10cm:E11.65',
        'loinc:2345-7',
        'snomed:44054006',
        'cvx:150',
        'cpt:99213',
        'rxnorm:197361',
        'ndc:00002143380',
        'icd10cm:E11.6ZZZZ',
      ]);
      assert.ok(m.every((x) => x.evidence === 'fhir' && x.confidence === 'high'));
      assert.strictEqual(m[7]!.malformed, true);
      assert.strictEqual(json.slice(m[0]!.start, m[0]!.end), 'E1165');
    });

    it('reads modifiers under Claim.item.modifier', () => {
      const json =
        '{"modifier":[{"coding":[{"system":"https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets","code":"KX"}]}]}';
      const [m] = findCodes(json);
      assert.strictEqual(m!.candidates[0]!.kind, 'modifier');
      assert.strictEqual(m!.candidates[0]!.code, 'KX');
    });

    it('reads FHIR XML', () => {
      const xml =
        '<Condition><code><coding><system value="http://hl7.org/fhir/sid/icd-10-cm"/><code value="I10"/></coding><coding><system value="http://example.org/local"/><code value="Z23"/></coding></code></Condition>';
      assert.deepStrictEqual(keys(findCodes(xml)), ['icd10cm:I10']);
    });
  });

  describe('X12', () => {
    it('reads HI qualifiers, SV1 HC composites and modifiers, and nothing else', () => {
      const x12 =
        'ST*837*0001~\nHI*ABK:Z23*ABF:E1165*BK:25000*BBR:0SRR0J9:D8:20251023*BE:80:::100~\nSV1*HC:A4253:KX:RT*58.4*UN*2***1~\nSV1*HC:99213*80*UN*1~\nLIN**N4*00002143380~\nNM1*85*2*X*****XX*0000000000~';
      const m = findCodes(x12);
      assert.strictEqual(detectFormat('ISA*00*~'), 'x12');
      assert.deepStrictEqual(keys(m), [
        'icd10cm:Z23',
        'icd10cm:E11.65',
        'icd9cm-dx:250.00',
        'icd10pcs:0SRR0J9',
        'hcpcs:A4253',
        'hcpcs:KX',
        'hcpcs:RT',
        'cpt:99213',
        'ndc:00002143380',
      ]);
      assert.ok(m.every((x) => x.evidence === 'x12'));
    });
  });

  describe('HL7 v2', () => {
    it('reads coded triples by their coding system, and nothing else', () => {
      const hl7 =
        'MSH|^~\\&|A|B|C|D|20251006||VXU^V04^VXU_V04|1|P|2.5.1|||ER|AL|||||Z22^CDCPHINVSPID\rPID|1||X||Y||19580314|F||2106-3^White^CDCREC\rRXA|0|1|20251006||150^Influenza^CVX|0.5\rOBX|1|NM|2345-7^Glucose^LN||95\rDG1|1||E11.9^Type 2 DM^I10~I10^HTN^I10||';
      const m = findCodes(hl7);
      assert.deepStrictEqual(keys(m), ['cvx:150', 'loinc:2345-7', 'icd10cm:E11.9', 'icd10cm:I10']);
      assert.ok(m.every((x) => x.evidence === 'hl7'));
    });
  });

  describe('CSV', () => {
    it('reads code-named columns, multi-code cells and modifiers; skips single-token data cells', () => {
      const csv =
        'claim_id,dx1,gem_targets,hcpcs,mod1,cvx_code,charge,note\nC-1,E538,I10|I16.9,G0008,KX,08,410.00,given B12 and CVX 150\n';
      const m = findCodes(csv);
      assert.deepStrictEqual(keys(m), [
        'icd10cm:E53.8',
        'icd10cm:I10',
        'icd10cm:I16.9',
        'hcpcs:G0008',
        'hcpcs:KX',
        'cvx:08',
        'cvx:150',
      ]);
      assert.deepStrictEqual(
        m.map((x) => x.evidence),
        ['csv', 'csv', 'csv', 'csv', 'csv', 'csv', 'keyword'],
      );
    });

    it('handles quoted cells and CRLF; flags malformed codes in code columns', () => {
      const csv = 'icd10,"desc"\r\n"E11.9","Type 2, no complications"\r\nE11.6ZZZZ,bad\r\n';
      const m = findCodes(csv);
      assert.deepStrictEqual(keys(m), ['icd10cm:E11.9', 'icd10cm:E11.6ZZZZ']);
      assert.strictEqual(m[1]!.malformed, true);
    });
  });

  it('findCodeAt finds the code under a caret, including just after it', () => {
    const text = 'see E11.65 now';
    assert.strictEqual(findCodeAt(text, 4)?.text, 'E11.65');
    assert.strictEqual(findCodeAt(text, 10)?.text, 'E11.65');
    assert.strictEqual(findCodeAt(text, 12), undefined);
  });

  describe('linear time on 1 MB adversarial lines', () => {
    const MB = 1_000_000;
    const isKnown = knownSet(['icd10cm:A11']);
    const inputs: [string, string][] = [
      ['A1 repeated', 'A1'.repeat(MB / 2)],
      ['A1 spaced', 'A1 '.repeat(MB / 3)],
      ['digits with dots', '1.'.repeat(MB / 2)],
      ['letters and hyphens', 'AB-'.repeat(MB / 3)],
      ['hyphen parts', 'A1-B2-C3-D4-E5-F6-G7 '.repeat(MB / 21)],
      ['one long token', 'A'.repeat(MB)],
      ['spaces', ' '.repeat(MB)],
      ['keywords', 'CVX CVX '.repeat(MB / 8)],
      ['json strings', '{"system":"http://loinc.org","code":"' + 'x'.repeat(MB) + '"}'],
      ['json nesting', '['.repeat(MB / 2) + ']'.repeat(MB / 2)],
      ['csv', 'dx1,hcpcs\n' + 'E11.6#,G000#\n'.repeat(MB / 13)],
      ['csv quotes', 'dx1,hcpcs\n"' + '""'.repeat(MB / 2)],
      ['hl7', 'MSH|^~\\&|' + '^'.repeat(MB)],
      ['hl7 triples', 'MSH|^~\\&|' + '1^a^ZZZ~'.repeat(MB / 8)],
      ['x12', 'ISA*' + 'HI*ABK:'.repeat(MB / 7)],
      ['xml', '<code value="' + '<system value="'.repeat(MB / 16)],
    ];
    for (const [name, text] of inputs) {
      it(`${name} scans in < 500 ms`, () => {
        const t0 = process.hrtime.bigint();
        findCodes(text, { isKnown });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        assert.ok(ms < 500, `${name}: ${ms.toFixed(1)} ms`);
      });
    }

    it('dense real codes (one match every 7 characters) scale linearly', () => {
      const time = (text: string): number => {
        const t0 = process.hrtime.bigint();
        const n = findCodes(text, { isKnown }).length;
        assert.ok(n > 0);
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      const unit = 'E11.65 G0008 ';
      time(unit.repeat(10_000)); // warm up
      const small = time(unit.repeat(Math.floor(MB / 4 / unit.length)));
      const big = time(unit.repeat(Math.floor(MB / unit.length)));
      assert.ok(big < 2000, `1 MB of codes: ${big.toFixed(0)} ms`);
      assert.ok(big < small * 8 + 50, `not linear: 256 KB ${small.toFixed(0)} ms, 1 MB ${big.toFixed(0)} ms`);
    });
  });
});
