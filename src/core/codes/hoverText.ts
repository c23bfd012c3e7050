/**
 * Hover text for a code (issue 5, item 4): markdown built from what the index knows. Every piece of
 * text that came from a file (titles, release labels) is escaped, so a title can never turn into
 * a link or a command; the only links are the command links this module writes for the
 * extension's own commands (the caller trusts exactly those).
 */

import type { CodeInfo } from './codeIndex';
import { CODE_SYSTEM_LABELS } from './systems';
import type { CodeSystem } from './systems';

/** Command ids for the links under a hover; omit to render without links (CLI, tests). */
export interface HoverCommands {
  readonly copy: string;
  readonly findInIndex: string;
  readonly findCrosswalks: string;
}

/** Escapes text for markdown: every character markdown could read as syntax gets a backslash. */
export function escapeMarkdown(text: string): string {
  const escaped = MARKDOWN_SYNTAX.test(text) ? text.replace(MARKDOWN_SYNTAX_ALL, '\\$&') : text;
  return escaped.indexOf('\n') >= 0 ? escaped.replace(/\r?\n/g, ' ') : escaped;
}

const MARKDOWN_SYNTAX = /[\\`*_{}[\]()#+\-.!|<>~]/;
const MARKDOWN_SYNTAX_ALL = /[\\`*_{}[\]()#+\-.!|<>~]/g;

function commandLink(command: string, label: string, query: string, tooltip: string): string {
  return `[${label}](command:${command}?${query} "${tooltip.replace(/"/g, "'")}")`;
}

function status(info: CodeInfo): string {
  if (info.kind === 'modifier') return 'modifier';
  if (info.retiredIn) return info.inActive ? 'no longer billable' : 'deleted';
  if (info.billable === true) return 'billable';
  if (info.billable === false) return 'header, not billable';
  return info.status ? info.status.toLowerCase() : '';
}

const MAX_LIST = 6;

function list(refs: readonly { display: string; title?: string }[]): string {
  const shown = refs
    .slice(0, MAX_LIST)
    .map((r) => `\`${r.display}\`${r.title ? ` ${escapeMarkdown(r.title)}` : ''}`);
  if (refs.length > MAX_LIST) shown.push(`and ${refs.length - MAX_LIST} more`);
  return shown.join(' · ');
}

/** Markdown for one code the index knows. */
export function renderCodeHover(info: CodeInfo, commands?: HoverCommands): string {
  const lines: string[] = [];
  const releaseLabel = info.inActive || !info.active ? info.release.label : info.active.label;
  const head = [`**\`${info.display}\`**`, escapeMarkdown(CODE_SYSTEM_LABELS[info.system])];
  const st = status(info);
  if (st) head.push(`*${escapeMarkdown(st)}*`);
  lines.push(head.join(' · '));
  lines.push('');
  lines.push(escapeMarkdown(info.title));
  if (info.short && info.short !== info.title) {
    lines.push('');
    lines.push(`Short: ${escapeMarkdown(info.short)}`);
  }
  const facts: string[] = [];
  if (info.inActive) facts.push(`Valid in ${escapeMarkdown(releaseLabel)}`);
  else if (info.active)
    facts.push(`Not in ${escapeMarkdown(info.active.label)} (from ${escapeMarkdown(info.release.label)})`);
  if (info.validFrom || info.validTo) {
    facts.push(
      `effective ${info.validFrom ?? '…'}${info.validTo ? ` to ${info.validTo}` : ''}`.replace(
        /-/g,
        '\u2011',
      ),
    );
  }
  for (const c of info.changes) {
    if (c.action === 'added') facts.push(`added in ${escapeMarkdown(c.release.version)}`);
    else if (c.action === 'revised')
      facts.push(
        `title revised in ${escapeMarkdown(c.release.version)}${c.previousTitle ? ` (was “${escapeMarkdown(c.previousTitle)}”)` : ''}`,
      );
    else if (c.action === 'deleted' && !info.retiredIn)
      facts.push(`deleted in ${escapeMarkdown(c.release.version)}`);
  }
  if (facts.length) {
    lines.push('');
    lines.push(facts.join('; '));
  }
  if (info.retiredIn) {
    lines.push('');
    const what = info.inActive ? 'is a header, no longer billable,' : 'was deleted';
    const use = info.successors.length ? `: use ${list(info.successors)}` : '';
    lines.push(
      `$(warning) ${escapeMarkdown(info.display)} ${what} in ${escapeMarkdown(info.retiredIn.label)}${use}`,
    );
  } else if (info.billable === false && info.successors.length) {
    lines.push('');
    lines.push(`$(warning) Not billable: use ${list(info.successors)}`);
  }
  if (info.predecessors.length) {
    lines.push('');
    lines.push(`Replaces ${list(info.predecessors)}`);
  }
  if (info.parents.length) {
    lines.push('');
    lines.push(
      `Parent: ${info.parents.map((p) => `\`${p.display}\` ${escapeMarkdown(p.title ?? '')}`).join(' › ')}`,
    );
  }
  for (const x of info.crosswalks) {
    lines.push('');
    const targets = x.noMap && x.targets.length === 0 ? 'no mapping' : list(x.targets);
    const approx = x.targets.some((t) => t.approximate) ? ' (approximate)' : '';
    lines.push(`${escapeMarkdown(x.label)}${approx}: ${targets}`);
  }
  if (commands) {
    const args = encodeURIComponent(
      JSON.stringify([{ system: info.system, code: info.code, display: info.display, title: info.title }]),
    );
    const links = [
      commandLink(commands.copy, '$(copy) Copy', args, `Copy ${info.display}`),
      commandLink(
        commands.findInIndex,
        '$(search) Find in index',
        args,
        `Find ${info.display} in the code index`,
      ),
    ];
    if (info.crosswalks.length > 0)
      links.push(
        commandLink(
          commands.findCrosswalks,
          '$(arrow-swap) Crosswalks',
          args,
          `Crosswalks of ${info.display}`,
        ),
      );
    lines.push('');
    lines.push(links.join(' · '));
  }
  return lines.join('\n');
}

/** Markdown for a token a document declares as a code of `system` that no loaded release knows. */
export function renderUnknownHover(
  system: CodeSystem,
  raw: string,
  releaseLabel: string | undefined,
  malformed: boolean,
): string {
  const what = malformed
    ? `is not a valid ${escapeMarkdown(CODE_SYSTEM_LABELS[system])} code`
    : releaseLabel
      ? `is not in ${escapeMarkdown(releaseLabel)} or any loaded release`
      : `cannot be checked: no ${escapeMarkdown(CODE_SYSTEM_LABELS[system])} release is loaded`;
  return `**\`${raw.replace(/`/g, '')}\`** · ${escapeMarkdown(CODE_SYSTEM_LABELS[system])}\n\n$(error) \`${raw.replace(/`/g, '')}\` ${what}`;
}
