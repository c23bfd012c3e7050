/**
 * Loader for the CDC/NCHS ICD-10-CM conversion table (`ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx`): one
 * row per code created since FY2016, with the year it took effect and the code(s) it replaced.
 *
 * Layout of the FY2026 workbook (one sheet, every text cell a shared string, Effective numeric):
 * row 1 a note (`…effective October 1, 2025… This FY 2026 (October 1, 2025 Update) Conversion Table…`),
 * row 2 the header `Current code assignment | Effective | Previous Code(s) Assignment`, rows 3–5894 data
 * with dotted codes (`A04.71 | 2017 | A04.7`), then two empty rows.
 *
 * Decisions on what the real file holds (checked against the FY2026 workbook):
 * - **Effective.** The note says "Unless otherwise specified the code effective date is October 1 of
 *   the year listed", so a year `Y` means 1 October `Y`, i.e. fiscal year `FY<Y+1>`: the 487 rows that
 *   say `2025` are exactly the 487 codes added in FY2026 (`icd10cm-codes-addenda-2026.txt`), and
 *   `A04.71 | 2017` is an FY2018 code. 53 rows give a date instead (Excel serial numbers such as
 *   `45017` = 2023-04-01, `43922` = 2020-04-01 for U07.1); a date maps to the fiscal year containing it
 *   (October–December → next year). Strings `FY2026`, `2017`, `4/1/2023` and `2023-04-01` are read too.
 * - **Previous codes.** One cell may name several codes, separated by `,`, `;`, `&`, `and`/`AND` or
 *   line breaks (`C56.1 and C56.2`, `E66.01, E66.8`, `M93.001 & M93.002`, `G93.3; R53.82`). A cell
 *   that is just `None` (R29.700–R29.742, Y35.xx9x, Z17.x, Z67.Ax…: new concepts) gives `previous: []`
 *   and is counted in `counts.noPrevious`. A cell naming anything that is not a single code is
 *   rejected with the cell in the reason, because `previous` lists individual codes and the loader
 *   cannot list the codes a range covers without the code set: ranges (`H02.101-H02.106; H02.109`,
 *   `I10-I15.9`, `S06.890D-S06.899S`), categories (`I63.-`, `a code from R11-`) and descriptions
 *   (`Codes in Categories T15-T19`).
 * - **Duplicates.** Eight rows repeat the row above them exactly (O44.20–O44.33, FY2017); the repeat
 *   is rejected as a duplicate, as the other loaders do.
 * - Codes are trimmed (81 current codes end in spaces), upper-cased and lose their dot; a dot
 *   anywhere but after the third character makes the code invalid. `W453XXA` (no dot in the file) is
 *   read as W45.3XXA.
 * - Rows before the header (the note), header rows and empty rows are `skipped`. `counts.lines` is the
 *   number of `<row>` elements in the sheet (rows Excel did not store are not counted); a conversion's
 *   `line` is its 1-based sheet row number.
 *
 * The workbook is read without Node APIs: `fflate` inflates only the members needed (workbook, its
 * relationships, the first worksheet, the shared strings) and a small linear-time scanner reads the
 * XML: shared, inline and rich-text strings, numbers, cell references (so empty cells keep their
 * column), entities, CDATA and namespace prefixes. Cells and strings written exactly as Excel writes
 * them are matched by anchored regular expressions without nested quantifiers (native, and much faster
 * on a first, cold call); anything else takes the general path, which reads the same.
 */
import { unzipSync } from 'fflate';
import { ICD10CM_CODE } from './icd10Order';
import { newCounts, Rejections, resolveRelease } from './text';
import type { CodeConversion, LoaderOptions, LoadResult } from './types';

// ---------------------------------------------------------------------------------------------------
// XML scanning
// ---------------------------------------------------------------------------------------------------

/** What the scanner reports. Element and attribute names are local (any namespace prefix removed). */
interface XmlHandler {
  open(name: string, tag: string, selfClosing: boolean): void;
  close(name: string): void;
  /** Character data `xml.slice(start, end)`; `cdata` = raw text from a CDATA section (no entities). */
  text(start: number, end: number, cdata: boolean): void;
}

/** Index just after the first `token` at or after `from`, or the end of `xml` when there is none. */
function after(xml: string, token: string, from: number): number {
  const i = xml.indexOf(token, from);
  return i < 0 ? xml.length : i + token.length;
}

/** Local name of a qualified XML name (`x:row` → `row`). */
function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

/** `true` for the XML whitespace characters (space, tab, CR, LF). */
function isXmlSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** `true` for a character that can end an element name in a tag (whitespace, `>`, `/`). */
function isNameEnd(c: number): boolean {
  return c === 62 || c === 47 || isXmlSpace(c);
}

/**
 * A forward search for one token (`<row`, `</c>`, `"`…) that remembers its last hit, so that a scan
 * calling `next` with non-decreasing positions reads each character a bounded number of times, even
 * when a token is absent from long stretches. With `tagName`, a hit must be a whole element name
 * (`<c` finds `<c r="A1">`, not `<cols>`).
 */
class Finder {
  private hit = -2; // -2: not searched yet; -1: no more hits

  constructor(
    private readonly xml: string,
    private readonly token: string,
    private readonly tagName = false,
  ) {}

  /** First hit at or after `from` (which must not decrease between calls), or -1. */
  next(from: number): number {
    if (this.hit === -1 || this.hit >= from) return this.hit;
    let i = this.xml.indexOf(this.token, from);
    while (i >= 0 && this.tagName && !isNameEnd(this.xml.charCodeAt(i + this.token.length)))
      i = this.xml.indexOf(this.token, i + 1);
    this.hit = i;
    return i;
  }
}

/** Forward scanning state over one XML document: finders for the quote characters. */
class Cursor {
  private readonly dq: Finder;
  private readonly sq: Finder;

  constructor(readonly xml: string) {
    this.dq = new Finder(xml, '"');
    this.sq = new Finder(xml, "'");
  }

  /** Index of the `>` closing the tag that starts at `lt` (skipping quoted attribute values), or -1. */
  tagEnd(lt: number): number {
    const xml = this.xml;
    let from = lt + 1;
    for (;;) {
      const gt = xml.indexOf('>', from);
      if (gt < 0) return -1;
      const dq = this.dq.next(from);
      const sq = this.sq.next(from);
      const q = dq < 0 ? sq : sq < 0 ? dq : Math.min(dq, sq);
      if (q < 0 || q > gt) return gt;
      const close = (q === dq ? this.dq : this.sq).next(q + 1);
      if (close < 0) return -1;
      from = close + 1;
    }
  }
}

/**
 * Walks `xml` once, reporting start tags, end tags and character data. Processing instructions,
 * comments and DOCTYPE declarations are skipped; quoted attribute values may contain `>`. Linear time.
 */
function scanXml(xml: string, h: XmlHandler): void {
  const len = xml.length;
  const cur = new Cursor(xml);
  let pos = 0;
  while (pos < len) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) {
      h.text(pos, len, false);
      return;
    }
    if (lt > pos) h.text(pos, lt, false);
    const next = xml.charCodeAt(lt + 1);
    if (next === 63 /* ? */) {
      pos = after(xml, '?>', lt + 2);
      continue;
    }
    if (next === 33 /* ! */) {
      if (xml.startsWith('<!--', lt)) {
        pos = after(xml, '-->', lt + 4);
      } else if (xml.startsWith('<![CDATA[', lt)) {
        const end = xml.indexOf(']]>', lt + 9);
        const stop = end < 0 ? len : end;
        h.text(lt + 9, stop, true);
        pos = end < 0 ? len : end + 3;
      } else {
        pos = after(xml, '>', lt + 2);
      }
      continue;
    }
    const i = cur.tagEnd(lt);
    if (i < 0) return; // truncated tag: ignore the rest
    if (next === 47 /* / */) {
      h.close(localName(xml.slice(lt + 2, i).trim()));
    } else {
      const selfClosing = xml.charCodeAt(i - 1) === 47;
      let n = lt + 1;
      while (n < i && !isXmlSpace(xml.charCodeAt(n)) && xml.charCodeAt(n) !== 47) n++;
      h.open(localName(xml.slice(lt + 1, n)), xml.slice(n, selfClosing ? i - 1 : i), selfClosing);
    }
    pos = i + 1;
  }
}

/** Value of the attribute with local name `name` in the attribute text of a start tag, decoded. */
function attr(tag: string, name: string): string | undefined {
  let i = 0;
  for (;;) {
    const eq = tag.indexOf('=', i);
    if (eq < 0) return undefined;
    const qname = tag.slice(i, eq).trim();
    let v = eq + 1;
    while (v < tag.length && isXmlSpace(tag.charCodeAt(v))) v++;
    const q = tag.charCodeAt(v);
    if (q !== 34 && q !== 39) return undefined; // not `name="value"`: malformed, stop
    const end = tag.indexOf(q === 34 ? '"' : "'", v + 1);
    if (end < 0) return undefined;
    if (qname === name || localName(qname) === name) return decodeXml(tag.slice(v + 1, end));
    i = end + 1;
  }
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces the five named entities and `&#NN;` / `&#xNN;` references; unknown ones are kept as they are. */
function decodeXml(s: string): string {
  let amp = s.indexOf('&');
  if (amp < 0) return s;
  let out = '';
  let pos = 0;
  let semi = -1; // the first ';' after the current '&' (kept between '&'s so the scan stays linear)
  while (amp >= 0) {
    if (semi <= amp) semi = s.indexOf(';', amp + 1);
    if (semi < 0) break;
    let ch: string | undefined;
    if (semi - amp <= 10) {
      const ref = s.slice(amp + 1, semi);
      if (ref.charCodeAt(0) === 35 /* # */) {
        const hex = ref.charCodeAt(1) === 120 || ref.charCodeAt(1) === 88; // x / X
        const digits = ref.slice(hex ? 2 : 1);
        if (hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits)) {
          const cp = parseInt(digits, hex ? 16 : 10);
          if (cp <= 0x10ffff) ch = String.fromCodePoint(cp);
        }
      } else {
        ch = NAMED_ENTITIES[ref];
      }
    }
    if (ch !== undefined) {
      out += s.slice(pos, amp) + ch;
      pos = semi + 1;
    }
    amp = s.indexOf('&', ch !== undefined ? semi + 1 : amp + 1);
  }
  return out + s.slice(pos);
}

/** Undoes Excel's `_xHHHH_` escapes for characters XML cannot hold (`_x000D_` = CR, `_x005F_` = `_`). */
function decodeExcelEscapes(s: string): string {
  if (s.indexOf('_x') < 0) return s;
  return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Text of character data reported by the scanner (entities decoded unless it came from CDATA). */
function textOf(xml: string, start: number, end: number, cdata: boolean): string {
  const raw = xml.slice(start, end);
  return cdata ? raw : decodeXml(raw);
}

/** `s` with the characters that are special in a regular expression escaped. */
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Namespace prefix of the root element, with its colon (`x:` for `<x:worksheet …>`), or `''`. */
function rootPrefix(xml: string): string {
  let pos = 0;
  for (;;) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) return '';
    const c = xml.charCodeAt(lt + 1);
    if (c === 63 /* ? */) {
      pos = after(xml, '?>', lt + 2);
    } else if (c === 33 /* ! */) {
      pos = xml.startsWith('<!--', lt) ? after(xml, '-->', lt + 4) : after(xml, '>', lt + 2);
    } else {
      let n = lt + 1;
      while (n < xml.length && !isNameEnd(xml.charCodeAt(n))) n++;
      const name = xml.slice(lt + 1, n);
      return name.slice(0, name.indexOf(':') + 1);
    }
  }
}

/**
 * Text of the character data in `xml.slice(start, end)` (the content of a `<t>` or `<v>`): entities
 * decoded; CDATA sections and comments handled by the general scanner when there is any markup.
 */
function innerText(xml: string, start: number, end: number): string {
  const raw = xml.slice(start, end);
  if (raw.indexOf('<') < 0) return decodeXml(raw);
  let out = '';
  scanXml(raw, {
    open() {},
    close() {},
    text(s, e, cdata) {
      out += textOf(raw, s, e, cdata);
    },
  });
  return out;
}

/**
 * Text of a string item (the content of `<si>` or `<is>`): the `<t>` of a plain item, or the `<t>` of
 * every rich-text run (`<r>`) concatenated; phonetic runs (`<rPh>`) are left out. Excel's `_xHHHH_`
 * escapes are undone. `p` is the namespace prefix of the part.
 */
function itemText(xml: string, start: number, end: number, p: string): string {
  // Fast path: exactly `<t>text</t>` (or `<t xml:space="preserve">`), as almost every item is.
  const open = `<${p}t`;
  if (xml.startsWith(open, start) && isNameEnd(xml.charCodeAt(start + open.length))) {
    const gt = xml.indexOf('>', start);
    const close = `</${p}t>`;
    const closeAt = end - close.length;
    if (
      gt > 0 &&
      gt <= closeAt &&
      xml.charCodeAt(gt - 1) !== 47 &&
      xml.startsWith(close, closeAt) &&
      xml.indexOf('<', gt + 1) === closeAt
    ) {
      return decodeExcelEscapes(decodeXml(xml.slice(gt + 1, closeAt)));
    }
  }
  // General case: rich text, phonetic runs, whitespace between elements, CDATA.
  const item = xml.slice(start, end);
  let out = '';
  let phonetic = 0;
  let inT = false;
  scanXml(item, {
    open(name, _tag, selfClosing) {
      if (name === 'rPh' && !selfClosing) phonetic++;
      else if (name === 't') inT = !selfClosing && phonetic === 0;
    },
    close(name) {
      if (name === 't') inT = false;
      else if (name === 'rPh') phonetic = Math.max(0, phonetic - 1);
    },
    text(s, e, cdata) {
      if (inT) out += textOf(item, s, e, cdata);
    },
  });
  return decodeExcelEscapes(out);
}

// ---------------------------------------------------------------------------------------------------
// Workbook parts
// ---------------------------------------------------------------------------------------------------

/** The shared-string table (`xl/sharedStrings.xml`): the text of each `<si>`, in order. */
function parseSharedStrings(xml: string): string[] {
  const p = rootPrefix(xml);
  const cur = new Cursor(xml);
  const siOpen = new Finder(xml, `<${p}si`, true);
  const siCloseTag = `</${p}si>`;
  const siClose = new Finder(xml, siCloseTag);
  // Fast path, native regex: a plain item exactly as Excel writes it, `<si><t>text</t></si>`.
  const x = escapeRegExp(p);
  const plain = new RegExp(`<${x}si><${x}t(?: xml:space="preserve")?>([^<]*)</${x}t></${x}si>`, 'y');
  const strings: string[] = [];
  let pos = 0;
  for (;;) {
    plain.lastIndex = pos;
    const m = plain.exec(xml);
    if (m) {
      strings.push(decodeExcelEscapes(decodeXml(m[1]!)));
      pos = plain.lastIndex;
      continue;
    }
    const si = siOpen.next(pos);
    if (si < 0) break;
    const gt = cur.tagEnd(si);
    if (gt < 0) break;
    if (xml.charCodeAt(gt - 1) === 47) {
      strings.push(''); // <si/>
      pos = gt + 1;
      continue;
    }
    const close = siClose.next(gt + 1);
    const stop = close < 0 ? xml.length : close;
    strings.push(itemText(xml, gt + 1, stop, p));
    pos = close < 0 ? xml.length : close + siCloseTag.length;
  }
  return strings;
}

/** The first `<sheet>` of `xl/workbook.xml` (its relationship id) and whether dates use the 1904 system. */
function parseWorkbook(xml: string): { sheetRelId?: string; date1904: boolean } {
  let sheetRelId: string | undefined;
  let date1904 = false;
  scanXml(xml, {
    open(name, tag) {
      if (name === 'sheet' && sheetRelId === undefined) sheetRelId = attr(tag, 'id') ?? '';
      else if (name === 'workbookPr') {
        const v = attr(tag, 'date1904');
        date1904 = v === '1' || v === 'true';
      }
    },
    close() {},
    text() {},
  });
  return { sheetRelId, date1904 };
}

/** Relationships of `xl/workbook.xml`: `Id` → `{ target, type }`. */
function parseRels(xml: string): Map<string, { target: string; type: string }> {
  const rels = new Map<string, { target: string; type: string }>();
  scanXml(xml, {
    open(name, tag) {
      if (name !== 'Relationship') return;
      const id = attr(tag, 'Id');
      const target = attr(tag, 'Target');
      if (id !== undefined && target !== undefined) rels.set(id, { target, type: attr(tag, 'Type') ?? '' });
    },
    close() {},
    text() {},
  });
  return rels;
}

/** Zip member name of a relationship target of `xl/workbook.xml` (relative to `xl/`, or absolute). */
function resolvePart(target: string): string {
  const segments = target.startsWith('/') ? [] : ['xl'];
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  return segments.join('/');
}

/** Column index (0-based) of a cell reference (`B12` → 1), or -1 when it has no column letters. */
function columnOf(ref: string): number {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower-case letters
    if (c < 97 || c > 122) break;
    col = col * 26 + (c - 96);
  }
  return i === 0 ? -1 : col - 1;
}

/**
 * Text of a cell of type `type` (`t` attribute) whose `<v>` holds `v` (entities decoded): the shared
 * string for `s` (`''` when the index is not valid), `TRUE`/`FALSE` for booleans, and the value as
 * written for numbers (no number format applied), formula strings, errors and ISO dates.
 */
function cellText(type: string, v: string, shared: readonly string[]): string {
  if (type === 's') {
    const index = v.trim().length === 0 ? -1 : Number(v);
    return Number.isInteger(index) && index >= 0 && index < shared.length ? shared[index]! : '';
  }
  if (type === 'b') return v.trim() === '1' ? 'TRUE' : v.trim() === '0' ? 'FALSE' : v;
  return type === 'str' ? decodeExcelEscapes(v) : v;
}

/** Columns in a worksheet (A–XFD); cells with a reference beyond are ignored. */
const MAX_COLUMNS = 16384;

/**
 * Calls `onRow(rowNumber, cells)` for every `<row>` of a worksheet. `cells[i]` is the text of column
 * `i` (0 = A), `''` for empty or absent cells: shared strings resolved, inline strings (`<is>`) joined,
 * numbers as written in `<v>` (no number format applied), booleans `TRUE`/`FALSE`. A row or cell
 * without a reference follows the previous one. Returns the number of rows. Linear time: every search
 * moves forward.
 */
function scanSheet(
  xml: string,
  shared: readonly string[],
  onRow: (row: number, cells: string[]) => void,
): number {
  const p = rootPrefix(xml);
  const cur = new Cursor(xml);
  const rowOpen = new Finder(xml, `<${p}row`, true);
  const rowClose = new Finder(xml, `</${p}row>`);
  const cOpen = new Finder(xml, `<${p}c`, true);
  const cClose = new Finder(xml, `</${p}c>`);
  const vOpen = new Finder(xml, `<${p}v`, true);
  const vClose = new Finder(xml, `</${p}v>`);
  const isOpen = new Finder(xml, `<${p}is`, true);
  const isClose = new Finder(xml, `</${p}is>`);
  // Fast path, native regex: a cell exactly as Excel writes it, `<c r="B3" s="5" t="s"><v>12</v></c>`
  // or `<c r="B3" s="5"/>` (number, shared string, formula string, boolean or error; no formula).
  const x = escapeRegExp(p);
  const simple = new RegExp(
    `<${x}c r="([A-Z]{1,3})[0-9]+"(?: s="[0-9]+")?(?: t="(n|s|str|b|e)")?` +
      `(?:/>|>(?:<${x}v>([^<]*)</${x}v>)?</${x}c>)`,
    'y',
  );
  const rowTag = p.length + 4; // length of `<row`
  const cTag = p.length + 2; // length of `<c`
  let rows = 0;
  let rowNumber = 0;
  let pos = 0;
  for (;;) {
    const rowAt = rowOpen.next(pos);
    if (rowAt < 0) break;
    const rowGt = cur.tagEnd(rowAt);
    if (rowGt < 0) break;
    const rowEmpty = xml.charCodeAt(rowGt - 1) === 47;
    const r = Number(attr(xml.slice(rowAt + rowTag, rowEmpty ? rowGt - 1 : rowGt), 'r'));
    rowNumber = Number.isInteger(r) && r > 0 ? r : rowNumber + 1;
    const cells: string[] = [];
    let rowEnd = rowGt + 1;
    if (!rowEmpty) {
      const close = rowClose.next(rowGt + 1);
      rowEnd = close < 0 ? xml.length : close;
      let col = -1;
      let cpos = rowGt + 1;
      for (;;) {
        simple.lastIndex = cpos;
        const m = simple.exec(xml);
        if (m) {
          col = columnOf(m[1]!);
          if (col < MAX_COLUMNS) cells[col] = cellText(m[2] ?? 'n', decodeXml(m[3] ?? ''), shared);
          cpos = simple.lastIndex;
          continue;
        }
        const cAt = cOpen.next(cpos);
        if (cAt < 0 || cAt >= rowEnd) break;
        const cGt = cur.tagEnd(cAt);
        if (cGt < 0 || cGt >= rowEnd) break;
        const cEmpty = xml.charCodeAt(cGt - 1) === 47;
        const tag = xml.slice(cAt + cTag, cEmpty ? cGt - 1 : cGt);
        const ref = attr(tag, 'r');
        const refCol = ref === undefined ? -1 : columnOf(ref);
        col = refCol >= 0 ? refCol : col + 1;
        if (cEmpty) {
          cpos = cGt + 1;
          continue;
        }
        const cEndAt = cClose.next(cGt + 1);
        const cEnd = cEndAt < 0 || cEndAt > rowEnd ? rowEnd : cEndAt;
        const type = attr(tag, 't') ?? 'n';
        let text = '';
        if (type === 'inlineStr') {
          const is = isOpen.next(cGt + 1);
          if (is >= 0 && is < cEnd) {
            const isGt = cur.tagEnd(is);
            if (isGt >= 0 && isGt < cEnd && xml.charCodeAt(isGt - 1) !== 47) {
              const isEnd = isClose.next(isGt + 1);
              text = itemText(xml, isGt + 1, isEnd < 0 || isEnd > cEnd ? cEnd : isEnd, p);
            }
          }
        } else {
          let v = '';
          const vAt = vOpen.next(cGt + 1);
          if (vAt >= 0 && vAt < cEnd) {
            const vGt = cur.tagEnd(vAt);
            if (vGt >= 0 && vGt < cEnd && xml.charCodeAt(vGt - 1) !== 47) {
              const vEnd = vClose.next(vGt + 1);
              v = innerText(xml, vGt + 1, vEnd < 0 || vEnd > cEnd ? cEnd : vEnd);
            }
          }
          text = cellText(type, v, shared);
        }
        if (col < MAX_COLUMNS) cells[col] = text;
        cpos = cEnd;
      }
    }
    rows++;
    for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = '';
    onRow(rowNumber, cells);
    pos = rowEnd;
  }
  return rows;
}

/** Inflates the zip members `wanted` accepts; any fflate failure becomes a clear "not an .xlsx" error. */
function unzipMembers(input: Uint8Array, wanted: (name: string) => boolean): Record<string, Uint8Array> {
  try {
    return unzipSync(input, { filter: (file) => wanted(file.name) });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`not an .xlsx workbook: the zip archive cannot be read (${why})`);
  }
}

/** The first worksheet of an .xlsx workbook, its shared strings and date system. */
interface FirstSheet {
  readonly sheetXml: string;
  readonly shared: string[];
  readonly date1904: boolean;
}

const WORKBOOK = 'xl/workbook.xml';
const WORKBOOK_RELS = 'xl/_rels/workbook.xml.rels';
const FALLBACK_SHEET = 'xl/worksheets/sheet1.xml';
const FALLBACK_SHARED = 'xl/sharedStrings.xml';

/**
 * Opens the first worksheet of `input`: the first `<sheet>` of `xl/workbook.xml` resolved through
 * `xl/_rels/workbook.xml.rels`, else `xl/worksheets/sheet1.xml`. Member names are matched without
 * regard to case (OPC part names are case-insensitive). Throws `not an .xlsx workbook: …` when the
 * input is not a zip archive or holds no worksheet.
 */
function openFirstSheet(input: Uint8Array): FirstSheet {
  if (input.length < 4 || input[0] !== 0x50 || input[1] !== 0x4b) {
    throw new Error('not an .xlsx workbook: the data is not a zip archive (an .xlsx file starts with "PK")');
  }
  // Pass 1: list the members (the filter sees every name) and inflate only the workbook and its rels.
  const names = new Map<string, string>(); // lower-case name → name in the archive
  const meta = unzipMembers(input, (name) => {
    const lower = name.toLowerCase();
    if (!names.has(lower)) names.set(lower, name);
    return lower === WORKBOOK || lower === WORKBOOK_RELS;
  });
  const decoder = new TextDecoder('utf-8');
  const read = (files: Record<string, Uint8Array>, part: string): string | undefined => {
    const name = names.get(part.toLowerCase());
    const bytes = name === undefined ? undefined : files[name];
    return bytes === undefined ? undefined : decoder.decode(bytes);
  };

  let sheetPart: string | undefined;
  let sharedPart = FALLBACK_SHARED;
  let date1904 = false;
  const workbookXml = read(meta, WORKBOOK);
  if (workbookXml !== undefined) {
    const wb = parseWorkbook(workbookXml);
    date1904 = wb.date1904;
    const relsXml = read(meta, WORKBOOK_RELS);
    if (relsXml !== undefined) {
      const rels = parseRels(relsXml);
      const target = wb.sheetRelId === undefined ? undefined : rels.get(wb.sheetRelId)?.target;
      if (target !== undefined) sheetPart = resolvePart(target);
      for (const rel of rels.values()) {
        if (rel.type.endsWith('/sharedStrings')) sharedPart = resolvePart(rel.target);
      }
    }
  }
  if (sheetPart === undefined || !names.has(sheetPart.toLowerCase())) sheetPart = FALLBACK_SHEET;
  if (!names.has(sheetPart.toLowerCase())) {
    throw new Error(
      `not an .xlsx workbook: no worksheet found (${WORKBOOK} names none that exists and ${FALLBACK_SHEET} is absent)`,
    );
  }

  // Pass 2: inflate just the worksheet and the shared strings.
  const sheetLower = sheetPart.toLowerCase();
  const sharedLower = sharedPart.toLowerCase();
  const files = unzipMembers(input, (name) => {
    const lower = name.toLowerCase();
    return lower === sheetLower || lower === sharedLower;
  });
  const sharedXml = read(files, sharedPart);
  return {
    sheetXml: read(files, sheetPart) ?? '',
    shared: sharedXml === undefined ? [] : parseSharedStrings(sharedXml),
    date1904,
  };
}

// ---------------------------------------------------------------------------------------------------
// Conversion-table rows
// ---------------------------------------------------------------------------------------------------

/**
 * Canonical ICD-10-CM code (upper case, no dot) of a cell, or `undefined` when it is not one. Besides
 * {@link ICD10CM_CODE}, a code must hold a digit (every category does: `A04`, `C4A`, `QA0`), so that
 * words such as `AND`, `NEW` or `TBD` are not taken for codes.
 */
function canonicalCode(raw: string): string | undefined {
  const s = raw.trim().toUpperCase();
  const dot = s.indexOf('.');
  let code = s;
  if (dot >= 0) {
    // The dot of an ICD-10-CM code follows the 3-character category and is followed by something.
    if (dot !== 3 || s.length === 4 || s.indexOf('.', dot + 1) >= 0) return undefined;
    code = s.slice(0, 3) + s.slice(4);
  }
  return ICD10CM_CODE.test(code) && /[0-9]/.test(code) ? code : undefined;
}

/** The previous codes of one cell, or why the cell is not a list of codes. */
export type PreviousCodesResult =
  { readonly ok: true; readonly codes: string[] } | { readonly ok: false; readonly reason: string };

/** Separators between previous codes: `,` `;` `&` line breaks and the word `and` (any case). */
const PREVIOUS_SEPARATOR = /[,;&\r\n]|\band\b/i;

/**
 * Splits a `Previous Code(s) Assignment` cell into canonical codes, in the cell's order. `None` (any
 * case) gives no codes. Ranges (`H35.20-H35.23`), categories (`I63.-`) and descriptions are refused:
 * the codes they stand for cannot be listed without the code set.
 */
export function parsePreviousCodes(cell: string): PreviousCodesResult {
  const text = cell.trim();
  if (text.length === 0) return { ok: false, reason: 'previous code(s) is empty' };
  if (/^none\.?$/i.test(text)) return { ok: true, codes: [] };
  const single = canonicalCode(text);
  if (single !== undefined) return { ok: true, codes: [single] };
  const codes: string[] = [];
  for (const part of text.split(PREVIOUS_SEPARATOR)) {
    const token = part.trim();
    if (token.length === 0) continue;
    const code = canonicalCode(token);
    if (code !== undefined) {
      codes.push(code);
      continue;
    }
    const dash = token.indexOf('-');
    const isRange =
      dash > 0 &&
      canonicalCode(token.slice(0, dash)) !== undefined &&
      canonicalCode(token.slice(dash + 1)) !== undefined;
    return {
      ok: false,
      reason: isRange
        ? `previous code(s) '${text}': '${token}' is a range of codes (ranges are not expanded)`
        : `previous code(s) '${text}': '${token}' is not an ICD-10-CM code`,
    };
  }
  if (codes.length === 0) return { ok: false, reason: `previous code(s) '${text}' name no code` };
  return { ok: true, codes };
}

/** `FY<yyyy>` of the fiscal year (1 October – 30 September) containing the given date. */
function fiscalYearOfDate(year: number, month: number): string | undefined {
  if (year < 1900 || year > 2199 || month < 1 || month > 12) return undefined;
  return `FY${month >= 10 ? year + 1 : year}`;
}

/**
 * Fiscal year of an `Effective` cell, `FY<yyyy>`, or `undefined` when the cell is neither a year nor a
 * date. A bare year `Y` means 1 October `Y` (the table's note), so it is `FY<Y+1>`; an Excel serial
 * date (1900 or, with `date1904`, 1904 system) or a `m/d/yyyy` / `yyyy-mm-dd` date maps to the fiscal
 * year containing it; `FY2026` / `FY 2026` is taken as it is.
 */
export function effectiveFiscalYear(cell: string, date1904 = false): string | undefined {
  const s = cell.trim();
  if (/^[0-9]{4}$/.test(s)) {
    const year = Number(s);
    if (year >= 1900 && year <= 2199) return `FY${year + 1}`;
  }
  let m = /^FY ?((?:19|20|21)[0-9]{2})$/i.exec(s);
  if (m) return `FY${m[1]}`;
  if (/^[0-9]{1,6}(?:\.[0-9]+)?$/.test(s)) {
    const serial = Math.floor(Number(s));
    const base = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 30);
    const d = new Date(base + serial * 86_400_000);
    return fiscalYearOfDate(d.getUTCFullYear(), d.getUTCMonth() + 1);
  }
  m = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{4})$/.exec(s);
  if (m) return fiscalYearOfDate(Number(m[3]), Number(m[1]));
  m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T.*)?$/.exec(s);
  if (m) return fiscalYearOfDate(Number(m[1]), Number(m[2]));
  return undefined;
}

/** Column positions of the three fields (0-based), as found in the header row. */
interface Columns {
  code: number;
  effective: number;
  previous: number;
}

/** The cells of a row joined with ` | ` (trailing empty cells left out), for rejected rows. */
function rowText(cells: readonly string[]): string {
  let end = cells.length;
  while (end > 0 && cells[end - 1]!.length === 0) end--;
  return cells.slice(0, end).join(' | ');
}

/** `true` for the header row (`Current code assignment | Effective | Previous Code(s) Assignment`). */
function isHeader(cells: readonly string[]): boolean {
  return cells.some((c) => /^\s*current code/i.test(c));
}

/**
 * Loads the ICD-10-CM conversion table workbook (`.xlsx` bytes) as `conversions`, one per data row:
 * the current code, the fiscal year it took effect and the code(s) it replaced (see the module comment
 * for how odd rows are read). `entries` is empty; `counts.entries` is the number of conversions, with
 * `counts.noPrevious` (rows stating `None`) and `counts.multiplePrevious` (rows with two or more codes).
 * The release comes from `options`, else a year in `fileName` (`…-FY2026.xlsx` → `icd10cm-FY2026`),
 * else an `FY yyyy` in the note above the header. Throws `not an .xlsx workbook: …` when `input` is
 * not a zip archive or holds no worksheet.
 */
export function loadConversionTable(input: Uint8Array, options?: LoaderOptions): LoadResult {
  const { sheetXml, shared, date1904 } = openFirstSheet(input);
  const counts = newCounts();
  counts.noPrevious = 0;
  counts.multiplePrevious = 0;
  const rejected = new Rejections(counts, options);
  const conversions: CodeConversion[] = [];
  const firstRow = new Map<string, number>();
  const cols: Columns = { code: 0, effective: 1, previous: 2 };
  let started = false;
  let noteVersion: string | undefined;

  counts.lines = scanSheet(sheetXml, shared, (n, cells) => {
    const codeCell = cells[cols.code] ?? '';
    const code = canonicalCode(codeCell);
    if (code === undefined) {
      if (cells.every((c) => c.trim().length === 0)) {
        counts.skipped++;
        return;
      }
      if (isHeader(cells)) {
        cells.forEach((c, i) => {
          if (/current/i.test(c)) cols.code = i;
          else if (/effective/i.test(c)) cols.effective = i;
          else if (/previous/i.test(c)) cols.previous = i;
        });
        started = true;
        counts.skipped++;
        return;
      }
      if (!started) {
        // Before the header (or the first row with a code): a note, skipped; it may name the release.
        for (const c of cells) {
          const fy = noteVersion === undefined ? /\bFY ?((?:19|20)[0-9]{2})\b/.exec(c) : null;
          if (fy) noteVersion = `FY${fy[1]}`;
        }
        counts.skipped++;
        return;
      }
      const reason =
        codeCell.trim().length === 0
          ? 'current code is empty'
          : `'${codeCell.trim()}' is not an ICD-10-CM code`;
      return rejected.add(n, reason, rowText(cells));
    }
    started = true;
    const effectiveCell = cells[cols.effective] ?? '';
    const effective = effectiveFiscalYear(effectiveCell, date1904);
    if (effective === undefined) {
      const reason =
        effectiveCell.trim().length === 0
          ? 'effective is empty'
          : `effective '${effectiveCell.trim()}' is not a year or a date`;
      return rejected.add(n, reason, rowText(cells));
    }
    const previous = parsePreviousCodes(cells[cols.previous] ?? '');
    if (!previous.ok) return rejected.add(n, previous.reason, rowText(cells));
    const first = firstRow.get(code);
    if (first !== undefined)
      return rejected.add(n, `duplicate current code ${code} (first on row ${first})`, rowText(cells));
    firstRow.set(code, n);
    if (previous.codes.length === 0) counts.noPrevious++;
    else if (previous.codes.length > 1) counts.multiplePrevious++;
    conversions.push({ code, effective, previous: previous.codes, line: n });
  });
  counts.entries = conversions.length;
  return {
    system: 'icd10cm',
    release: resolveRelease(options, 'icd10cm', 'ICD-10-CM', 'FY', noteVersion),
    entries: [],
    conversions,
    counts,
    rejected: rejected.list,
  };
}
