/**
 * How a document is read (HL7 v2, X12, JSON, XML, CSV or text), from its file name and its first
 * characters. One rule for the extension and the CLI: a known extension decides, else the content.
 */

import { detectFormat } from './findCodes';
import type { DocumentFormat } from './findCodes';

const EXTENSION_FORMATS: Readonly<Record<string, DocumentFormat>> = {
  '.json': 'json',
  '.xml': 'xml',
  '.hl7': 'hl7',
  '.x12': 'x12',
  '.edi': 'x12',
  '.837': 'x12',
  '.835': 'x12',
  '.csv': 'csv',
  '.tsv': 'csv',
};

/** The format a file extension names (`.837` → X12), if any. Case-insensitive. */
export function formatOfFileName(fileName: string): DocumentFormat | undefined {
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  const dot = fileName.lastIndexOf('.');
  if (dot <= slash) return undefined;
  return EXTENSION_FORMATS[fileName.slice(dot).toLowerCase()];
}

/** The format of a document: from its file extension when it names one, else from its content. */
export function documentFormatOf(fileName: string | undefined, text: string): DocumentFormat {
  return (fileName !== undefined ? formatOfFileName(fileName) : undefined) ?? detectFormat(text);
}
