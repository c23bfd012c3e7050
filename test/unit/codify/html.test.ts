/** The Codify panel's HTML: the exact CSP, a fresh nonce on the one script, nothing inline that could run. */
import * as assert from 'assert';
import { newNonce, panelCsp, panelHtml } from '../../../src/codify/html';

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';
const SCRIPT = 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js';

describe('codify html', () => {
  const nonce = newNonce();
  const html = panelHtml({ cspSource: CSP_SOURCE, scriptUri: SCRIPT, nonce });

  it('nonces are 128 random bits in base64, different every time', () => {
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
    assert.strictEqual(Buffer.from(nonce, 'base64').length, 16);
    const many = new Set(Array.from({ length: 100 }, () => newNonce()));
    assert.strictEqual(many.size, 100);
  });

  it('carries exactly the strict policy', () => {
    const expected =
      `default-src 'none'; img-src ${CSP_SOURCE} data:; style-src ${CSP_SOURCE} 'nonce-${nonce}'; ` +
      `font-src ${CSP_SOURCE}; script-src 'nonce-${nonce}'; connect-src 'none'`;
    assert.strictEqual(panelCsp(CSP_SOURCE, nonce), expected);
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/g)];
    assert.strictEqual(metas.length, 1, 'one CSP meta');
    assert.strictEqual(metas[0]![1], expected);
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), 'the policy comes first');
  });

  it('the policy forbids connections, eval and inline scripts', () => {
    const csp = panelCsp(CSP_SOURCE, nonce);
    assert.match(csp, /connect-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scriptSrc = /script-src ([^;]*)/.exec(csp)![1];
    assert.strictEqual(scriptSrc, `'nonce-${nonce}'`);
  });

  it('loads the bundled script with the nonce, and no other script', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.strictEqual(scripts.length, 1);
    assert.match(scripts[0]![1], new RegExp(`nonce="${nonce.replace(/[+/]/g, '\\$&')}"`));
    assert.match(scripts[0]![1], new RegExp(`src="${SCRIPT.replace(/[.+/]/g, '\\$&')}"`));
    assert.strictEqual(scripts[0]![2].trim(), '', 'no inline code');
    // every element that could run or style carries the nonce
    for (const m of html.matchAll(/<(script|style)\b([^>]*)>/g))
      assert.match(m[2], /nonce="/, `<${m[1]}> without a nonce`);
  });

  it('has no inline event handlers or javascript: URLs', () => {
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
    assert.doesNotMatch(html, /javascript:/i);
  });

  it('serves the element the webview fills', () => {
    assert.match(html, /<div id="app"><\/div>/);
    assert.match(html, /^<!DOCTYPE html>/);
  });

  it('escapes what it interpolates', () => {
    const evil = panelHtml({
      cspSource: CSP_SOURCE,
      scriptUri: 'https://x/"><script>alert(1)</script>',
      nonce: 'n"><b>',
      title: '</title><script>alert(2)</script>',
    });
    assert.strictEqual((evil.match(/<script\b/g) ?? []).length, 1);
    assert.doesNotMatch(evil, /<b>/);
  });

  it('links a stylesheet only when given one', () => {
    assert.doesNotMatch(html, /<link /);
    const styled = panelHtml({
      cspSource: CSP_SOURCE,
      scriptUri: SCRIPT,
      nonce,
      styleUri: `${CSP_SOURCE}/dist/webview.css`,
    });
    assert.match(
      styled,
      /<link rel="stylesheet" href="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/dist\/webview\.css" \/>/,
    );
  });
});
