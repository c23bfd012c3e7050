#!/usr/bin/env node
// Checks that package.json and the code agree about commands (the idea of GitHub Pull Requests'
// check-commands): every contributed command is registered in src/, every registered command is
// contributed, each has the "Clinical Coder" category and an icon, and every command named in
// menus, keybindings or welcome-view links exists. Exits 1 with one line per problem.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const problems = [];

// ids from src/constants.ts: `name: 'clinicalCoder.x.y'` inside `export const Commands = { … }`
const constants = fs.readFileSync(path.join(root, 'src/constants.ts'), 'utf8');
const block = /export const Commands = \{([\s\S]*?)\} as const/.exec(constants);
if (!block) problems.push('src/constants.ts has no `export const Commands = { … } as const` block');
const idByName = new Map([...(block?.[1] ?? '').matchAll(/(\w+):\s*'([^']+)'/g)].map((m) => [m[1], m[2]]));

// registrations: registerCommand(ctx, Commands.x, …), cmd(Commands.x, …) or a literal id
const registered = new Map();
const walk = (dir) =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
    );
for (const file of walk(path.join(root, 'src'))) {
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(
    /\b(?:registerCommand|cmd)\(\s*(?:\w+\s*,\s*)?(?:Commands\.(\w+)|'(clinicalCoder\.[\w.]+)')/g,
  )) {
    const id = m[1] ? idByName.get(m[1]) : m[2];
    if (!id)
      problems.push(
        `${path.relative(root, file)} registers Commands.${m[1]}, which src/constants.ts does not define`,
      );
    else registered.set(id, path.relative(root, file));
  }
  // the shared tree commands (platform/treeCommands.ts) take their ids as `key: Commands.x` properties
  for (const call of text.matchAll(/registerTreeCommands\(([\s\S]*?)\n {4}\),/g)) {
    for (const m of call[1].matchAll(/:\s*Commands\.(\w+)/g)) {
      const id = idByName.get(m[1]);
      if (id) registered.set(id, path.relative(root, file));
    }
  }
}

const contributed = new Map((pkg.contributes?.commands ?? []).map((c) => [c.command, c]));
for (const [id, c] of contributed) {
  if (!registered.has(id)) problems.push(`${id} is contributed in package.json but never registered`);
  if (c.category !== 'Clinical Coder') problems.push(`${id} lacks category "Clinical Coder"`);
  if (!c.icon) problems.push(`${id} lacks an icon`);
}
for (const [id, file] of registered) {
  if (!contributed.has(id))
    problems.push(`${id} is registered in ${file} but not contributed in package.json`);
}
for (const id of idByName.values()) {
  if (!contributed.has(id)) problems.push(`${id} is in src/constants.ts but not contributed in package.json`);
}
const referenced = [
  ...Object.values(pkg.contributes?.menus ?? {})
    .flat()
    .map((m) => m.command),
  ...(pkg.contributes?.keybindings ?? []).map((k) => k.command),
  ...(pkg.contributes?.viewsWelcome ?? []).flatMap((w) =>
    [...w.contents.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]),
  ),
];
for (const id of referenced) {
  if (id && !contributed.has(id))
    problems.push(`${id} is used in a menu, keybinding or welcome view but not contributed`);
}

if (problems.length) {
  console.error(`check-commands: ${problems.length} problem(s)`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(
  `check-commands: ${contributed.size} commands contributed and registered, ${referenced.length} references resolved`,
);
