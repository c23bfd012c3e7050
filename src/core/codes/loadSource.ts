/**
 * Runs the loader of a recognised source (see `sources.ts` for how a file is recognised). Kept apart
 * from the recognition so that the extension loads the loaders (and the .xlsx reader) only when the
 * index is built from raw files, not when it is read from its cache.
 */
import { loadConversionTable } from './loaders/conversionTable';
import { loadCodeTable } from './loaders/codeTable';
import { loadCvx } from './loaders/cvx';
import { loadGem } from './loaders/gems';
import { loadHcpcsAnweb } from './loaders/hcpcsAnweb';
import {
  loadIcd10CmCodesAddenda,
  loadIcd10CmOrderAddenda,
  loadIcd10PcsOrderAddenda,
} from './loaders/icd10Addenda';
import { loadIcd10CmCodes, loadIcd10CmOrder, loadIcd10PcsOrder } from './loaders/icd10Order';
import { loadIcd9Cm } from './loaders/icd9cm';
import { loadLoincCsv } from './loaders/loincCsv';
import { loadSnomedDescriptions } from './loaders/snomedRf2';
import type { LoaderInput, LoadResult } from './loaders/types';
import { baseName, type SourceId } from './sources';
import { CODE_SYSTEM_LABELS, isCodeSystem } from './systems';

/**
 * Runs the loader for a source. `companion` is the short-title file of an ICD-9-CM long-title file.
 * Short-title ICD-9 files alone give `undefined` (they are read with their long-title file).
 */
export function loadSource(
  id: SourceId,
  bytes: LoaderInput,
  fileName: string,
  companion?: LoaderInput,
): LoadResult | undefined {
  const options = { fileName: baseName(fileName) };
  switch (id.kind) {
    case 'icd10cm-order':
      return loadIcd10CmOrder(bytes, options);
    case 'icd10cm-codes':
      return loadIcd10CmCodes(bytes, options);
    case 'icd10cm-order-addenda':
      return loadIcd10CmOrderAddenda(bytes, options);
    case 'icd10cm-codes-addenda':
      return loadIcd10CmCodesAddenda(bytes, options);
    case 'icd10cm-conversion':
      if (typeof bytes === 'string') throw new Error('the conversion table is an .xlsx file: pass its bytes');
      return loadConversionTable(bytes, options);
    case 'icd10pcs-order':
      return loadIcd10PcsOrder(bytes, options);
    case 'icd10pcs-order-addenda':
      return loadIcd10PcsOrderAddenda(bytes, options);
    case 'hcpcs-anweb':
      return loadHcpcsAnweb(bytes, options);
    case 'cvx':
      return loadCvx(bytes, options);
    case 'icd9cm-dx-long':
      return loadIcd9Cm(bytes, 'diagnoses', companion, options);
    case 'icd9cm-proc-long':
      return loadIcd9Cm(bytes, 'procedures', companion, options);
    case 'icd9cm-dx-short':
    case 'icd9cm-proc-short':
      return undefined;
    case 'gem-icd9-to-icd10':
      return loadGem(bytes, 'icd9-to-icd10', options);
    case 'gem-icd10-to-icd9':
      return loadGem(bytes, 'icd10-to-icd9', options);
    case 'snomed-descriptions':
      return loadSnomedDescriptions(bytes, options);
    case 'loinc-table':
      return loadLoincCsv(bytes, options);
    case 'code-table': {
      const system = id.system ?? 'unknown';
      const year = /(?:^|[^0-9])((?:19|20)[0-9]{2})(?![0-9])/.exec(options.fileName)?.[1];
      const version = year ?? options.fileName.replace(/\.[a-z]+$/, '');
      const label = isCodeSystem(system) ? CODE_SYSTEM_LABELS[system] : system;
      return loadCodeTable(bytes, {
        ...options,
        system,
        release: { id: `${system}-${version}`, label: `${label} ${version}` },
        stripDots: system !== 'loinc',
      });
    }
  }
}
