import * as vscode from 'vscode';
import type { CodeIndex } from '../core/codes/codeIndex';
import { formatOfFileName } from '../core/codes/documentFormat';
import { detectFormat, findCodes, matchAt } from '../core/codes/findCodes';
import type { CodeMatch, DocumentFormat } from '../core/codes/findCodes';

/**
 * How a document is read: by its file extension or language, else by its first characters (a
 * `.txt` holding an HL7 message is read as HL7).
 */
export function documentFormat(doc: vscode.TextDocument, text?: string): DocumentFormat {
  const byName = formatOfFileName(doc.uri.path);
  if (byName) return byName;
  switch (doc.languageId) {
    case 'csv':
    case 'tsv':
      return 'csv';
    case 'json':
    case 'jsonc':
      return 'json';
    case 'xml':
      return 'xml';
    case 'markdown':
      return 'text';
  }
  return detectFormat(text ?? doc.getText(new vscode.Range(0, 0, 200, 0)));
}

interface Entry {
  readonly version: number;
  readonly generation: number;
  readonly matches: CodeMatch[];
}

/**
 * The codes found in open documents, computed once per document version and index generation
 * and shared by hovers and code actions. Bounded: the least recently used documents are dropped.
 */
export class DocumentCodes {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = 32) {}

  get(doc: vscode.TextDocument, index: CodeIndex): CodeMatch[] {
    const key = doc.uri.toString();
    const hit = this.entries.get(key);
    if (hit && hit.version === doc.version && hit.generation === index.generation) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.matches;
    }
    const text = doc.getText();
    const matches = findCodes(text, {
      format: documentFormat(doc, text),
      isKnown: (system, code) => index.has(system, code),
    });
    this.entries.delete(key);
    this.entries.set(key, { version: doc.version, generation: index.generation, matches });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return matches;
  }

  /** The match covering `offset` (a caret right after a code counts). */
  at(doc: vscode.TextDocument, index: CodeIndex, offset: number): CodeMatch | undefined {
    return matchAt(this.get(doc, index), offset);
  }

  forget(doc: vscode.TextDocument): void {
    this.entries.delete(doc.uri.toString());
  }
}
