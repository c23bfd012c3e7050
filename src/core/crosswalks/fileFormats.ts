/**
 * The crosswalk file formats in one module: CSV export and import, the FHIR ConceptMap, the
 * version comparison, and the paged reader that fetches a whole version for them. The extension loads this module (with the CSV parser it needs) only when a
 * coder opens, exports, imports or compares a version: esbuild.js builds it as a chunk of its own.
 * Not a barrel for convenience: it is the unit of lazy loading, so import the modules themselves
 * elsewhere.
 */
export { compareMappings, canonicalExportText, formatComparison } from './compare';
export { conceptMapJson } from './conceptMap';
export { formatImportPreview, parseImportCsv, planImport, toCsv } from './csv';
export { fetchAllMappings } from './exportAll';
