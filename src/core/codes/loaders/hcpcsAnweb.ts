/**
 * Loader for the CMS HCPCS Level II annual "ANWEB" file (e.g. `HCPC2020_ANWEB_w_disclaimer.txt`).
 *
 * Windows-1252, CRLF; a free-text disclaimer precedes the records. Records are 320 bytes; continuation
 * records are right-trimmed (usually to 91 bytes). Fields used (1-based columns, see the CMS record
 * layout): `1-5` code (a modifier is right-aligned in 4-5) · `6-10` sequence number · `11` record id
 * (`3` procedure, `4` procedure continuation, `7` modifier, `8` modifier continuation) · `12-91` long
 * description segment · `92-119` short description · `269-276` date added · `277-284` action
 * effective date · `285-292` termination date · `293` action code. The long description is the
 * segments of the first record and its continuations, each trimmed, joined with one space.
 */
import {
  decodeInput,
  forEachLine,
  isBlank,
  isoDate,
  newCounts,
  Rejections,
  resolveRelease,
  windows1252FromLatin1,
} from './text';
import type { CodeEntry, LoaderInput, LoaderOptions, LoadResult } from './types';

const HCPCS_CODE = /^[A-Z][0-9]{4}$/;
const MODIFIER = /^[A-Z0-9]{2}$/;

/** The record being read: its first record's fields, and the description segments so far. */
interface Building {
  code: string;
  modifier: boolean;
  /** The long description so far (segments joined with one space). */
  title: string;
  short: string;
  validFrom: string | undefined;
  validTo: string | undefined;
  extra: Record<string, string>;
}

/** Loads a HCPCS ANWEB file: procedure codes and modifiers, joined long descriptions, dates. */
export function loadHcpcsAnweb(input: LoaderInput, options?: LoaderOptions): LoadResult {
  // Read as Latin-1 and only the lines holding a C1 control (0x80–0x9F) re-read as Windows-1252:
  // converting the whole file would make all of it two bytes per character for a single `’`.
  const text = decodeInput(input, 'latin1');
  const high: number[] = [];
  const c1 = /[\u0080-\u009f]/g;
  for (let m = c1.exec(text); m !== null; m = c1.exec(text)) high.push(m.index);
  let nextHigh = 0;
  const counts = newCounts();
  counts.codes = 0;
  counts.modifiers = 0;
  counts.continuations = 0;
  counts.terminated = 0;
  const rejected = new Rejections(counts, options);
  const entries: CodeEntry[] = [];
  // entry index by code (modifiers are 2 characters, codes 5: they never collide); the index adopts it
  const rows = new Map<string, number>();
  let inRecords = false;
  let current: Building | undefined;

  // one object per entry, built whole (no spread of optional parts: this runs for every code)
  const flush = (): void => {
    if (!current) return;
    const c = current;
    const entry: CodeEntry = { code: c.code, title: c.title, short: c.short, extra: c.extra };
    if (c.modifier) (entry as { kind?: 'modifier' }).kind = 'modifier';
    if (c.validFrom) (entry as { validFrom?: string }).validFrom = c.validFrom;
    if (c.validTo) (entry as { validTo?: string }).validTo = c.validTo;
    rows.set(c.code, entries.length);
    entries.push(entry);
    current = undefined;
  };

  counts.lines = forEachLine(text, (latin1Line, n, start) => {
    let line = latin1Line;
    if (nextHigh < high.length && high[nextHigh]! < start + line.length) {
      line = windows1252FromLatin1(line);
      while (nextHigh < high.length && high[nextHigh]! < start + latin1Line.length) nextHigh++;
    }
    const id = line[10];
    const isRecord =
      line.length >= 11 &&
      (id === '3' || id === '4' || id === '7' || id === '8') &&
      /^[0-9]{5}$/.test(line.slice(5, 10));
    if (!isRecord) {
      if (!inRecords || isBlank(line)) counts.skipped++;
      else
        rejected.add(
          n,
          'not an ANWEB record (expected code, 5-digit sequence and record id 3/4/7/8 in columns 1-11)',
          line,
        );
      return;
    }
    inRecords = true;
    const modifier = id === '7' || id === '8';
    const code = modifier ? line.slice(0, 5).trim() : line.slice(0, 5);
    if (!(modifier ? MODIFIER : HCPCS_CODE).test(code))
      return rejected.add(n, `'${line.slice(0, 5)}' is not a HCPCS ${modifier ? 'modifier' : 'code'}`, line);
    const segment = line.slice(11, 91).trim();
    if (id === '4' || id === '8') {
      if (!current || current.code !== code || current.modifier !== modifier) {
        return rejected.add(n, `continuation of ${code} does not follow its first record`, line);
      }
      counts.continuations++;
      if (segment.length > 0) current.title = current.title ? `${current.title} ${segment}` : segment;
      return;
    }
    flush();
    if (line.length < 293) return rejected.add(n, `first record is ${line.length} bytes; expected 320`, line);
    if (rows.has(code)) return rejected.add(n, `duplicate ${modifier ? 'modifier' : 'code'} ${code}`, line);
    const added = isoDate(line.slice(268, 276));
    const effective = isoDate(line.slice(276, 284));
    const terminated = isoDate(line.slice(284, 292));
    const action = line[292]?.trim() ?? '';
    const extra: Record<string, string> = {};
    if (effective) extra.actionEffectiveDate = effective;
    if (action) extra.actionCode = action;
    current = {
      code,
      modifier,
      title: segment,
      short: line.slice(91, 119).trim(),
      validFrom: added,
      validTo: terminated,
      extra,
    };
    if (modifier) counts.modifiers++;
    else counts.codes++;
    if (terminated) counts.terminated++;
  });
  flush();
  counts.entries = entries.length;
  return {
    system: 'hcpcs',
    release: resolveRelease(options, 'hcpcs', 'HCPCS', ''),
    entries,
    rows,
    counts,
    rejected: rejected.list,
  };
}
