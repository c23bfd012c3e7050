/**
 * Which loader reads which release file. A source is recognised by its file name (the names the
 * publishers use: `icd10cm-order-2026.txt`, `HCPC2020_ANWEB_w_disclaimer.txt`, `CMS32_DESC_LONG_DX.txt`,
 * `2018_I9gem.txt`, `sct2_Description_Snapshot-en_…txt`, `Loinc.csv`…) and, where a name is shared
 * between systems (`order_addenda_2026.txt` is the PCS name), by a look at the first lines. A plain
 * `code,description` table is accepted when its name or header names one system (`cpt-2026.csv`,
 * a `loinc_num` column). Pure: the caller reads the bytes.
 */

import { systemsForCsvHeader } from './systems';
import type { CodeSystem } from './systems';

/** The kinds of source file the index reads. */
export type SourceKind =
  | 'icd10cm-order'
  | 'icd10cm-codes'
  | 'icd10cm-order-addenda'
  | 'icd10cm-codes-addenda'
  | 'icd10cm-conversion'
  | 'icd10pcs-order'
  | 'icd10pcs-order-addenda'
  | 'hcpcs-anweb'
  | 'cvx'
  | 'icd9cm-dx-long'
  | 'icd9cm-dx-short'
  | 'icd9cm-proc-long'
  | 'icd9cm-proc-short'
  | 'gem-icd9-to-icd10'
  | 'gem-icd10-to-icd9'
  | 'snomed-descriptions'
  | 'loinc-table'
  | 'code-table';

/** A recognised source file. */
export interface SourceId {
  readonly kind: SourceKind;
  /** Code system of a plain `code-table`. */
  readonly system?: CodeSystem;
}

const TABLE_SYSTEMS: readonly [RegExp, CodeSystem][] = [
  [/icd-?10-?pcs|(^|[^a-z])pcs/, 'icd10pcs'],
  [/icd-?10(-?cm)?/, 'icd10cm'],
  [/hcpcs/, 'hcpcs'],
  [/cpt/, 'cpt'],
  [/cvx/, 'cvx'],
  [/loinc/, 'loinc'],
  [/snomed|sct/, 'snomed'],
  [/ndc/, 'ndc'],
  [/rxnorm|rxcui/, 'rxnorm'],
];

/** The file name of a path (either separator). */
export function baseName(fileName: string): string {
  const i = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  return fileName.slice(i + 1).toLowerCase();
}

/** Whether most order-layout rows in `head` carry PCS codes (first character a digit). */
function looksLikePcsOrder(head: string): boolean {
  let digits = 0;
  let rows = 0;
  for (const line of head.split(/\r?\n/).slice(0, 60)) {
    const code = /^(?:[A-Za-z]+:\s+)?(?:\d{5}\s+)?(?:[01]\s+)?([0-9A-Z]{3,7})\s/.exec(line)?.[1];
    if (!code) continue;
    rows++;
    if (/^[0-9]/.test(code)) digits++;
  }
  return rows > 0 && digits * 2 > rows;
}

/**
 * Recognises a source from its file name and its first few kilobytes (decoded loosely; only used
 * to tell look-alike files apart). `undefined` for files the index does not read.
 */
export function identifySource(fileName: string, head = ''): SourceId | undefined {
  const name = baseName(fileName);
  if (/conversion[-_ ]?table.*\.xlsx$/.test(name)) return { kind: 'icd10cm-conversion' };
  if (/\.(pdf|zip|xlsx?|docx?|md|html?)$/.test(name)) return undefined;
  if (/^icd10cm[-_]order[-_]addenda/.test(name)) return { kind: 'icd10cm-order-addenda' };
  if (/^icd10cm[-_]codes[-_]addenda/.test(name)) return { kind: 'icd10cm-codes-addenda' };
  if (/^icd10cm[-_]order/.test(name)) return { kind: 'icd10cm-order' };
  if (/^icd10cm[-_]codes/.test(name)) return { kind: 'icd10cm-codes' };
  if (/^icd10pcs[-_]order[-_]addenda/.test(name)) return { kind: 'icd10pcs-order-addenda' };
  if (/^icd10pcs[-_]order/.test(name)) return { kind: 'icd10pcs-order' };
  if (/^order[-_]addenda[-_]?\d{4}\.txt$/.test(name))
    return {
      kind: (head === '' ? /pcs/i.test(fileName) : looksLikePcsOrder(head))
        ? 'icd10pcs-order-addenda'
        : 'icd10cm-order-addenda',
    };
  if (/^hcpc\d{4}.*anweb.*\.txt$/.test(name)) return { kind: 'hcpcs-anweb' };
  if (/^cvx.*\.txt$/.test(name)) return { kind: 'cvx' };
  const icd9 = /^cms\d+_desc_(long|short)_(dx|sg)\.txt$/.exec(name);
  if (icd9) {
    const proc = icd9[2] === 'sg' ? 'proc' : 'dx';
    return { kind: `icd9cm-${proc}-${icd9[1] as 'long' | 'short'}` };
  }
  if (/^\d{4}_i9gem\.txt$/.test(name)) return { kind: 'gem-icd9-to-icd10' };
  if (/^\d{4}_i10gem\.txt$/.test(name)) return { kind: 'gem-icd10-to-icd9' };
  if (/^sct2_description_(snapshot|full)/.test(name)) return { kind: 'snomed-descriptions' };
  if (/^loinc(table)?\.csv$/.test(name)) return { kind: 'loinc-table' };
  if (/\.(csv|tsv|txt)$/.test(name)) {
    const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
    // a table has at least two columns: a text without a delimiter on its first line is a document
    // (`HCPCS2019_recordlayout.txt`), not a code table
    if (head !== '' && !/[,\t;|]/.test(firstLine)) return undefined;
    const headerCode =
      firstLine
        .split(/[,\t;|]/, 1)[0]
        ?.replace(/"/g, '')
        .trim() ?? '';
    const fromHeader = systemsForCsvHeader(headerCode);
    if (fromHeader && fromHeader.systems.length === 1 && !fromHeader.modifier)
      return { kind: 'code-table', system: fromHeader.systems[0]! };
    for (const [re, system] of TABLE_SYSTEMS) if (re.test(name)) return { kind: 'code-table', system };
  }
  return undefined;
}

/** The short-title companion of an ICD-9-CM long-title file (`…_LONG_DX` → `…_SHORT_DX`), by name. */
export function icd9Companion(fileName: string): string | undefined {
  const m = /^(.*cms\d+_desc_)(long)(_(?:dx|sg)\.txt)$/i.exec(fileName);
  if (!m) return undefined;
  const upper = m[2] === 'LONG';
  return `${m[1]}${upper ? 'SHORT' : 'short'}${m[3]}`;
}

/**
 * The single-byte charset a kind's loader decodes its bytes with, if any: a caller with a native
 * Latin-1 decoder (Node's `Buffer#toString('latin1')`) may then pass that text instead of the bytes,
 * several times faster than decoding in JavaScript. `windows-1252` loaders read the C1 controls of
 * such text as Windows-1252 (`’`, `€`…), only in the fields they keep, so the text stays one byte
 * per character. Other kinds need their bytes (UTF-8, .xlsx).
 */
export function singleByteCharset(kind: SourceKind): 'latin1' | 'windows-1252' | undefined {
  if (kind === 'hcpcs-anweb' || kind === 'cvx') return 'windows-1252';
  if (kind === 'icd10cm-conversion') return undefined;
  return /^icd10(cm|pcs)-(order|codes)|^icd9cm-|^gem-/.test(kind) ? 'latin1' : undefined;
}
