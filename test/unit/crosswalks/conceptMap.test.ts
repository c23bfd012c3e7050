import * as assert from 'assert';
import {
  CODE_IDENTIFIER_EXTENSION_URL,
  CUSTOM_ATTRIBUTE_EXTENSION_URL,
  type ConceptMap,
  computerFriendlyName,
  conceptMapJson,
  fhirSystemOfSlug,
  toConceptMap,
} from '../../../src/core/crosswalks/conceptMap';
import { CODE_SYSTEM_SLUGS } from '../../../src/core/crosswalks/limits';
import type { CrosswalkExport } from '../../../src/core/crosswalks/model';
import { systemsForFhirUri } from '../../../src/core/codes/systems';

const EXPORT: CrosswalkExport = {
  crosswalk: {
    identifier: '1234567A-8a9b-1234-12a1-aa123a1a1aa0',
    name: 'Echo & appendix crosswalk (2025)',
    version: 3,
    description: 'Crosswalk-level description',
    customAttributes: [{ key: 'Owner', value: 'HIM' }],
    updatedAt: '2025-01-01T00:00:00Z',
  },
  version: {
    version: 2,
    name: 'Échographie & appendix crosswalk',
    description: 'Custom crosswalk for mapping CPT codes to equivalent or related CPT and HCPCS codes',
    status: 'published',
    updatedAt: '2023-10-01T12:00:00Z',
    customAttributes: [
      { key: 'Sub-category', value: 'Echocardiography Procedures' },
      { key: 'Reviewed', value: '' },
    ],
  },
  mappings: [
    {
      sourceCode: 'K35.80',
      sourceDisplay: 'Unspecified acute appendicitis',
      sourceCodeSystem: 'icd10cm',
      targetCodeSystem: 'icd10pcs',
      targets: [
        {
          targetCode: '0DTJ4ZZ',
          targetDisplay: 'Resection of Appendix, Percutaneous Endoscopic Approach',
          identifier: 'id-b',
        },
        {
          targetCode: '0DTJ0ZZ',
          targetDisplay: 'Resection of Appendix, Open Approach',
          identifier: 'id-a',
          customAttributes: [
            { key: 'Note', value: 'open' },
            { key: 'Grade', value: 'A' },
          ],
        },
      ],
    },
    {
      sourceCode: '93351',
      sourceDisplay: 'Echocardiography, transthoracic, real-time with image documentation (2D)',
      sourceCodeSystem: 'cpt2025',
      targetCodeSystem: 'hcpcs',
      targets: [{ targetCode: 'C8929', identifier: 'id-c' }],
    },
    {
      sourceCode: '93351',
      sourceCodeSystem: 'cpt2025',
      targetCodeSystem: 'cpt2025',
      targets: [{ targetCode: '93303', identifier: 'id-d' }],
    },
    {
      sourceCode: 'E11.9',
      sourceCodeSystem: 'icd10cm',
      targetCodeSystem: 'icd10pcs',
      targets: [],
    },
  ],
};

/** The R4 invariants this export must meet (required elements, cardinalities, formats). */
function assertValidR4(cm: ConceptMap): void {
  assert.strictEqual(cm.resourceType, 'ConceptMap');
  assert.match(cm.id, /^[A-Za-z0-9\-.]{1,64}$/);
  assert.match(cm.name, /^[A-Z]([A-Za-z0-9_]){0,254}$/);
  assert.ok(['draft', 'active', 'retired', 'unknown'].includes(cm.status));
  assert.ok(cm.url.length > 0);
  if (cm.date) assert.match(cm.date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  const strings: unknown[] = [];
  JSON.stringify(cm, (_k, v: unknown) => {
    if (typeof v === 'string') strings.push(v);
    return v;
  });
  assert.ok(!strings.includes(''), 'FHIR strings may not be empty');
  for (const g of cm.group) {
    assert.ok(g.source && g.target);
    assert.ok(g.element.length > 0);
    for (const e of g.element) {
      assert.ok(e.code);
      for (const t of e.target ?? []) {
        assert.ok(t.code);
        assert.strictEqual(t.equivalence, 'relatedto', 'R4 requires an equivalence on every target');
      }
    }
  }
}

describe('core/crosswalks/conceptMap', () => {
  const cm = toConceptMap(EXPORT);

  it('is a valid R4 ConceptMap with the crosswalk metadata', () => {
    assertValidR4(cm);
    assert.strictEqual(cm.id, '1234567A-8a9b-1234-12a1-aa123a1a1aa0');
    assert.strictEqual(cm.url, 'urn:uuid:1234567a-8a9b-1234-12a1-aa123a1a1aa0');
    assert.deepStrictEqual(cm.identifier, {
      system: 'urn:ietf:rfc:3986',
      value: 'urn:uuid:1234567a-8a9b-1234-12a1-aa123a1a1aa0',
    });
    assert.strictEqual(cm.version, '2');
    assert.strictEqual(cm.title, 'Échographie & appendix crosswalk');
    assert.strictEqual(cm.name, 'EchographieAppendixCrosswalk');
    assert.strictEqual(cm.status, 'active');
    assert.strictEqual(cm.date, '2023-10-01T12:00:00Z');
    assert.strictEqual(cm.description, EXPORT.version.description);
  });

  it('takes a given url, and maps draft and other statuses', () => {
    const draft = toConceptMap(
      { ...EXPORT, version: { ...EXPORT.version, status: 'draft' } },
      { url: 'https://example.org/fhir/ConceptMap/x' },
    );
    assert.strictEqual(draft.url, 'https://example.org/fhir/ConceptMap/x');
    assert.strictEqual(draft.status, 'draft');
    assert.strictEqual(toConceptMap({ ...EXPORT, version: { version: 1 } }).status, 'unknown');
  });

  it('falls back to the crosswalk when the version lacks name, description, attributes', () => {
    const m = toConceptMap({ ...EXPORT, version: { version: 5, status: 'published' } });
    assertValidR4(m);
    assert.strictEqual(m.title, 'Echo & appendix crosswalk (2025)');
    assert.strictEqual(m.name, 'EchoAppendixCrosswalk2025');
    assert.strictEqual(m.description, 'Crosswalk-level description');
    assert.strictEqual(m.date, '2025-01-01T00:00:00Z');
    assert.deepStrictEqual(m.extension, [
      {
        url: CUSTOM_ATTRIBUTE_EXTENSION_URL,
        extension: [
          { url: 'key', valueString: 'Owner' },
          { url: 'value', valueString: 'HIM' },
        ],
      },
    ]);
  });

  it('groups per source and target system with canonical URIs, in sorted order', () => {
    assert.deepStrictEqual(
      cm.group.map((g) => [g.source, g.sourceVersion, g.target, g.targetVersion]),
      [
        ['http://www.ama-assn.org/go/cpt', '2025', 'http://www.ama-assn.org/go/cpt', '2025'],
        [
          'http://www.ama-assn.org/go/cpt',
          '2025',
          'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
          undefined,
        ],
        [
          'http://hl7.org/fhir/sid/icd-10-cm',
          undefined,
          'http://www.cms.gov/Medicare/Coding/ICD10',
          undefined,
        ],
      ],
    );
    const icd = cm.group[2];
    assert.deepStrictEqual(
      icd.element.map((e) => e.code),
      ['E11.9', 'K35.80'],
    );
    assert.strictEqual(icd.element[0].target, undefined, 'a source without targets has no target list');
    assert.deepStrictEqual(
      icd.element[1].target?.map((t) => t.code),
      ['0DTJ0ZZ', '0DTJ4ZZ'],
    );
    assert.strictEqual(icd.element[1].display, 'Unspecified acute appendicitis');
  });

  it('uses a URI the code index recognises for every slug', () => {
    for (const s of CODE_SYSTEM_SLUGS) {
      const ctx = systemsForFhirUri(fhirSystemOfSlug(s.slug));
      assert.deepStrictEqual(ctx, { kind: 'systems', systems: [s.localSystem] }, s.slug);
    }
    assert.strictEqual(fhirSystemOfSlug('cpt2026'), 'http://www.ama-assn.org/go/cpt');
  });

  it('keeps custom attributes as extensions, sorted, and the code identifier', () => {
    assert.deepStrictEqual(cm.extension, [
      { url: CUSTOM_ATTRIBUTE_EXTENSION_URL, extension: [{ url: 'key', valueString: 'Reviewed' }] },
      {
        url: CUSTOM_ATTRIBUTE_EXTENSION_URL,
        extension: [
          { url: 'key', valueString: 'Sub-category' },
          { url: 'value', valueString: 'Echocardiography Procedures' },
        ],
      },
    ]);
    const open = cm.group[2].element[1].target?.[0];
    assert.deepStrictEqual(open, {
      extension: [
        {
          url: CUSTOM_ATTRIBUTE_EXTENSION_URL,
          extension: [
            { url: 'key', valueString: 'Grade' },
            { url: 'value', valueString: 'A' },
          ],
        },
        {
          url: CUSTOM_ATTRIBUTE_EXTENSION_URL,
          extension: [
            { url: 'key', valueString: 'Note' },
            { url: 'value', valueString: 'open' },
          ],
        },
        { url: CODE_IDENTIFIER_EXTENSION_URL, valueString: 'id-a' },
      ],
      code: '0DTJ0ZZ',
      display: 'Resection of Appendix, Open Approach',
      equivalence: 'relatedto',
    });
  });

  it('gives the same JSON whatever the order of mappings and targets', () => {
    const shuffled: CrosswalkExport = {
      ...EXPORT,
      version: {
        ...EXPORT.version,
        customAttributes: [...(EXPORT.version.customAttributes ?? [])].reverse(),
      },
      mappings: [...EXPORT.mappings].reverse().map((m) => ({ ...m, targets: [...m.targets].reverse() })),
    };
    const a = conceptMapJson(EXPORT);
    assert.strictEqual(conceptMapJson(shuffled), a);
    assert.ok(a.endsWith('}\n'));
    assert.deepStrictEqual(JSON.parse(a), cm);
    assert.ok(a.startsWith('{\n  "resourceType": "ConceptMap",\n  "id": '));
  });

  it('makes computer-friendly names', () => {
    assert.strictEqual(computerFriendlyName('diabetes crosswalk'), 'DiabetesCrosswalk');
    assert.strictEqual(computerFriendlyName('2025 CPT → HCPCS'), 'Crosswalk2025CPTHCPCS');
    assert.strictEqual(computerFriendlyName('—'), 'Crosswalk');
    assert.strictEqual(computerFriendlyName('x'.repeat(400)).length, 255);
  });

  it('makes a valid id and url from an identifier that is not a UUID', () => {
    const m = toConceptMap({ ...EXPORT, crosswalk: { ...EXPORT.crosswalk, identifier: 'my crosswalk/1' } });
    assert.strictEqual(m.id, 'my-crosswalk-1');
    assert.strictEqual(m.url, 'urn:clinicalcoder:crosswalk:my%20crosswalk%2F1');
  });
});
