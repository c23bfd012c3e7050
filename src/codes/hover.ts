import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { CodeIndex } from '../core/codes/codeIndex';
import type { CodeMatch } from '../core/codes/findCodes';
import { renderCodeHover, renderUnknownHover } from '../core/codes/hoverText';
import type { DocumentCodes } from './documentCodes';
import type { CodeIndexService } from './service';

const COMMANDS = {
  copy: Commands.codesCopy,
  findInIndex: Commands.codesFindInIndex,
  findCrosswalks: Commands.codesFindCrosswalks,
};

/** The markdown of every known reading of a match; unknown declared codes say so. */
export function hoverMarkdown(
  index: CodeIndex,
  match: CodeMatch,
  cache: Map<string, string>,
): string | undefined {
  const parts: string[] = [];
  for (const c of match.candidates) {
    if (c.known === false && match.confidence !== 'high') continue;
    // an unknown code's text quotes the token as written: key it by that too
    const key = `${c.system}:${c.code}:${c.known === false ? `${match.text}:${!!match.malformed}` : ''}`;
    let text = cache.get(key);
    if (text === undefined) {
      const info = index.lookup(c.system, c.code);
      text = info
        ? renderCodeHover(info, COMMANDS)
        : renderUnknownHover(c.system, match.text, index.activeRelease(c.system)?.label, !!match.malformed);
      if (cache.size > 2000) cache.clear();
      cache.set(key, text);
    }
    if (!parts.includes(text)) parts.push(text);
  }
  return parts.length ? parts.join('\n\n---\n\n') : undefined;
}

/**
 * Hovers for codes: the scan of the document is cached per version (DocumentCodes), each reading
 * is looked up in the index and its markdown cached per index generation. Text from files is
 * escaped by the renderer; only the extension's own three commands are trusted. A hover never
 * shows an error: while the index loads, or when something fails, there is simply no hover.
 */
export class CodeHoverProvider implements vscode.HoverProvider {
  private cache = new Map<string, string>();
  private generation = -1;

  constructor(
    private readonly service: CodeIndexService,
    private readonly codes: DocumentCodes,
  ) {}

  async provideHover(
    doc: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    try {
      const index = this.service.current ?? (await this.service.ready());
      if (token.isCancellationRequested) return undefined;
      if (index.generation !== this.generation) {
        this.cache = new Map();
        this.generation = index.generation;
      }
      const match = this.codes.at(doc, index, doc.offsetAt(position));
      if (!match) return undefined;
      const text = hoverMarkdown(index, match, this.cache);
      if (!text) return undefined;
      const md = new vscode.MarkdownString(text, true);
      md.isTrusted = { enabledCommands: [COMMANDS.copy, COMMANDS.findInIndex, COMMANDS.findCrosswalks] };
      return new vscode.Hover(md, new vscode.Range(doc.positionAt(match.start), doc.positionAt(match.end)));
    } catch {
      return undefined;
    }
  }
}
