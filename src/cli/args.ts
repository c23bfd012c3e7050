/**
 * Command-line parsing for `clinical-coder` (node:util `parseArgs`, no dependency): the commands,
 * the options each accepts, and the usage texts. Parsing never touches the index or the disk.
 */

import { parseArgs } from 'util';
import { RULE_IDS } from '../core/codes/validate';
import type { RuleId } from '../core/codes/validate';

/** A mistake in the command line: reported with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show (`undefined`: the general usage). */
    readonly command?: Command,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem outside the command line (a file that cannot be read…): exit code 2, no usage. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export const COMMANDS = ['lookup', 'validate', 'releases'] as const;
export type Command = (typeof COMMANDS)[number];

function isCommand(value: string): value is Command {
  return (COMMANDS as readonly string[]).includes(value);
}

/** Options every command accepts. */
const GLOBAL_OPTIONS = {
  index: { type: 'string', multiple: true },
  'no-bundled': { type: 'boolean' },
  release: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  cache: { type: 'string' },
  'no-cache': { type: 'boolean' },
  rebuild: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Options only `validate` accepts. */
const VALIDATE_OPTIONS = {
  'max-warnings': { type: 'string' },
  dos: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'stdin-filename': { type: 'string' },
  rule: { type: 'string', multiple: true },
} as const;

const ALL_OPTIONS = { ...GLOBAL_OPTIONS, ...VALIDATE_OPTIONS };

/** Where the index comes from and how it is cached. */
export interface IndexOptions {
  /** Release files or folders given with `--index`, as typed. */
  readonly index: readonly string[];
  readonly bundled: boolean;
  /** `--release` values, as typed. */
  readonly releases: readonly string[];
  /** `--cache PATH`; `undefined` = the default location. */
  readonly cache?: string;
  readonly noCache: boolean;
  readonly rebuild: boolean;
}

export interface ValidateOptions {
  /** Exit 1 when there are more warnings than this (eslint's `--max-warnings`). */
  readonly maxWarnings?: number;
  /** `--dos YYYY-MM-DD`: the date of service for every document. */
  readonly dateOfService?: string;
  /** Report errors only. */
  readonly quiet: boolean;
  /** Name shown for (and used to pick the format of) standard input. */
  readonly stdinFilename?: string;
  /** `--rule RULE=off|on`: rules turned off (or back on). */
  readonly rules: Readonly<Partial<Record<RuleId, boolean>>>;
}

export type ParsedArgs =
  | { readonly kind: 'help'; readonly command?: Command }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly command: Command;
      readonly args: readonly string[];
      readonly json: boolean;
      readonly verbose: boolean;
      readonly indexOptions: IndexOptions;
      readonly validate: ValidateOptions;
    };

/** Parses `argv` (without `node` and the script). Throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof ALL_OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: ALL_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(parseErrorMessage(e), commandIn(argv));
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;

  if (first === 'help') {
    const topic = rest[0];
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command '${topic}'`);
    return { kind: 'help', ...(topic !== undefined ? { command: topic } : {}) };
  }
  if (first !== undefined && !isCommand(first)) throw new UsageError(`unknown command '${first}'`);
  const command = first;
  if (values.help) return { kind: 'help', ...(command ? { command } : {}) };
  if (values.version) return { kind: 'version' };
  if (command === undefined) throw new UsageError('no command given');

  if (command !== 'validate') {
    for (const name of Object.keys(VALIDATE_OPTIONS) as (keyof typeof VALIDATE_OPTIONS)[]) {
      if (values[name] !== undefined)
        throw new UsageError(`option '--${name}' is only for 'validate'`, command);
    }
  }
  if (command === 'releases' && rest.length > 0)
    throw new UsageError(`'releases' takes no arguments (got '${rest[0]}')`, command);
  if (command === 'validate' && rest.length === 0) throw new UsageError('no files to validate', command);
  if (command === 'lookup' && rest.length === 0) throw new UsageError('no codes to look up', command);
  if (values.cache !== undefined && values['no-cache'])
    throw new UsageError("'--cache' and '--no-cache' cannot be used together", command);

  let maxWarnings: number | undefined;
  if (values['max-warnings'] !== undefined) {
    const raw = values['max-warnings'];
    if (!/^-?\d+$/.test(raw))
      throw new UsageError(`'--max-warnings' needs a whole number (got '${raw}')`, command);
    maxWarnings = Number(raw);
  }
  const dos = values.dos;
  if (dos !== undefined && !isIsoDate(dos))
    throw new UsageError(`'--dos' needs a date as YYYY-MM-DD (got '${dos}')`, command);

  const rules: Partial<Record<RuleId, boolean>> = {};
  for (const raw of values.rule ?? []) {
    const m = /^([a-z-]+)(?:[=:]\s*(on|off))?$/.exec(raw.trim());
    const rule = RULE_IDS.find((r) => r === m?.[1]);
    if (!m || !rule)
      throw new UsageError(
        `--rule ${raw}: expected RULE=off or RULE=on; rules: ${RULE_IDS.join(', ')}`,
        command,
      );
    rules[rule] = m[2] !== 'off';
  }

  return {
    kind: 'run',
    command,
    args: rest,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    indexOptions: {
      index: values.index ?? [],
      bundled: !values['no-bundled'],
      releases: values.release ?? [],
      ...(values.cache !== undefined ? { cache: values.cache } : {}),
      noCache: values['no-cache'] ?? false,
      rebuild: values.rebuild ?? false,
    },
    validate: {
      ...(maxWarnings !== undefined && maxWarnings >= 0 ? { maxWarnings } : {}),
      ...(dos !== undefined ? { dateOfService: dos } : {}),
      quiet: values.quiet ?? false,
      ...(values['stdin-filename'] !== undefined ? { stdinFilename: values['stdin-filename'] } : {}),
      rules,
    },
  };
}

/** A real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** The command named in `argv` (for choosing which usage text to show after a parse error). */
function commandIn(argv: readonly string[]): Command | undefined {
  return argv.find((a): a is Command => isCommand(a));
}

/** parseArgs' messages, shortened to the usual CLI form. */
function parseErrorMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${option ?? message}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option && /argument missing/.test(message)
        ? `option '${option}' needs a value`
        : option
          ? `option '${option}' does not take a value`
          : message;
    default:
      return message.split('\n')[0]!;
  }
}

const GLOBAL_HELP = `Index options (every command):
  --index PATH         add a release file or a folder of them (repeatable); the same files the
                       extension reads: ICD-10-CM/PCS order files and addenda, HCPCS, CVX,
                       ICD-9-CM, GEMs, SNOMED CT, LOINC, or a code,description table (cpt-2026.csv)
  --no-bundled         skip the code sets bundled with clinical-coder
  --release SYS=ID     make release ID the active one of system SYS (repeatable),
                       e.g. --release icd10cm=icd10cm-FY2025 or --release icd10cm=FY2025
  --cache PATH         index cache file (default: $CLINICAL_CODER_CACHE, else
                       $XDG_CACHE_HOME/clinical-coder/index.json or ~/.cache/clinical-coder/index.json;
                       runs with --index or --no-bundled use index-<hash>.json next to it)
  --no-cache           neither read nor write the cache
  --rebuild            ignore the cache and rebuild it
  --json               machine-readable output on stdout
  --verbose            report how the index was loaded on stderr
  -h, --help           show help (also: clinical-coder help COMMAND)
  -v, --version        show the version`;

const USAGE: Record<Command | 'main', string> = {
  main: `Usage: clinical-coder <command> [options]

Commands:
  lookup CODE...       show system, release, status and title of codes
  validate FILE...     check the codes in claims, HL7, X12, FHIR, CSV or text files
  releases             list the loaded releases (* marks the active one of each system)

${GLOBAL_HELP}

Exit codes: 0 success; 1 a code was not found (lookup) or a file has errors (validate);
2 usage or I/O error.`,
  lookup: `Usage: clinical-coder lookup [options] CODE...

Looks up each CODE. A bare code (E11.65, e1165, J0696, 150) is tried in every system whose shape
fits and that knows it, and every reading is printed; SYSTEM:CODE forces a system (cvx:150,
icd9cm-dx:250.00, icd10cm:E11.65). '-' reads codes from standard input (whitespace or comma
separated). Systems: icd10cm, icd10pcs, hcpcs, cpt, icd9cm-dx, icd9cm-proc, cvx, loinc, snomed,
ndc, rxnorm.

Output: one line per reading: code, release, status, title. Status is billable, header,
deleted in <release>, not in <release>, modifier, valid, terminated <date>, or the CVX status
(Active, Inactive…); '→' lists successors. --json prints an array of objects.

Exit codes: 0 every code found; 1 a code was not found; 2 usage or I/O error.

${GLOBAL_HELP}`,
  validate: `Usage: clinical-coder validate [options] FILE...

Checks the codes in each FILE ('-' = standard input) and prints one line per problem:
  path:line:col: severity: message [rule]
then a summary on stderr. The format (CSV, X12, HL7 v2, FHIR JSON/XML, text) comes from the
file's content and extension.

Validate options:
  --dos YYYY-MM-DD     date of service for every document (default: read from the document)
  --max-warnings N     also exit 1 when there are more than N warnings
  -q, --quiet          report errors only
  --stdin-filename F   name to show for standard input (its extension picks the format)
  --rule RULE=off      turn a rule off (repeatable); rules: ${RULE_IDS.join(', ')}

Exit codes: 0 no errors; 1 errors (or more than --max-warnings warnings); 2 usage or I/O error.

${GLOBAL_HELP}`,
  releases: `Usage: clinical-coder releases [options]

Lists the loaded releases: id, label, number of codes, source; '*' marks the active release of
each system (the newest unless --release picks another). With --json, also says whether the
index came from the cache.

${GLOBAL_HELP}`,
};

/** The usage text of a command, or the general one. */
export function usage(command?: Command): string {
  return USAGE[command ?? 'main'];
}
