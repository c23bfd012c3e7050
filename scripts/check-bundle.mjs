#!/usr/bin/env node
// Fails when the extension's bundle (dist/extension.js, what VS Code loads at activation) reaches
// 400 KB: the budget issue 2 sets. Modules used only by some commands are chunks loaded on first use
// (dist/chunks, see esbuild.js) and the webview has its own browser bundle: their sizes are printed
// beside it, and every chunk the bundle requires must exist. Run after `npm run package`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

const LIMIT = 400_000;
const main = 'dist/extension.js';
const size = (f) => statSync(f).size;
const kb = (n) => `${n.toLocaleString('en-US')} bytes`;
const problems = [];
if (!existsSync(main)) problems.push(`${main} is missing: run the build first`);
else {
  const text = readFileSync(main, 'utf8');
  for (const m of text.matchAll(/require\("\.\/(chunks\/[\w-]+\.js)"\)/g)) {
    if (!existsSync(`dist/${m[1]}`)) problems.push(`${main} requires ./${m[1]}, which is missing`);
  }
  const line = `check-bundle: ${main} = ${kb(size(main))} (limit ${kb(LIMIT)})`;
  if (size(main) >= LIMIT) problems.push(`${line}: over budget`);
  else console.log(line);
}
const lazy = existsSync('dist/chunks')
  ? readdirSync('dist/chunks')
      .filter((f) => f.endsWith('.js'))
      .map((f) => `dist/chunks/${f}`)
  : [];
for (const f of [...lazy, 'dist/webview.js'].filter((x) => existsSync(x)))
  console.log(`check-bundle: ${f} = ${kb(size(f))} (loaded on first use)`);
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);
