/**
 * A small RFC 4180 reader (no CSV library is installed): fields separated by `delimiter`, records by
 * CRLF or LF, fields optionally quoted with `"`; inside quotes the delimiter, CR and LF are literal and
 * `""` is one quote. Linear in the input. Lenient where RFC 4180 is silent: a quote inside an
 * unquoted field is kept as a character, and text after a closing quote is appended (reported).
 */

/** One record: its fields, the 1-based line it starts on, and any problem found while reading it. */
export interface DelimitedRecord {
  readonly fields: string[];
  readonly line: number;
  /** Set when the record is malformed (unterminated quote, text after a closing quote). */
  readonly problem?: string;
}

/**
 * Calls `fn` for each record of `text`. Blank lines are reported as records with one empty field.
 * Returns the number of records.
 */
export function forEachRecord(
  text: string,
  delimiter: string,
  fn: (record: DelimitedRecord) => void,
): number {
  const d = delimiter.charCodeAt(0);
  const len = text.length;
  let i = 0;
  let line = 1;
  let count = 0;
  while (i < len) {
    const startLine = line;
    const fields: string[] = [];
    let problem: string | undefined;
    let endOfRecord = false;
    while (!endOfRecord) {
      let value = '';
      if (text.charCodeAt(i) === 34 /* " */) {
        i++;
        let closed = false;
        let chunkStart = i;
        while (i < len) {
          const c = text.charCodeAt(i);
          if (c === 34) {
            if (text.charCodeAt(i + 1) === 34) {
              value += text.slice(chunkStart, i + 1);
              i += 2;
              chunkStart = i;
              continue;
            }
            value += text.slice(chunkStart, i);
            i++;
            closed = true;
            break;
          }
          if (c === 10) line++;
          i++;
        }
        if (!closed) {
          value += text.slice(chunkStart, i);
          problem ??= `unterminated quoted field (opened on line ${startLine})`;
        }
        // Anything between the closing quote and the next delimiter / line end.
        const rest = i;
        while (i < len) {
          const c = text.charCodeAt(i);
          if (c === d || c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10)) break;
          i++;
        }
        if (i > rest) {
          value += text.slice(rest, i);
          problem ??= 'characters after a closing quote';
        }
      } else {
        const start = i;
        while (i < len) {
          const c = text.charCodeAt(i);
          if (c === d || c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10)) break;
          i++;
        }
        value = text.slice(start, i);
      }
      fields.push(value);
      if (i >= len) {
        endOfRecord = true;
      } else {
        const c = text.charCodeAt(i);
        if (c === d) {
          i++;
          if (i >= len) {
            fields.push('');
            endOfRecord = true;
          }
        } else {
          i += c === 13 ? 2 : 1;
          line++;
          endOfRecord = true;
        }
      }
    }
    count++;
    fn(problem !== undefined ? { fields, line: startLine, problem } : { fields, line: startLine });
  }
  return count;
}

/**
 * Guesses the delimiter of a table from its first line: tab, comma, semicolon or pipe, whichever
 * occurs most outside quotes (comma when none does).
 */
export function sniffDelimiter(text: string): string {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  let best = ',';
  let bestCount = 0;
  for (const cand of ['\t', ',', ';', '|']) {
    let n = 0;
    let quoted = false;
    for (let i = 0; i < first.length; i++) {
      const ch = first[i];
      if (ch === '"') quoted = !quoted;
      else if (!quoted && ch === cand) n++;
    }
    if (n > bestCount) {
      best = cand;
      bestCount = n;
    }
  }
  return best;
}
