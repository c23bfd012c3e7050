/** Output helpers: where text goes, aligned columns, and minimal colour (TTY only, `NO_COLOR` respected). */

/** The streams and environment a CLI run uses (the real process, or a test double). */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly readStdin: () => Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Whether to colour a stream: a terminal, and neither `NO_COLOR` nor `TERM=dumb`. */
export function useColour(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export type Paint = (style: 'red' | 'yellow' | 'blue' | 'dim' | 'bold' | 'green', text: string) => string;

const CODES = { red: 31, yellow: 33, blue: 34, green: 32, dim: 2, bold: 1 } as const;

/** A painter that colours, or leaves text alone when `enabled` is false. */
export function painter(enabled: boolean): Paint {
  return enabled ? (style, text) => `\u001b[${CODES[style]}m${text}\u001b[0m` : (_style, text) => text;
}

/**
 * Rows as aligned columns separated by two spaces; the last column is not padded. Widths count
 * UTF-16 units of the plain text (`paint` is applied after padding).
 */
export function alignColumns(
  rows: readonly (readonly string[])[],
  paint?: (col: number, cell: string) => string,
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const padded = i < row.length - 1 ? cell.padEnd(widths[i]!) : cell;
        return paint ? paint(i, padded) : padded;
      })
      .join('  ')
      .trimEnd(),
  );
}

/** `1 error`, `2 errors`. */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
