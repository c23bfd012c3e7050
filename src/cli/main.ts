/**
 * The `clinical-coder` command line (issue: the code core as a CLI for coding teams' pipelines).
 * `run` parses the arguments, loads the index (from the persisted cache when it is current) and
 * runs one command; it returns the exit code and never throws for user errors:
 * 0 success, 1 a code not found (lookup) or errors found (validate), 2 usage or I/O error.
 */

import { promises as fs } from 'fs';
import * as path from 'path';
import { CliError, parseCommandLine, usage, UsageError } from './args';
import type { ParsedArgs } from './args';
import { describeIoError, loadCliIndex, releaseRows } from './loadCliIndex';
import type { CliIndex } from './loadCliIndex';
import { codesFromText, formatLookupText, lookupJson, lookupOne } from './lookup';
import type { LookupResult } from './lookup';
import { alignColumns, painter, useColour } from './output';
import type { CliIo } from './output';
import { formatProblemsText, formatSummary, summarise, validateText } from './validate';
import type { FileReport } from './validate';

const NAME = 'clinical-coder';

/** The version in the package.json next to the script's folder (`dist/..` or the repo root). */
export async function readVersion(scriptDir: string): Promise<string> {
  for (const dir of [path.join(scriptDir, '..'), scriptDir]) {
    try {
      const pkg = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.version) return pkg.version;
    } catch {
      // try the next folder
    }
  }
  return 'unknown';
}

/** Runs the CLI. `scriptDir` is the folder of the running script (for the bundled data and package.json). */
export async function run(argv: readonly string[], io: CliIo, scriptDir: string): Promise<number> {
  const err = (text: string): void => void io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  let parsed: ParsedArgs;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${NAME}: ${e.message}\n\n${usage(e.command)}`);
      return 2;
    }
    throw e;
  }
  if (parsed.kind === 'help') {
    io.stdout.write(`${usage(parsed.command)}\n`);
    return 0;
  }
  if (parsed.kind === 'version') {
    io.stdout.write(`${await readVersion(scriptDir)}\n`);
    return 0;
  }
  try {
    // read standard input first: a failure there is cheaper than loading the index
    const stdinText = parsed.args.includes('-') ? await io.readStdin() : undefined;
    if (parsed.args.filter((a) => a === '-').length > 1)
      throw new UsageError("'-' (standard input) can be given once", parsed.command);
    const index = await loadCliIndex(parsed.indexOptions, scriptDir, io.env);
    for (const w of index.warnings) err(`${NAME}: warning: ${w}`);
    if (parsed.verbose) {
      const where = index.cacheFile ? ` (cache: ${index.cacheFile})` : ' (no cache)';
      err(
        `${NAME}: index ${index.fromCache ? 'loaded from cache' : 'built'} in ${Math.round(index.ms)} ms: ` +
          `${index.releases.length} releases, ${index.sources.length} sources${where}`,
      );
      for (const r of index.reports) {
        if (!r.error) err(`${NAME}:   ${r.name} → ${r.release ?? '-'} (${Math.round(r.ms)} ms)`);
      }
    }
    switch (parsed.command) {
      case 'lookup':
        return runLookup(parsed.args, stdinText, index, parsed.json, io);
      case 'validate':
        return await runValidate(parsed, stdinText, index, io);
      case 'releases':
        return runReleases(index, parsed.json, io);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${NAME}: ${e.message}\n\n${usage(e.command)}`);
      return 2;
    }
    if (e instanceof CliError) {
      err(`${NAME}: ${e.message}`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      // an I/O failure (cache folder not writable is handled by the loader; this is anything else)
      err(
        `${NAME}: ${describeIoError(e)}${(e as NodeJS.ErrnoException).path ? `: ${(e as NodeJS.ErrnoException).path}` : ''}`,
      );
      return 2;
    }
    throw e;
  }
}

function runLookup(
  args: readonly string[],
  stdinText: string | undefined,
  index: CliIndex,
  json: boolean,
  io: CliIo,
): number {
  const inputs = args.flatMap((a) => (a === '-' ? codesFromText(stdinText ?? '') : [a]));
  const results: LookupResult[] = inputs.flatMap((input) => lookupOne(index.index, input));
  if (json) io.stdout.write(`${JSON.stringify(lookupJson(results), null, 2)}\n`);
  else io.stdout.write(formatLookupText(results, painter(useColour(io.stdout, io.env))));
  return results.some((r) => !r.found) ? 1 : 0;
}

async function runValidate(
  parsed: Extract<ParsedArgs, { kind: 'run' }>,
  stdinText: string | undefined,
  index: CliIndex,
  io: CliIo,
): Promise<number> {
  const options = parsed.validate;
  const reports: FileReport[] = [];
  for (const arg of parsed.args) {
    if (arg === '-') {
      const name = options.stdinFilename ?? '<stdin>';
      reports.push(validateText(name, options.stdinFilename, stdinText ?? '', index.index, options));
      continue;
    }
    let text: string;
    try {
      text = await fs.readFile(path.resolve(io.cwd, arg), 'utf8');
    } catch (e) {
      reports.push({ path: arg, problems: [], error: describeIoError(e) });
      continue;
    }
    reports.push(validateText(arg, arg, text, index.index, options));
  }
  const summary = summarise(reports);
  for (const r of reports) if (r.error) io.stderr.write(`${NAME}: ${r.path}: ${r.error}\n`);
  if (parsed.json) {
    io.stdout.write(`${JSON.stringify({ files: reports, summary }, null, 2)}\n`);
  } else {
    io.stdout.write(formatProblemsText(reports, painter(useColour(io.stdout, io.env))));
    const paint = painter(useColour(io.stderr, io.env));
    const line = formatSummary(summary);
    io.stderr.write(`${summary.errors > 0 ? paint('red', line) : line}\n`);
  }
  const tooManyWarnings = options.maxWarnings !== undefined && summary.warnings > options.maxWarnings;
  if (tooManyWarnings)
    io.stderr.write(`${NAME}: too many warnings (${summary.warnings}; maximum: ${options.maxWarnings})\n`);
  if (summary.unreadable > 0) return 2;
  return summary.errors > 0 || tooManyWarnings ? 1 : 0;
}

function runReleases(index: CliIndex, json: boolean, io: CliIo): number {
  const rows = releaseRows(index.index);
  if (json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          fromCache: index.fromCache,
          ...(index.cacheFile ? { cacheFile: index.cacheFile } : {}),
          ms: Math.round(index.ms),
          releases: rows,
          ...(index.reports.length > 0
            ? {
                sources: index.reports.map((r) => ({
                  name: r.name,
                  origin: r.origin,
                  ...(r.release !== undefined ? { release: r.release } : {}),
                  ...(r.error !== undefined ? { error: r.error } : {}),
                })),
              }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const paint = painter(useColour(io.stdout, io.env));
  const lines = alignColumns(
    rows.map((r) => [
      r.active ? '*' : ' ',
      r.id,
      r.label,
      `${r.count.toLocaleString('en-US')} codes`,
      r.source,
    ]),
    (col, cell) => (col === 1 && cell.length > 0 ? paint('bold', cell) : cell),
  );
  if (lines.length > 0) io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
