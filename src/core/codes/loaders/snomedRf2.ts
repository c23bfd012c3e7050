/**
 * Loader for a SNOMED CT RF2 description file (`sct2_Description_Snapshot-en_…txt`, licensed; tested
 * on fixtures): UTF-8, tab-separated, CRLF, header row
 * `id effectiveTime active moduleId conceptId languageCode typeId term caseSignificanceId`.
 * A Full file (several rows per description id) also loads: the row with the latest effectiveTime wins.
 */
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeEntry, LoaderInput, LoaderOptions, LoadResult } from './types';

/** typeId of a fully specified name. */
export const SNOMED_FSN = '900000000000003001';
/** typeId of a synonym. */
export const SNOMED_SYNONYM = '900000000000013009';

const HEADER = [
  'id',
  'effectiveTime',
  'active',
  'moduleId',
  'conceptId',
  'languageCode',
  'typeId',
  'term',
  'caseSignificanceId',
];
const SCTID = /^[1-9][0-9]{5,17}$/;

/** Options for {@link loadSnomedDescriptions}. */
export interface SnomedOptions extends LoaderOptions {
  /** Keep only descriptions in this language (e.g. `en`); default: all. */
  readonly languageCode?: string;
}

interface Desc {
  effectiveTime: string;
  active: boolean;
  conceptId: string;
  typeId: string;
  term: string;
}

/**
 * Loads descriptions as one entry per concept: `code` = conceptId, `title` = the active fully
 * specified name (or the first active synonym when there is none), `short` = the first active
 * synonym (the RF2 description file alone does not say which synonym is preferred: that needs the
 * language refset), `extra.synonyms` = all active synonyms joined with ` | `. Inactive descriptions
 * are counted in `counts.inactive`; concepts with no active description are left out.
 */
export function loadSnomedDescriptions(input: LoaderInput, options?: SnomedOptions): LoadResult {
  const text = decodeInput(input, 'utf-8');
  const counts = newCounts();
  counts.descriptions = 0;
  counts.inactive = 0;
  const rejected = new Rejections(counts, options);
  const byId = new Map<string, Desc>();
  let headerSeen = false;
  let newest = '';
  counts.lines = forEachLine(text, (line, n) => {
    if (isBlank(line)) {
      counts.skipped++;
      return;
    }
    const f = line.split('\t');
    if (!headerSeen) {
      headerSeen = true;
      if (f[0] === 'id') {
        counts.skipped++;
        if (f.join('\t') !== HEADER.join('\t'))
          rejected.add(n, 'header differs from the RF2 description header', line);
        return;
      }
    }
    if (f.length !== 9) return rejected.add(n, `expected 9 tab-separated fields, found ${f.length}`, line);
    const [id, effectiveTime, active, , conceptId, languageCode, typeId, term] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!SCTID.test(id) || !SCTID.test(conceptId))
      return rejected.add(n, 'id or conceptId is not an SCTID', line);
    if (!/^[0-9]{8}$/.test(effectiveTime))
      return rejected.add(n, `effectiveTime '${effectiveTime}' is not yyyymmdd`, line);
    if (active !== '0' && active !== '1') return rejected.add(n, `active '${active}' is not 0 or 1`, line);
    if (!term) return rejected.add(n, 'term is empty', line);
    if (options?.languageCode && languageCode !== options.languageCode) {
      counts.skipped++;
      return;
    }
    if (effectiveTime > newest) newest = effectiveTime;
    const prev = byId.get(id);
    if (prev && prev.effectiveTime >= effectiveTime) return;
    byId.set(id, { effectiveTime, active: active === '1', conceptId, typeId, term });
  });
  const concepts = new Map<string, { fsn?: string; synonyms: string[] }>();
  for (const d of byId.values()) {
    counts.descriptions++;
    if (!d.active) {
      counts.inactive++;
      continue;
    }
    let c = concepts.get(d.conceptId);
    if (!c) {
      c = { synonyms: [] };
      concepts.set(d.conceptId, c);
    }
    if (d.typeId === SNOMED_FSN) c.fsn ??= d.term;
    else c.synonyms.push(d.term);
  }
  const entries: CodeEntry[] = [];
  for (const [code, c] of concepts) {
    const title = c.fsn ?? c.synonyms[0]!;
    const short = c.synonyms[0];
    entries.push({
      code,
      title,
      ...(short !== undefined ? { short } : {}),
      extra: { synonyms: c.synonyms.join(' | ') },
    });
  }
  counts.entries = entries.length;
  const release = resolveRelease(
    options?.release ? options : undefined,
    'snomedct',
    'SNOMED CT',
    '',
    newest || undefined,
  );
  return { system: 'snomedct', release, entries, counts, rejected: rejected.list };
}
