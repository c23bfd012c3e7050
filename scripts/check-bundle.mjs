#!/usr/bin/env node
// Fails when the JavaScript in the packaged .vsix (dist/extension.js, dist/webview.js) reaches
// 400 KB: the budget issue 2 sets for the extension bundle. Run after `npm run package`.
import { existsSync, statSync } from 'node:fs';

const LIMIT = 400_000;
const files = ['dist/extension.js', 'dist/webview.js'].filter((f) => existsSync(f));
const total = files.reduce((n, f) => n + statSync(f).size, 0);
const line = `check-bundle: ${files.join(' + ')} = ${total.toLocaleString('en-US')} bytes (limit ${LIMIT.toLocaleString('en-US')})`;
if (total >= LIMIT) {
  console.error(`${line}: over budget`);
  process.exit(1);
}
console.log(line);
