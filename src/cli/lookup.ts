/** `clinical-coder lookup CODE…`: every reading of each code the loaded releases know. */

import type { CodeIndex, CodeInfo } from '../core/codes/codeIndex';
import { canonicalise, canonicalModifier, recogniseAll } from '../core/codes/recognise';
import { CODE_SYSTEM_LABELS, CODE_SYSTEMS } from '../core/codes/systems';
import type { CodeSystem } from '../core/codes/systems';
import { UsageError } from './args';
import { systemsNamed } from './loadCliIndex';
import { alignColumns } from './output';
import type { Paint } from './output';

/** One answer for one input: a reading the index knows, or "not found". */
export type LookupResult =
  | { readonly input: string; readonly found: true; readonly info: CodeInfo }
  | {
      readonly input: string;
      readonly found: false;
      /** The systems tried: the forced ones, or those whose shape fits. */
      readonly systems: readonly CodeSystem[];
    };

/** Splits `system:code`; a bare code gives `systems: undefined`. */
function parseInput(input: string): { systems?: readonly CodeSystem[]; code: string } {
  const colon = input.indexOf(':');
  if (colon < 0) return { code: input.trim() };
  const prefix = input.slice(0, colon);
  const systems = systemsNamed(prefix);
  if (!systems) throw new UsageError(`unknown code system '${prefix}' in '${input}'`, 'lookup');
  return { systems, code: input.slice(colon + 1).trim() };
}

/** The readings of one input, in {@link CODE_SYSTEMS} order; never empty. */
export function lookupOne(index: CodeIndex, input: string): LookupResult[] {
  const { systems, code } = parseInput(input);
  const tries: { system: CodeSystem; code: string }[] = [];
  const add = (system: CodeSystem, c: string): void => {
    if (!tries.some((t) => t.system === system && t.code === c)) tries.push({ system, code: c });
  };
  if (systems) {
    for (const system of systems) add(system, canonicalise(system, code) ?? code);
  } else {
    for (const r of recogniseAll(code, CODE_SYSTEMS)) add(r.system, r.code);
  }
  // HCPCS/CPT modifiers (KX, 25) share the procedure systems but have their own shape.
  const modifier = canonicalModifier(code);
  if (modifier !== undefined) {
    for (const system of ['hcpcs', 'cpt'] as const) {
      if (!systems || systems.includes(system)) add(system, modifier);
    }
  }
  const found: LookupResult[] = [];
  const seen = new Set<string>();
  for (const t of tries) {
    const info = t.code === '' ? undefined : index.lookup(t.system, t.code);
    if (!info || seen.has(`${info.system}:${info.code}`)) continue;
    seen.add(`${info.system}:${info.code}`);
    found.push({ input, found: true, info });
  }
  if (found.length > 0) return found;
  return [{ input, found: false, systems: [...new Set(tries.map((t) => t.system))] }];
}

/** A code's status: a stable token for scripts and the words the text output shows. */
export function statusOf(info: CodeInfo): { token: string; text: string } {
  if (info.kind === 'modifier') return { token: 'modifier', text: 'modifier' };
  if (info.retiredIn) {
    const deleted = info.changes.some((c) => c.release.id === info.retiredIn!.id && c.action === 'deleted');
    return deleted
      ? { token: 'deleted', text: `deleted in ${info.retiredIn.version}` }
      : { token: 'not-in-release', text: `not in ${info.retiredIn.label}` };
  }
  if (info.billable === true) return { token: 'billable', text: 'billable' };
  if (info.billable === false) return { token: 'header', text: 'header' };
  if (info.status) return { token: info.status.toLowerCase(), text: info.status };
  if (info.validTo) return { token: 'terminated', text: `terminated ${info.validTo}` };
  return { token: 'valid', text: 'valid' };
}

const MAX_SUCCESSORS = 8;

/** Successors worth showing: for a retired code or a header (`M54.5` → `M54.50`, `M54.51`, `M54.59`). */
function successorsShown(info: CodeInfo): readonly string[] {
  if (!info.retiredIn && info.billable !== false) return [];
  return info.successors.map((s) => s.display);
}

/** Text output: one aligned line per reading. */
export function formatLookupText(results: readonly LookupResult[], paint: Paint): string {
  const rows = results.map((r) => {
    if (!r.found) {
      const label = r.systems.length === 1 ? CODE_SYSTEM_LABELS[r.systems[0]!] : '-';
      const why = r.systems.length === 0 ? 'not a code of any known system' : '';
      return [parseInput(r.input).code, label, 'not found', why];
    }
    const { info } = r;
    const successors = successorsShown(info);
    const more = successors.length > MAX_SUCCESSORS ? `, … (${successors.length - MAX_SUCCESSORS} more)` : '';
    const tail = successors.length > 0 ? `  → ${successors.slice(0, MAX_SUCCESSORS).join(', ')}${more}` : '';
    return [info.display, info.release.label, statusOf(info).text, `${info.title}${tail}`];
  });
  const lines = alignColumns(rows, (col, cell) => {
    if (col === 0) return paint('bold', cell);
    if (col === 2) {
      const t = cell.trim();
      if (t === 'not found' || t.startsWith('deleted') || t.startsWith('not in')) return paint('red', cell);
      if (t === 'header' || t.startsWith('terminated') || t === 'Inactive') return paint('yellow', cell);
    }
    return cell;
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** JSON output: one object per reading. */
export function lookupJson(results: readonly LookupResult[]): unknown[] {
  return results.map((r) => {
    if (!r.found) {
      return { input: r.input, found: false, systems: r.systems, status: 'not-found' };
    }
    const { info } = r;
    const status = statusOf(info);
    return {
      input: r.input,
      found: true,
      system: info.system,
      systemLabel: CODE_SYSTEM_LABELS[info.system],
      code: info.display,
      key: info.code,
      title: info.title,
      ...(info.short !== undefined ? { short: info.short } : {}),
      kind: info.kind,
      status: status.token,
      statusText: status.text,
      ...(info.billable !== undefined ? { billable: info.billable } : {}),
      ...(info.status !== undefined ? { recordStatus: info.status } : {}),
      ...(info.validFrom !== undefined ? { validFrom: info.validFrom } : {}),
      ...(info.validTo !== undefined ? { validTo: info.validTo } : {}),
      release: info.release.id,
      releaseLabel: info.release.label,
      ...(info.active ? { activeRelease: info.active.id } : {}),
      inActive: info.inActive,
      releases: info.releases,
      ...(info.retiredIn ? { retiredIn: info.retiredIn.id } : {}),
      successors: info.successors.map((s) => ({ code: s.display, title: s.title, effective: s.effective })),
      predecessors: info.predecessors.map((s) => ({
        code: s.display,
        title: s.title,
        effective: s.effective,
      })),
      parents: info.parents.map((p) => ({ code: p.display, title: p.title })),
      changes: info.changes.map((c) => ({
        release: c.release.id,
        action: c.action,
        title: c.title,
        ...(c.previousTitle !== undefined ? { previousTitle: c.previousTitle } : {}),
      })),
      crosswalks: info.crosswalks.map((x) => ({
        label: x.label,
        system: x.system,
        noMap: x.noMap,
        targets: x.targets.map((t) => ({
          code: t.display,
          title: t.title,
          approximate: t.approximate,
          combination: t.combination,
        })),
      })),
    };
  });
}

/** Codes read from standard input: separated by whitespace, commas or semicolons. */
export function codesFromText(text: string): string[] {
  return text.split(/[\s,;]+/).filter((t) => t !== '');
}
