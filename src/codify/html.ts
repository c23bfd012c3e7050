/**
 * The Codify panel's HTML (DESIGN.md §2, Webviews): an empty `#app` the bundled webview script
 * (`dist/webview.js`, from src/webview-ui) fills in, under a strict Content Security Policy. Kept
 * free of `vscode` so the unit tests can check the policy; the panel passes the webview's
 * `cspSource` and the script's `asWebviewUri`.
 *
 * - `default-src 'none'`: nothing loads unless listed below.
 * - Scripts: only those carrying this page's nonce (the bundled script); no inline handlers, no
 *   `eval`. Styles: the extension's own files, or a `<style>` with the nonce.
 * - `connect-src 'none'`: the webview never talks to a server; the host makes the API calls, so
 *   the token never enters the webview.
 */
import { randomBytes } from 'crypto';

/** A fresh nonce for one page: 128 random bits, base64 (never reused across loads). */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin the webview serves local resources from. */
  readonly cspSource: string;
  /** `webview.asWebviewUri(dist/webview.js)`, as a string. */
  readonly scriptUri: string;
  /** Optional stylesheet next to the script (`dist/webview.css`), when the bundle emits one. */
  readonly styleUri?: string;
  /** From {@link newNonce}. */
  readonly nonce: string;
  /** The page title (screen readers announce it). */
  readonly title?: string;
}

/** The exact Content Security Policy of the panel. */
export function panelCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
  ].join('; ');
}

/** The panel's whole HTML document. Every interpolated value is attribute-escaped. */
export function panelHtml(o: PanelHtmlOptions): string {
  const nonce = attr(o.nonce);
  const style = o.styleUri ? `\n    <link rel="stylesheet" href="${attr(o.styleUri)}" />` : '';
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta http-equiv="Content-Security-Policy" content="${attr(panelCsp(o.cspSource, o.nonce))}" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>${text(o.title ?? 'Codify')}</title>${style}
    <style nonce="${nonce}">
      body { padding: 0 16px; color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
    </style>
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${nonce}" src="${attr(o.scriptUri)}"></script>
  </body>
</html>
`;
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
