/**
 * Browser-tier harness: the packaged extension (.vsix) installed into a fresh code-server
 * (VS Code 1.100.3), its workbench opened in headless Debian Chromium with playwright-core, and
 * the few helpers a coder-path test needs. See docs/real-vscode.md §4 for the selectors.
 *
 *   const wb = await Workbench.open({ workspace, settings: sandboxSettings(sandbox.url) });
 *   await wb.runCommand('Clinical Coder: Sign In');
 *   await wb.fillInputBox(clientId);
 *   await wb.fillInputBox(secret, { password: true });
 *   await wb.waitForNotification(/Signed in/);
 *   await wb.screenshot('signed-in');
 *   await wb.close();
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import * as cs from '../../scripts/lib/code-server.cjs';

export const DEFAULT_VSIX = path.join(cs.projectRoot, 'dist', 'clinical-coder.vsix');
export const SCREENSHOT_DIR = path.join(cs.projectRoot, 'test-results', 'screenshots');
const LOG_DIR = path.join(cs.projectRoot, 'test-results', 'e2e');
const QUICK_INPUT = '.quick-input-widget input.input';

export interface WorkbenchOptions {
  /** Folder to open (absolute or relative to the project root). */
  workspace: string;
  /** The extension package; default dist/clinical-coder.vsix (`npm run package`). */
  vsix?: string;
  /** Extra user settings, e.g. `sandboxSettings(url)` (on top of the welcome/trust/telemetry ones). */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server; it reaches the extension host's process.env. */
  env?: Record<string, string>;
  /** The extension's activity-bar item to wait for (its viewsContainers title). */
  activityBarLabel?: string;
  viewport?: { width: number; height: number };
  /** Default timeout of every wait, ms (default 30000). */
  timeoutMs?: number;
}

/** Playwright's `hasText`: a substring (case-insensitive) or a RegExp. */
export type TextMatch = string | RegExp;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Workbench {
  private constructor(
    readonly page: Page,
    readonly url: string,
    /** code-server's output and the browser console of this workbench. */
    readonly logFile: string,
    private readonly server: cs.CodeServer,
    private readonly release: () => Promise<void>,
  ) {}

  /** Installs the vsix, starts code-server and Chromium, and waits for the extension's activity-bar item. */
  static async open(opts: WorkbenchOptions): Promise<Workbench> {
    const vsix = path.resolve(cs.projectRoot, opts.vsix ?? DEFAULT_VSIX);
    if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run npm run package`);
    const workspace = path.resolve(cs.projectRoot, opts.workspace);
    const timeout = opts.timeoutMs ?? 30000;

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clinical-coder-e2e-'));
    const dirs = {
      userDataDir: path.join(tmp, 'user-data'),
      extensionsDir: path.join(tmp, 'extensions'),
      configFile: path.join(tmp, 'config.yaml'),
    };
    fs.mkdirSync(LOG_DIR, { recursive: true });
    const logFile = path.join(LOG_DIR, `workbench-${++opened}.log`);
    const log = fs.createWriteStream(logFile);
    let server: cs.CodeServer | undefined;
    let browser: Browser | undefined;
    // Frees whatever has been started so far; also run on Ctrl-C, even in the middle of open().
    let released: Promise<void> | undefined;
    const release = () =>
      (released ??= (async () => {
        openResources.delete(release);
        await browser?.close().catch(() => {});
        await server?.stop();
        await new Promise((resolve) => log.end(resolve));
        if (!process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
      })());
    openResources.add(release);
    closeAllOnSignals();
    try {
      cs.writeUserSettings(dirs.userDataDir, { 'editor.hover.delay': 100, ...opts.settings });
      await cs.installExtension({ vsix, ...dirs });
      server = await cs.startCodeServer({
        ...dirs,
        env: opts.env,
        onOutput: (text) => log.write(`[code-server] ${text}`),
      });
      browser = await chromium.launch({
        executablePath: cs.CHROMIUM_PATH,
        headless: true,
        args: [...cs.CHROMIUM_ARGS],
        // closeAllOnSignals closes it (Playwright's handlers would exit before code-server is stopped)
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
      const page = await context.newPage();
      page.setDefaultTimeout(timeout);
      page.on('pageerror', (e) => log.write(`[page error] ${e.stack ?? e.message}\n`));
      page.on('console', (m) => log.write(`[browser ${m.type()}] ${m.text()}\n`));

      const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
      await page.goto(url);
      await page.locator('.monaco-workbench').waitFor();
      // The item appears once the extension host is up and the contributions are applied.
      await activityBarItem(page, opts.activityBarLabel ?? 'Clinical Coder').waitFor();
      return new Workbench(page, url, logFile, server, release);
    } catch (err) {
      await release();
      if (err instanceof Error) err.message += `\n(code-server and browser log: ${logFile})`;
      throw err;
    }
  }

  /** Runs a command by its palette title (e.g. "Clinical Coder: Sign In") through F1. */
  async runCommand(title: string): Promise<void> {
    const input = this.page.locator(QUICK_INPUT);
    await this.page.keyboard.press('F1');
    if (
      !(await input.waitFor({ state: 'visible', timeout: 3000 }).then(
        () => true,
        () => false,
      ))
    ) {
      // focus was somewhere that swallowed F1 (e.g. inside a webview): refocus the workbench
      await this.page.keyboard.press('Escape');
      await this.page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible' });
    }
    await input.fill('>' + title);
    // exactly this title (with or without its "Category: " prefix), not a longer one containing it
    const exact = new RegExp(`(^|: )${escapeRegExp(title)}$`);
    await this.page
      .locator('.quick-input-list .monaco-list-row .label-name', { hasText: exact })
      .first()
      .click();
  }

  /**
   * Answers a `showInputBox` prompt: waits for the input box (not the closing command palette),
   * types `text` and presses Enter. `password: true` also checks the input is masked. `prompt`
   * waits for the box showing that prompt/title text first.
   */
  async fillInputBox(text: string, opts: { password?: boolean; prompt?: TextMatch } = {}): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    if (opts.prompt !== undefined) await widget.filter({ hasText: opts.prompt }).waitFor();
    // (a string expression: this project compiles without DOM types)
    await this.page.waitForFunction(
      `(() => { const i = document.querySelector(${JSON.stringify(QUICK_INPUT)});
        return !!i && i.offsetParent !== null && !i.value.startsWith('>'); })()`,
    );
    const input = this.page.locator(QUICK_INPUT);
    if (opts.password) {
      const type = await input.getAttribute('type');
      if (type !== 'password') throw new Error(`expected a password input box, found type="${type}"`);
    }
    await input.fill(text);
    await input.press('Enter');
  }

  /** Waits for a notification toast containing `text`; returns its message element. */
  async waitForNotification(text: TextMatch): Promise<Locator> {
    const toast = this.page
      .locator('.notifications-toasts .notification-list-item-message', { hasText: text })
      .first();
    await toast.waitFor();
    return toast;
  }

  /** The status bar entry showing `text` (not waited for: use `.waitFor()` or assertions). */
  statusBarItem(text: TextMatch): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text }).first();
  }

  /** Opens a view container from the activity bar (does not toggle it closed when already open); returns the side bar. */
  async openView(containerLabel: string): Promise<Locator> {
    const item = activityBarItem(this.page, containerLabel);
    const actionItem = this.page.locator('.part.activitybar .action-item', {
      has: labelled(this.page, containerLabel),
    });
    if (!((await actionItem.first().getAttribute('class')) ?? '').includes('checked')) {
      await item.click();
      await this.page.mouse.move(640, 400); // off the icon, or its tooltip covers the view
    }
    const sidebar = this.page.locator('.part.sidebar');
    await sidebar
      .locator('.composite.title', { hasText: new RegExp(escapeRegExp(containerLabel), 'i') })
      .waitFor();
    return sidebar;
  }

  /** Opens a workspace file in the editor through Quick Open (Ctrl+P). */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator(QUICK_INPUT);
    await input.waitFor({ state: 'visible' });
    await input.fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator('.tab.active', { hasText: path.basename(name) }).waitFor();
  }

  /**
   * Hovers over the first occurrence of `word` in the visible editor and returns the hover widget
   * once it contains `expect`. Hovers need real pointer movement, so it moves a little per round.
   * The pointer goes to the word itself, not to the middle of the token that holds it (in plain
   * text, e.g. a CSV file, one token is a whole line).
   */
  async hover(word: string, expect: TextMatch, rounds = 5): Promise<Locator> {
    const target = this.page.locator('.monaco-editor .view-lines span span', { hasText: word }).first();
    await target.waitFor();
    const box = (await this.wordBox(word)) ?? (await target.boundingBox());
    if (!box) throw new Error(`"${word}" is not visible in the editor`);
    const hover = this.page.locator('.monaco-hover:not(.hidden)', { hasText: expect }).first();
    for (let i = 0; i < rounds && !(await hover.isVisible()); i++) {
      await this.page.mouse.move(box.x + box.width / 2 - 5 + i, box.y + box.height / 2);
      await this.page.mouse.move(box.x + box.width / 2 + i, box.y + box.height / 2);
      await hover.waitFor({ timeout: 1000 }).catch(() => {});
    }
    await hover.waitFor();
    return hover;
  }

  /**
   * The on-screen box of the first occurrence of `word` in the editor's rendered lines (measured
   * with a DOM Range over the token's text), or null when no rendered token contains it.
   */
  async wordBox(word: string): Promise<{ x: number; y: number; width: number; height: number } | null> {
    // (a string expression: this project compiles without DOM types)
    return (await this.page.evaluate(`(() => {
      const word = ${JSON.stringify(word)};
      for (const span of document.querySelectorAll('.monaco-editor .view-lines span span')) {
        const node = span.firstChild;
        if (!node || node.nodeType !== Node.TEXT_NODE) continue;
        const at = node.data.replace(/\u00a0/g, ' ').indexOf(word);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + word.length);
        const r = range.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) return { x: r.x, y: r.y, width: r.width, height: r.height };
      }
      return null;
    })()`)) as { x: number; y: number; width: number; height: number } | null;
  }

  /** Saves test-results/screenshots/<name>.png after letting animations (toasts) settle; returns the path. */
  async screenshot(name: string): Promise<string> {
    await sleep(400);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** What code-server printed so far (for failure messages). */
  serverLog(): string {
    return this.server.log();
  }

  /** Closes Chromium and stops code-server with its whole process group. */
  close(): Promise<void> {
    return this.release();
  }
}

/** An `<a>` whose aria-label starts with `label` (extension containers have exactly their title; built-in ones append the keybinding). */
function labelled(page: Page, label: string): Locator {
  return page.locator(`a[aria-label^="${label.replace(/"/g, '\\"')}"]`);
}

let opened = 0;
/** What every workbench not closed yet (or still opening) has started. */
const openResources = new Set<() => Promise<void>>();
let signalsHandled = false;

/** Ctrl-C during a run: close every workbench (Chromium, code-server's process tree), then exit. */
function closeAllOnSignals(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: closing ${openResources.size} workbench(es)`);
      void Promise.allSettled([...openResources].map((release) => release())).finally(() =>
        process.exit(130),
      );
    });
  }
}

function activityBarItem(page: Page, label: string): Locator {
  return page.locator('.part.activitybar .action-item').locator(labelled(page, label)).first();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export { sandboxSettings } from '../../scripts/lib/code-server.cjs';
