/**
 * Comparing two sets of crosswalk mappings (two versions, or a crosswalk and a file): what was
 * added, removed, retargeted, or had its attributes changed, and the canonical text for a diff
 * editor.
 *
 * Units: a *pair* is (source system, source code, target system, target code); a *source* is
 * (source system, source code, target system). Each side is read as a set of pairs (a pair listed
 * twice counts once, with the attributes of its first listing). Every pair of either side is counted
 * in exactly one place:
 * - a source only in `b`: its pairs are `added`; only in `a`: `removed`;
 * - a source in both whose target sets differ is ONE `retargeted` entry (full `before`/`after`
 *   target lists, and the `gained`/`lost` difference) instead of separate added/removed lines; its
 *   pairs in both sides are compared like any other common pair;
 * - a pair in both: `attributesChanged` when its target attributes differ (compared as sorted
 *   key/value lists), else counted in `unchanged`.
 * So `pairsInA = removed + lost + common` and `pairsInB = added + gained + common`, with
 * `common = unchanged + attributesChanged` (see {@link MappingComparison.counts}).
 */

// `../../core/codes` rather than `../codes`: the ESLint layer rule reads any `../codes` as the
// `codes` feature folder, though from here it is core's own module.
import { escapeMarkdown } from '../../core/codes/hoverText';
import { toCsv } from './csv';
import type { CustomAttribute, Mapping } from './model';

/** One source → target link. */
export interface MappingPair {
  readonly sourceCodeSystem: string;
  readonly sourceCode: string;
  readonly targetCodeSystem: string;
  readonly targetCode: string;
}

/** A source present on both sides whose targets differ. Code lists are sorted. */
export interface Retargeted {
  readonly source: { readonly sourceCodeSystem: string; readonly sourceCode: string };
  readonly targetSystem: string;
  readonly before: string[];
  readonly after: string[];
  /** In `after` only. */
  readonly gained: string[];
  /** In `before` only. */
  readonly lost: string[];
}

/** A pair on both sides whose target attributes differ (attributes sorted by key, then value). */
export interface AttributesChanged {
  readonly pair: MappingPair;
  readonly before: CustomAttribute[];
  readonly after: CustomAttribute[];
}

/** What {@link compareMappings} found; lists in canonical (ordinal) order. */
export interface MappingComparison {
  /** Pairs of sources only in `b`. */
  readonly added: MappingPair[];
  /** Pairs of sources only in `a`. */
  readonly removed: MappingPair[];
  readonly retargeted: Retargeted[];
  readonly attributesChanged: AttributesChanged[];
  /** Pairs in both with the same attributes. */
  readonly unchanged: number;
  /** Pair counts; see the module comment for how they add up. */
  readonly counts: {
    readonly pairsInA: number;
    readonly pairsInB: number;
    readonly added: number;
    readonly removed: number;
    readonly gained: number;
    readonly lost: number;
    readonly retargetedSources: number;
    readonly attributesChanged: number;
    readonly unchanged: number;
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedAttributes(attrs: readonly CustomAttribute[] | undefined): CustomAttribute[] {
  return (attrs ?? [])
    .map((a) => ({ key: a.key, value: a.value ?? '' }))
    .sort((a, b) => cmp(a.key, b.key) || cmp(a.value, b.value));
}

/** One source of a side: its target codes with their sorted attributes. */
interface SourceEntry {
  system: string;
  code: string;
  targetSystem: string;
  targets: Map<string, CustomAttribute[]>;
}

interface Side {
  /** source key → entry */
  sources: Map<string, SourceEntry>;
  pairs: number;
}

function index(mappings: readonly Mapping[]): Side {
  const sources: Side['sources'] = new Map();
  let pairs = 0;
  for (const m of mappings) {
    const key = JSON.stringify([m.sourceCodeSystem, m.sourceCode, m.targetCodeSystem]);
    let s = sources.get(key);
    if (!s) {
      s = {
        system: m.sourceCodeSystem,
        code: m.sourceCode,
        targetSystem: m.targetCodeSystem,
        targets: new Map(),
      };
      sources.set(key, s);
    }
    for (const t of m.targets ?? []) {
      if (s.targets.has(t.targetCode)) continue;
      s.targets.set(t.targetCode, sortedAttributes(t.customAttributes));
      pairs++;
    }
  }
  return { sources, pairs };
}

function pairCmp(a: MappingPair, b: MappingPair): number {
  return (
    cmp(a.sourceCodeSystem, b.sourceCodeSystem) ||
    cmp(a.sourceCode, b.sourceCode) ||
    cmp(a.targetCodeSystem, b.targetCodeSystem) ||
    cmp(a.targetCode, b.targetCode)
  );
}

/** Compares mappings `a` (before) with `b` (after); see the module comment for the counting rules. */
export function compareMappings(a: readonly Mapping[], b: readonly Mapping[]): MappingComparison {
  const A = index(a);
  const B = index(b);
  const added: MappingPair[] = [];
  const removed: MappingPair[] = [];
  const retargeted: Retargeted[] = [];
  const attributesChanged: AttributesChanged[] = [];
  let unchanged = 0;
  let gained = 0;
  let lost = 0;

  const pairsOf = (s: SourceEntry): MappingPair[] =>
    [...s.targets.keys()].map((targetCode) => ({
      sourceCodeSystem: s.system,
      sourceCode: s.code,
      targetCodeSystem: s.targetSystem,
      targetCode,
    }));

  for (const [key, sa] of A.sources) {
    const sb = B.sources.get(key);
    if (!sb) {
      removed.push(...pairsOf(sa));
      continue;
    }
    const before = [...sa.targets.keys()].sort(cmp);
    const after = [...sb.targets.keys()].sort(cmp);
    const g = after.filter((c) => !sa.targets.has(c));
    const l = before.filter((c) => !sb.targets.has(c));
    if (g.length > 0 || l.length > 0) {
      retargeted.push({
        source: { sourceCodeSystem: sa.system, sourceCode: sa.code },
        targetSystem: sa.targetSystem,
        before,
        after,
        gained: g,
        lost: l,
      });
      gained += g.length;
      lost += l.length;
    }
    for (const code of before) {
      const attrsB = sb.targets.get(code);
      if (!attrsB) continue;
      const attrsA = sa.targets.get(code) ?? [];
      if (JSON.stringify(attrsA) === JSON.stringify(attrsB)) unchanged++;
      else {
        attributesChanged.push({
          pair: {
            sourceCodeSystem: sa.system,
            sourceCode: sa.code,
            targetCodeSystem: sa.targetSystem,
            targetCode: code,
          },
          before: attrsA,
          after: attrsB,
        });
      }
    }
  }
  for (const [key, sb] of B.sources) if (!A.sources.has(key)) added.push(...pairsOf(sb));

  added.sort(pairCmp);
  removed.sort(pairCmp);
  attributesChanged.sort((x, y) => pairCmp(x.pair, y.pair));
  retargeted.sort(
    (x, y) =>
      cmp(x.source.sourceCodeSystem, y.source.sourceCodeSystem) ||
      cmp(x.source.sourceCode, y.source.sourceCode) ||
      cmp(x.targetSystem, y.targetSystem),
  );
  return {
    added,
    removed,
    retargeted,
    attributesChanged,
    unchanged,
    counts: {
      pairsInA: A.pairs,
      pairsInB: B.pairs,
      added: added.length,
      removed: removed.length,
      gained,
      lost,
      retargetedSources: retargeted.length,
      attributesChanged: attributesChanged.length,
      unchanged,
    },
  };
}

/** Names of the two sides in {@link formatComparison}, e.g. `Version 3` and `Version 4`. */
export interface ComparisonLabels {
  readonly before: string;
  readonly after: string;
}

const md = escapeMarkdown;

function pairText(p: MappingPair): string {
  return `${md(p.sourceCodeSystem)} ${md(p.sourceCode)} → ${md(p.targetCodeSystem)} ${md(p.targetCode)}`;
}

function attrsText(attrs: readonly CustomAttribute[]): string {
  return attrs.length === 0 ? '*(none)*' : attrs.map((a) => `${md(a.key)} = ${md(a.value ?? '')}`).join('; ');
}

function codes(list: readonly string[]): string {
  return list.length === 0 ? '*(none)*' : list.map(md).join(', ');
}

/**
 * The comparison as markdown: a count table, then the retargeted sources, added and removed pairs,
 * and attribute changes (at most `maxRows` lines each, default 200). Every value is escaped.
 */
export function formatComparison(
  summary: MappingComparison,
  labels: ComparisonLabels,
  maxRows = 200,
): string {
  const c = summary.counts;
  const out: string[] = [`# ${md(labels.before)} → ${md(labels.after)}`, ''];
  out.push(
    `${c.pairsInA} mapping${c.pairsInA === 1 ? '' : 's'} before, ${c.pairsInB} after (a mapping is one source code → target code link).`,
    '',
    '| | mappings |',
    '|---|---:|',
    `| Added (new source codes) | ${c.added} |`,
    `| Removed (source codes gone) | ${c.removed} |`,
    `| Retargeted source codes | ${c.retargetedSources} (+${c.gained} / −${c.lost} targets) |`,
    `| Attributes changed | ${c.attributesChanged} |`,
    `| Unchanged | ${c.unchanged} |`,
    '',
  );
  const list = (title: string, lines: string[]): void => {
    if (lines.length === 0) return;
    out.push(`## ${title}`, '');
    for (const l of lines.slice(0, maxRows)) out.push(`- ${l}`);
    if (lines.length > maxRows) out.push(`- … and ${lines.length - maxRows} more`);
    out.push('');
  };
  list(
    'Retargeted',
    summary.retargeted.map(
      (r) =>
        `${md(r.source.sourceCodeSystem)} ${md(r.source.sourceCode)} → ${md(r.targetSystem)}: ${codes(r.before)} ⇒ ${codes(r.after)}`,
    ),
  );
  list('Added', summary.added.map(pairText));
  list('Removed', summary.removed.map(pairText));
  list(
    'Attributes changed',
    summary.attributesChanged.map(
      (x) => `${pairText(x.pair)}: ${attrsText(x.before)} ⇒ ${attrsText(x.after)}`,
    ),
  );
  if (c.added + c.removed + c.retargetedSources + c.attributesChanged === 0) out.push('No differences.', '');
  return out.join('\n');
}

/** The text a diff editor shows for one side: the canonical CSV of {@link toCsv}. */
export function canonicalExportText(mappings: readonly Mapping[]): string {
  return toCsv(mappings);
}
