// Types for code-server.cjs (plain CommonJS, shared by the shim, the e2e harness and start.mjs).
import type { ChildProcess } from 'child_process';

export declare const CODE_SERVER_VERSION: string;
export declare const VSCODE_VERSION: string;
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: readonly string[];
export declare const BASE_USER_SETTINGS: Readonly<Record<string, unknown>>;
export declare const IMO_AUDIENCE: string;
/** Absolute path of the project root. */
export declare const projectRoot: string;

/** Settings selecting a "local" environment of IMO, Codify and Heim that points at `url`. */
export declare function sandboxSettings(url: string): Record<string, unknown>;
/** The code-server binary; throws with the setup command when it is not installed. */
export declare function codeServerBin(): string;
export declare function freePort(): Promise<number>;
export declare function sleep(ms: number): Promise<void>;
/** Writes `<userDataDir>/User/settings.json` = BASE_USER_SETTINGS + `extra`; returns its path. */
export declare function writeUserSettings(userDataDir: string, extra?: Record<string, unknown>): string;
export declare function codeServerEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;

export interface ProfileDirs {
  userDataDir: string;
  extensionsDir: string;
  /** code-server's config.yaml (default: inside userDataDir). */
  configFile?: string;
}
export declare function installExtension(opts: ProfileDirs & { vsix: string }): Promise<string>;

export interface StartOptions extends ProfileDirs {
  host?: string;
  /** 0 or omitted: a free port. */
  port?: number;
  /** Added to the environment; reaches the extension host's process.env. */
  env?: Record<string, string>;
  extraArgs?: string[];
  onOutput?: (text: string) => void;
  startTimeoutMs?: number;
}
export interface CodeServer {
  /** `http://host:port` */
  readonly url: string;
  /** `host:port` */
  readonly authority: string;
  readonly port: number;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or signal) when code-server exits. */
  readonly exited: Promise<number | string>;
  /** Everything code-server printed so far. */
  log(): string;
  /** Stops code-server, its extension host and every other descendant. */
  stop(): Promise<void>;
}
export declare function startCodeServer(opts: StartOptions): Promise<CodeServer>;
export declare function killProcessTree(pid: number, graceMs?: number): Promise<void>;
export declare function killGroupSync(pid: number): void;
export declare function descendants(pid: number): number[];
