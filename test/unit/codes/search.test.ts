/**
 * The Find Code search engine: the ranking rules on a small hand-made code set, then realistic
 * queries over the real ICD-10-CM and ICD-10-PCS FY2026 order files (parsed here with a few slices,
 * so this suite does not depend on the loaders).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  SearchIndex,
  words,
  type MatchTier,
  type SearchHit,
  type SearchSource,
} from '../../../src/core/codes/search';
import type { CodeSystem } from '../../../src/core/codes/systems';

interface Row {
  readonly system: CodeSystem;
  readonly code: string;
  readonly display?: string;
  readonly title: string;
  readonly alternate?: string;
  readonly billable?: boolean;
}

function sourceOf(rows: readonly Row[]): SearchSource {
  return {
    size: rows.length,
    system: (r) => rows[r]!.system,
    code: (r) => rows[r]!.code,
    display: (r) => rows[r]!.display ?? rows[r]!.code,
    title: (r) => rows[r]!.title,
    alternate: (r) => rows[r]!.alternate,
    billable: (r) => rows[r]!.billable,
  };
}

const cm = (code: string, title: string, billable?: boolean, alternate?: string): Row => ({
  system: 'icd10cm',
  code,
  display: code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code,
  title,
  billable,
  alternate,
});

/** The items that fail `pred`, named: `[]` when all pass (a readable failure otherwise). */
function failing<T>(items: readonly T[], pred: (x: T) => boolean, name: (x: T) => string): string[] {
  return items.filter((x) => !pred(x)).map(name);
}

/** A small hand-made code set covering every ranking rule. */
const ROWS: readonly Row[] = [
  cm('E11', 'Type 2 diabetes mellitus', false),
  cm('E1165', 'Type 2 diabetes mellitus with hyperglycemia', true),
  cm(
    'E119',
    'Type 2 diabetes mellitus without complications',
    true,
    'Type 2 diabetes mellitus w/o complications',
  ),
  cm('E116', 'Type 2 diabetes mellitus with other specified complications', false),
  cm('E1169', 'Type 2 diabetes mellitus with other specified complication', true),
  cm('E1140', 'Type 2 diabetes mellitus with diabetic neuropathy, unspecified', true),
  cm('E1010', 'Type 1 diabetes mellitus with ketoacidosis without coma', true),
  cm('J189', 'Pneumonia, unspecified organism', true),
  cm('A202', 'Pneumonic plague', true),
  cm('G309', "Alzheimer's disease, unspecified", true),
  cm('M3500', 'Sjögren syndrome, unspecified', true),
  cm('L811', 'Café-au-lait spots', true),
  cm('R509', 'Fever, unspecified', true),
  // the ranking rules on one pair of words
  cm('X00', 'Fracture of femur', false),
  cm('X001', 'Fracture of femur, closed', true),
  cm('X002', 'Fractures of femur, multiple', true),
  cm('X003', 'Stress fracture of left femur', true),
  cm('X004', 'Femur pain', true),
  cm('X006', 'Fracture of tibia', true),
  cm('X005', 'Fracture of tibia', true),
  cm('X007', 'Other fracture of fibula', undefined),
  cm('X010', 'Fracture of patella', false),
  cm('X011', 'Fracture of patella', undefined),
  cm('X012', 'Fracture of patella', true),
  // an exact word of the alternate ranks like a prefix match
  cm('X020', 'Fracture of ulna', true, 'Fx ulna'),
  cm('X021', 'Fx appliance adjustment', true),
  {
    system: 'icd10pcs',
    code: '0DT70ZZ',
    title: 'Resection of Stomach, Pylorus, Open Approach',
    billable: true,
  },
  { system: 'icd10pcs', code: '0DT7', title: 'Resection of Stomach, Pylorus', billable: false },
  {
    system: 'hcpcs',
    code: 'J0696',
    title: 'Injection, ceftriaxone sodium, per 250 mg',
    alternate: 'Ceftriaxone sodium injectn',
  },
  { system: 'cvx', code: '150', title: 'Influenza, injectable, quadrivalent, preservative free' },
  { system: 'icd9cm-dx', code: '150', title: 'Malignant neoplasm of esophagus', billable: false },
  { system: 'icd9cm-dx', code: '1500', display: '150.0', title: 'Malignant neoplasm of cervical esophagus' },
  { system: 'loinc', code: '718-7', title: 'Hemoglobin [Mass/volume] in Blood' },
];

describe('core/codes/search', () => {
  describe('words()', () => {
    const cases: Array<[string, string[]]> = [
      [
        'type 2 diabetes mellitus w/o complications',
        ['type', '2', 'diabetes', 'mellitus', 'without', 'complications'],
      ],
      ['Fever w/ chills, W/O rash', ['fever', 'with', 'chills', 'without', 'rash']],
      ['Sjögren’s syndrome', ['sjogren', 'syndrome']],
      ['Café-au-lait spots', ['cafe', 'au', 'lait', 'spots']],
      ["Alzheimer's disease", ['alzheimer', 'disease']],
      ["o'clock", ['oclock']],
      [
        'NON-ST elevation (NSTEMI) myocardial infarction, left/right',
        ['non', 'st', 'elevation', 'nstemi', 'myocardial', 'infarction', 'left', 'right'],
      ],
      ['E11.65 / 0DT70ZZ', ['e11', '65', '0dt70zz']],
      ['Hemoglobin [Mass/volume] in Blood', ['hemoglobin', 'mass', 'volume', 'in', 'blood']],
      ['ﬁbrosis Æther straße', ['fibrosis', 'aether', 'strasse']],
      ['w/x, aw/o', ['w', 'x', 'aw', 'o']],
      ['', []],
      ['  ,;/ - ', []],
    ];
    for (const [text, expected] of cases) {
      it(`${JSON.stringify(text)} → ${JSON.stringify(expected)}`, () =>
        assert.deepStrictEqual(words(text), expected));
    }
  });

  describe('ranking (hand-made source)', () => {
    const index = SearchIndex.build(sourceOf(ROWS));
    const codes = (hits: readonly SearchHit[]): string[] => hits.map((h) => ROWS[h.row]!.code);
    const tiers = (hits: readonly SearchHit[]): MatchTier[] => hits.map((h) => h.tier);
    const listed = (hits: readonly SearchHit[]): string[] =>
      hits.map((h) => `${h.tier}:${ROWS[h.row]!.system}:${ROWS[h.row]!.code}`);

    it('exact: dotted, undotted, any case, padded', () => {
      for (const q of ['e11.65', 'E1165', ' E11.65 ', 'e1165']) {
        assert.deepStrictEqual(listed(index.search(q)), ['exact:icd10cm:E1165'], q);
      }
      assert.deepStrictEqual(index.search('E1165')[0]?.matchedWords, []);
      assert.deepStrictEqual(listed(index.search('0dt70zz')), ['exact:icd10pcs:0DT70ZZ']);
      assert.deepStrictEqual(listed(index.search('j0696')), ['exact:hcpcs:J0696']);
    });

    it('exact: LOINC with or without its hyphen', () => {
      for (const q of ['718-7', '7187'])
        assert.deepStrictEqual(listed(index.search(q)), ['exact:loinc:718-7']);
    });

    it('exact hits in several systems come first (in system order), then prefix hits', () => {
      assert.deepStrictEqual(listed(index.search('150')), [
        'exact:icd9cm-dx:150',
        'exact:cvx:150',
        'prefix:icd9cm-dx:1500',
      ]);
    });

    it('prefix: shorter codes first, then code order; no partial word matches after code hits', () => {
      const hits = index.search('E11');
      assert.deepStrictEqual(codes(hits), ['E11', 'E116', 'E119', 'E1140', 'E1165', 'E1169']);
      assert.deepStrictEqual(tiers(hits), ['exact', 'prefix', 'prefix', 'prefix', 'prefix', 'prefix']);
      // 'e11.6' is also the words 'e11' and '6': no title has both, and '6' alone is not wanted
      assert.deepStrictEqual(codes(index.search('e11.6')), ['E116', 'E1165', 'E1169']);
      assert.deepStrictEqual(codes(index.search('0DT')), ['0DT7', '0DT70ZZ']);
    });

    it('words: exact word matches, then billable before header, then shorter title, then code order', () => {
      assert.deepStrictEqual(listed(index.search('fracture femur')), [
        // both words exact: billable before header, then shorter title
        'words:icd10cm:X001',
        'words:icd10cm:X003',
        'words:icd10cm:X00',
        // 'fracture' only by prefix ('fractures')
        'words:icd10cm:X002',
        // one word of two: billable (shorter title first, then code order), unknown, header
        'partial:icd10cm:X004',
        'partial:icd10cm:X020',
        'partial:icd10cm:X005',
        'partial:icd10cm:X006',
        'partial:icd10cm:X012',
        'partial:icd10cm:X011',
        'partial:icd10cm:X007',
        'partial:icd10cm:X010',
      ]);
      // same title and billable: code order (X005 before X006 though its row comes later)
      assert.deepStrictEqual(codes(index.search('tibia fracture')).slice(0, 2), ['X005', 'X006']);
      // billable (true) before unknown before header (false), whatever the code order
      assert.deepStrictEqual(codes(index.search('patella')), ['X012', 'X011', 'X010']);
    });

    it('a word found only in the alternate ranks like a prefix match', () => {
      // X020 has 'fx' only in its short title; X021 in its title, which is longer
      assert.deepStrictEqual(codes(index.search('fx')), ['X021', 'X020']);
      assert.deepStrictEqual(codes(index.search('injectn')), ['J0696']);
    });

    it('scores decrease strictly along the list and tiers never interleave', () => {
      const order: MatchTier[] = ['exact', 'prefix', 'words', 'partial'];
      for (const q of ['150', 'E11', 'fracture femur', 'diabetes hyperglycemia', 'diabtes mellitus']) {
        const hits = index.search(q);
        for (let i = 1; i < hits.length; i++) {
          assert.ok(hits[i - 1]!.score > hits[i]!.score, `${q}: score at ${i}`);
          assert.ok(order.indexOf(hits[i - 1]!.tier) <= order.indexOf(hits[i]!.tier), `${q}: tier at ${i}`);
        }
      }
    });

    it('words then partial: all words matched first, then by the number matched', () => {
      const hits = index.search('type 2 diabetes hyperglycemia');
      assert.deepStrictEqual(listed(hits.slice(0, 1)), ['words:icd10cm:E1165']);
      assert.deepStrictEqual(hits[0]?.matchedWords, ['type', '2', 'diabetes', 'hyperglycemia']);
      assert.deepStrictEqual(
        failing(
          hits.slice(1),
          (h) => h.tier === 'partial',
          (h) => ROWS[h.row]!.code,
        ),
        [],
      );
      // E1010 (type 1) matches two of the four words: after every type 2 row (three of four)
      assert.strictEqual(codes(hits).at(-1), 'E1010');
      assert.deepStrictEqual(hits.at(-1)?.matchedWords, ['type', 'diabetes']);
    });

    it('the last word is a prefix while typed; a short earlier word must match exactly', () => {
      const typed = index.search('femur fr');
      assert.deepStrictEqual(tiers(typed).slice(0, 4), ['words', 'words', 'words', 'words']);
      assert.deepStrictEqual(typed[0]?.matchedWords, ['femur', 'fr']);
      // 'fr' complete (trailing space) or not last must equal a word, and no word is 'fr'
      for (const q of ['femur fr ', 'fr femur']) {
        const hits = index.search(q);
        assert.ok(hits.length > 0, q);
        assert.deepStrictEqual(
          failing(
            hits,
            (h) => h.tier === 'partial',
            (h) => ROWS[h.row]!.code,
          ),
          [],
          q,
        );
      }
      // 3+ letters are prefixes anywhere
      assert.strictEqual(index.search('frac femur')[0]?.tier, 'words');
      assert.deepStrictEqual(codes(index.search('hyperglyc')), ['E1165']);
    });

    it('typos: distance 1 (2 from 8 letters), closest first, reported as the title word', () => {
      const hits = index.search('diabtes');
      assert.strictEqual(hits.length, 7);
      assert.deepStrictEqual(
        failing(
          hits,
          (h) => h.tier === 'words' && h.matchedWords[0] === 'diabetes',
          (h) => ROWS[h.row]!.code,
        ),
        [],
      );
      // pneumonai → pneumonia (transposition, 1) before pneumonic (2) despite the longer title
      assert.deepStrictEqual(codes(index.search('pneumonai')), ['J189', 'A202']);
      assert.deepStrictEqual(index.search('pneumonai')[0]?.matchedWords, ['pneumonia']);
      const tibia = index.search('fractrue of tibia');
      assert.deepStrictEqual(codes(tibia).slice(0, 2), ['X005', 'X006']);
      assert.deepStrictEqual(tiers(tibia).slice(0, 3), ['words', 'words', 'partial']);
      assert.deepStrictEqual(codes(index.search('hyprglycmia')), ['E1165']); // 11 letters, distance 2
      assert.deepStrictEqual(codes(index.search('fevr')), ['R509']);
      assert.deepStrictEqual(index.search('fvr'), []); // too short for typo tolerance
      assert.deepStrictEqual(index.search('diabtse'), []); // 7 letters: distance 1 only
    });

    it('typo matches count for the tier but rank below exact and prefix matches', () => {
      const hits = index.search('diabtes mellitus hyperglycemia');
      assert.deepStrictEqual(listed(hits.slice(0, 1)), ['words:icd10cm:E1165']);
      // 'femur fractrue' vs 'femur fractu': the same rows, but the typo scores lower
      const typo = index.search('femur fractrue');
      const prefix = index.search('femur fractu');
      assert.deepStrictEqual(codes(typo).sort(), codes(prefix).sort());
      assert.strictEqual(typo[0]!.row, prefix[0]!.row);
      assert.ok(typo[0]!.score < prefix[0]!.score, 'typo scores lower');
      // fractrue → fracture is distance 1, → fractures distance 2: X002 stays last of the words tier
      assert.deepStrictEqual(codes(typo).slice(0, 4), ['X001', 'X003', 'X00', 'X002']);
    });

    it('stop-words are ignored unless the query has nothing else', () => {
      const plain = codes(index.search('fracture femur'));
      assert.deepStrictEqual(codes(index.search('fracture of the femur')), plain);
      assert.deepStrictEqual(codes(index.search('the fracture of femur')), plain);
      const stopOnly = index.search('of the');
      assert.ok(stopOnly.length > 0, 'stop-words only');
      assert.deepStrictEqual(
        failing(
          stopOnly,
          (h) => words(ROWS[h.row]!.title).includes('of'),
          (h) => ROWS[h.row]!.title,
        ),
        [],
      );
      // 'unspecified', 'other', 'with' and 'without' stay searchable
      const other = index.search('other fracture');
      assert.deepStrictEqual(listed(other.slice(0, 1)), ['words:icd10cm:X007']);
      assert.strictEqual(other[1]?.tier, 'partial');
      assert.strictEqual(index.search('unspecified').length, 5);
      assert.deepStrictEqual(codes(index.search('without coma')).slice(0, 1), ['E1010']);
    });

    it('titles and alternates: diacritics, possessives, w/o shorthand', () => {
      assert.deepStrictEqual(codes(index.search('sjogren')), ['M3500']);
      assert.deepStrictEqual(codes(index.search('Sjögren')), ['M3500']);
      assert.deepStrictEqual(codes(index.search('cafe au lait')), ['L811']);
      assert.deepStrictEqual(codes(index.search("alzheimer's")), ['G309']);
      assert.deepStrictEqual(codes(index.search('type 2 diabetes mellitus w/o complications')).slice(0, 1), [
        'E119',
      ]);
      assert.deepStrictEqual(codes(index.search('hemoglobin mass volume')), ['718-7']);
    });

    it('systems filter', () => {
      assert.deepStrictEqual(listed(index.search('150', { systems: ['cvx'] })), ['exact:cvx:150']);
      // billable before header, though the header's title is shorter
      assert.deepStrictEqual(codes(index.search('resection', { systems: ['icd10pcs'] })), [
        '0DT70ZZ',
        '0DT7',
      ]);
      assert.deepStrictEqual(index.search('resection', { systems: ['icd10cm'] }), []);
      assert.deepStrictEqual(index.search('diabetes', { systems: [] }), []);
      assert.strictEqual(index.search('diabetes', { systems: ['icd10cm', 'cvx'] }).length, 7);
    });

    it('limit', () => {
      assert.deepStrictEqual(codes(index.search('E11', { limit: 2 })), ['E11', 'E116']);
      assert.strictEqual(index.search('diabetes', { limit: 3 }).length, 3);
      assert.deepStrictEqual(index.search('diabetes', { limit: 0 }), []);
      assert.deepStrictEqual(index.search('diabetes', { limit: NaN }), []);
      assert.strictEqual(index.search('diabetes', { limit: Infinity }).length, 7);
      assert.strictEqual(index.search('fracture').length, 11); // the default (100) is more than enough
    });

    it('empty, blank and aborted queries give nothing; state does not leak between queries', () => {
      assert.deepStrictEqual(index.search(''), []);
      assert.deepStrictEqual(index.search('   '), []);
      assert.deepStrictEqual(index.search('-.,'), []);
      assert.deepStrictEqual(index.search('diabetes', { signal: { aborted: true } }), []);
      const before = index.search('fracture femur');
      // aborted after the first phase, and after the first word
      for (const reads of [1, 2, 3, 4, 5]) {
        let n = 0;
        const signal = {
          get aborted(): boolean {
            return ++n > reads;
          },
        };
        assert.deepStrictEqual(index.search('fracture femur', { signal }), [], `aborted after ${reads}`);
      }
      index.search('diabetes mellitus');
      index.search('E11');
      assert.deepStrictEqual(index.search('fracture femur'), before);
    });

    it('an empty source', () => {
      const empty = SearchIndex.build(sourceOf([]));
      assert.deepStrictEqual(empty.search('diabetes'), []);
      assert.deepStrictEqual(empty.search('E11'), []);
    });
  });

  describe('real code sets: ICD-10-CM and ICD-10-PCS FY2026 order files', () => {
    const DATA = path.resolve(__dirname, '../../../sandbox/data');
    const FILES: Array<[string, CodeSystem]> = [
      ['icd10cm/icd10cm-order-2026.txt', 'icd10cm'],
      ['icd10pcs/icd10pcs_order_2026.txt', 'icd10pcs'],
    ];
    const rows: Row[] = [];
    let index: SearchIndex;

    before(function () {
      this.timeout(60_000);
      if (!FILES.every(([f]) => fs.existsSync(path.join(DATA, f)))) this.skip();
      // fixed width: order 1-5, code 7-13, billable 15, short title 17-76, long title 78-
      for (const [file, system] of FILES) {
        for (const line of fs.readFileSync(path.join(DATA, file), 'latin1').split(/\r?\n/)) {
          if (!line) continue;
          const code = line.slice(6, 13).trim();
          rows.push({
            system,
            code,
            display: system === 'icd10cm' && code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code,
            billable: line[14] === '1',
            alternate: line.slice(16, 76).trim(),
            title: line.slice(77).trim(),
          });
        }
      }
      index = SearchIndex.build(sourceOf(rows));
    });

    const top = (q: string, n = 10, systems?: CodeSystem[]): Row[] =>
      index.search(q, { limit: n, systems }).map((h) => rows[h.row]!);
    const hasWords = (r: Row, ...ws: string[]): boolean => {
      const t = new Set(words(`${r.title} ${r.alternate ?? ''}`));
      return ws.every((w) => t.has(w));
    };
    /** Titles among `found` that lack one of `ws`: `[]` when all have them. */
    const lacking = (found: readonly Row[], ...ws: string[]): string[] =>
      failing(
        found,
        (r) => hasWords(r, ...ws),
        (r) => `${r.code} ${r.title}`,
      );

    it('reads both files', () => assert.strictEqual(rows.length, 98186 + 80029));

    it("'type 2 diabetes hyperglycemia' finds E11.65 in the top 5", () => {
      const found = top('type 2 diabetes hyperglycemia', 5).map((r) => r.code);
      assert.ok(found.includes('E1165'), found.join());
    });

    it("'e1165', 'E11.65' and '0dt70zz' are exact", () => {
      for (const q of ['e1165', 'E11.65']) {
        const hits = index.search(q);
        assert.deepStrictEqual(
          hits.map((h) => `${h.tier}:${rows[h.row]!.display}`),
          ['exact:E11.65'],
        );
      }
      assert.deepStrictEqual(
        index.search('0dt70zz').map((h) => `${h.tier}:${rows[h.row]!.code}`),
        ['exact:0DT70ZZ'],
      );
    });

    it("'E11.6' gives E11.6, then every E11.6x code by prefix, shorter codes first", () => {
      const hits = index.search('E11.6');
      assert.deepStrictEqual([hits[0]?.tier, rows[hits[0]!.row]!.code], ['exact', 'E116']);
      const rest = hits.slice(1);
      assert.strictEqual(rest.length, 16);
      assert.deepStrictEqual(
        failing(
          rest,
          (h) => h.tier === 'prefix' && rows[h.row]!.code.startsWith('E116'),
          (h) => rows[h.row]!.code,
        ),
        [],
      );
      const lengths = rest.map((h) => rows[h.row]!.code.length);
      assert.deepStrictEqual(
        lengths,
        [...lengths].sort((a, b) => a - b),
      );
      assert.strictEqual(rows[rest[0]!.row]!.display, 'E11.61');
    });

    it("'diabtes mellitus' finds diabetes mellitus codes", () => {
      const hits = index.search('diabtes mellitus', { limit: 20 });
      assert.strictEqual(hits.length, 20);
      assert.deepStrictEqual(
        lacking(
          hits.map((h) => rows[h.row]!),
          'diabetes',
          'mellitus',
        ),
        [],
      );
      for (const h of hits) {
        assert.strictEqual(h.tier, 'words');
        assert.deepStrictEqual(h.matchedWords, ['diabetes', 'mellitus']);
      }
    });

    it("typos: 'pneumonai', 'fractrue of femur', 'hypertnsion'", () => {
      assert.deepStrictEqual(lacking(top('pneumonai'), 'pneumonia'), []);
      assert.deepStrictEqual(lacking(top('fractrue of femur'), 'fracture', 'femur'), []);
      assert.deepStrictEqual(lacking(top('hypertnsion'), 'hypertension'), []);
    });

    it("'hip fracture' and 'fracture of neck of right femur' find hip fractures", () => {
      assert.deepStrictEqual(lacking(top('hip fracture', 20), 'hip', 'fracture'), []);
      const neck = top('fracture of neck of right femur', 20);
      assert.deepStrictEqual(lacking(neck, 'fracture', 'neck', 'right', 'femur'), []);
      assert.ok(
        neck.some((r) => r.code.startsWith('S720')),
        neck.map((r) => r.code).join(),
      );
    });

    it("'type 2 diabetes mellitus w/o complications' ranks E11.9 first", () => {
      assert.strictEqual(top('type 2 diabetes mellitus w/o complications', 1)[0]?.code, 'E119');
    });

    it('PCS: title words, short-title abbreviations and the systems filter', () => {
      const hip = top('replacement of right hip joint', 10, ['icd10pcs']);
      assert.strictEqual(hip.length, 10);
      assert.ok(hip[0]!.code.startsWith('0SR9'), hip[0]!.code);
      assert.deepStrictEqual(lacking(hip, 'replacement', 'right', 'hip', 'joint'), []);
      // the short title is 'Bypass Cereb Vent to Nasophar with Autol Sub, Open Approach'
      const abbreviated = top('bypass cereb vent nasophar', 5).map((r) => r.code);
      assert.ok(abbreviated.includes('0016070'), abbreviated.join());
      const cmOnly = top('fracture', 50, ['icd10cm']);
      assert.strictEqual(cmOnly.filter((r) => r.system === 'icd10cm').length, 50);
      assert.deepStrictEqual(top('percutaneous approach', 50, ['icd10cm']), []);
    });

    it('a short last word stays a prefix; a single letter fills the list with code prefixes', () => {
      const hits = index.search('type 2 diabetes mellitus with h');
      assert.strictEqual(hits.length, 100);
      const all = hits.filter((h) => h.tier === 'words').map((h) => rows[h.row]!);
      assert.ok(all.length >= 5, `${all.length} hits match every word`);
      assert.deepStrictEqual(lacking(all, 'type', '2', 'diabetes', 'mellitus', 'with'), []);
      assert.deepStrictEqual(
        failing(
          all,
          (r) => words(r.title).some((w) => w.startsWith('h')),
          (r) => r.title,
        ),
        [],
      );
      assert.ok(
        all.some((r) => r.code === 'E1165'),
        'E11.65 matches every word',
      );
      const f = index.search('f');
      assert.strictEqual(f.length, 100);
      assert.deepStrictEqual(
        failing(
          f,
          (h) => h.tier === 'prefix' && rows[h.row]!.code.startsWith('F'),
          (h) => rows[h.row]!.code,
        ),
        [],
      );
    });

    it('every sampled title finds its own entry in the words tier (the index agrees with words())', function () {
      this.timeout(30_000);
      for (let i = 0; i < rows.length; i += 1999) {
        // a header can follow many billable codes with the same words (Y92 'Place of occurrence…')
        const hit = index.search(rows[i]!.title, { limit: 2000 }).find((h) => h.row === i);
        assert.strictEqual(hit?.tier, 'words', `${rows[i]!.code} ${rows[i]!.title}`);
      }
    });
  });
});
