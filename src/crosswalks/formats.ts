import type * as FileFormats from '../core/crosswalks/fileFormats';

/**
 * The crosswalk file formats (CSV, ConceptMap, compare), loaded on first use: the bundle keeps them
 * and the CSV parser in a chunk of their own (esbuild.js, lazyChunks), so activation does not pay
 * for them. `require` is cached by Node: later calls cost a property read.
 */
export function fileFormats(): typeof FileFormats {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../core/crosswalks/fileFormats') as typeof FileFormats;
}
