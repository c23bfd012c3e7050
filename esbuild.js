// Bundles the extension host code (node/cjs, `vscode` external). `--production` minifies
// for packaging; development builds carry source maps. `--watch` rebuilds on change.
// A browser entry for webviews (src/webview-ui) is added next to the node entry when it exists.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Reports build results in the `$esbuild-watch` problem-matcher format. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of [...result.errors, ...result.warnings]) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/** Resolves `name` to a stub CommonJS module (default: an empty object) instead of the package. */
function emptyModule(name, contents = 'module.exports = {};') {
  return {
    name: `empty-${name}`,
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${name}$`) }, () => ({
        path: name,
        namespace: `empty-${name}`,
      }));
      build.onLoad({ filter: /.*/, namespace: `empty-${name}` }, () => ({ contents, loader: 'js' }));
    },
  };
}

/**
 * A `debug` that never prints. It must still be a factory: axios's https-proxy-agent → agent-base
 * calls `require('debug')('agent-base')` when it loads, so an empty object breaks activation.
 */
const SILENT_DEBUG = `const debug = () => Object.assign(() => {}, { enabled: false, extend: debug });
module.exports = Object.assign(debug, { enable() {}, disable() {}, enabled: () => false });`;

/**
 * Modules the extension loads on first use, each built as a chunk of its own in dist/chunks/: the
 * code-set loaders (only when the index is built from raw files, not read from its cache), the
 * validation rules (the first validated document), the Find Code search engine, the download engine,
 * the crosswalk file formats and the Codify result enrichment and export (with their CSV parser).
 * The source reaches them with a plain `require('…/module')` inside the function that needs them; in
 * the extension bundle that call becomes `require('./chunks/<name>.js')`. Anything else (an
 * `import`) would defeat the point, so it fails the build. They hold pure code over plain data and
 * raise errors recognised by shape (`isApiError`), not by class, so a chunk's own copy of a small
 * helper module is harmless.
 */
const LAZY_CHUNKS = [
  { name: 'loaders', file: 'src/core/codes/loadSource.ts' },
  { name: 'search', file: 'src/core/codes/search.ts' },
  { name: 'crosswalkFiles', file: 'src/core/crosswalks/fileFormats.ts' },
  { name: 'codifyExport', file: 'src/core/codify/export.ts' },
  { name: 'codifyEnrich', file: 'src/core/codify/enrich.ts' },
  { name: 'download', file: 'src/node/download.ts' },
  { name: 'validate', file: 'src/core/codes/validate.ts' },
];

/**
 * axios's browser adapters, replaced by what they amount to in the extension host. axios picks the
 * first available adapter of ['xhr', 'http', 'fetch']: `xhr` is unavailable in Node (its module
 * exports `false` there) and `http` always is, so `fetch` is never reached. The stubs say so without
 * shipping their code. The extension never sets `adapter`.
 */
function axiosNodeAdaptersOnly() {
  return {
    name: 'axios-node-adapters',
    setup(build) {
      build.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]xhr\.js$/ }, () => ({
        contents: 'export default false;',
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]adapters[\\/]fetch\.js$/ }, () => ({
        contents: 'export const getFetch = () => false; export default false;',
        loader: 'js',
      }));
    },
  };
}

function lazyChunks() {
  const byFile = new Map(LAZY_CHUNKS.map((c) => [path.resolve(__dirname, c.file), c]));
  const names = LAZY_CHUNKS.map((c) => path.basename(c.file, '.ts')).join('|');
  return {
    name: 'lazy-chunks',
    setup(build) {
      build.onResolve({ filter: new RegExp(`(^|/)(${names})$`) }, (args) => {
        const chunk = byFile.get(path.resolve(args.resolveDir, `${args.path}.ts`));
        if (!chunk) return undefined;
        if (args.kind !== 'require-call')
          return {
            errors: [
              {
                text: `${chunk.file} is a lazy chunk: reach it with require() where it is needed (${args.importer})`,
              },
            ],
          };
        return { path: `./chunks/${chunk.name}.js`, external: true };
      });
    },
  };
}

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
  plugins: watch ? [problemMatcher] : [],
};

const entries = [
  {
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    // axios ships a browser build too; the extension host is Node.
    mainFields: ['module', 'main'],
    // axios's Node build requires form-data (with mime-types → mime-db, a 130 KB table of every MIME
    // type, and the get-intrinsic family) only to build multipart/form-data bodies. The extension never
    // sends one (axios reaches form-data only for that content type), so the package is replaced by an
    // empty module. Keeps the bundle lean: the .vsix's JavaScript must stay under 400 KB.
    // follow-redirects and agent-base require `debug` only to print their own traces when DEBUG is
    // set: not something an extension host does, so a silent stub stands in (SILENT_DEBUG).
    plugins: [
      ...common.plugins,
      emptyModule('form-data'),
      emptyModule('debug', SILENT_DEBUG),
      axiosNodeAdaptersOnly(),
      lazyChunks(),
    ],
    define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
  },
  ...LAZY_CHUNKS.map((c) => ({
    ...common,
    entryPoints: [c.file],
    outfile: `dist/chunks/${c.name}.js`,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
  })),
];
// The command-line interface (`clinical-coder`, the package's `bin`): core + node only, no vscode.
const cliOutfile = 'dist/cli.js';
entries.push({
  ...common,
  entryPoints: ['src/cli.ts'],
  outfile: cliOutfile,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  plugins: [
    ...common.plugins,
    {
      name: 'cli',
      setup(build) {
        // `vscode` must never reach the CLI's graph: fail the build if it does.
        build.onResolve({ filter: /^vscode$/ }, (args) => ({
          errors: [{ text: `the CLI must not import vscode (imported by ${args.importer})` }],
        }));
        // executable, so the `bin` link runs it directly (also after watch rebuilds)
        build.onEnd(() => {
          const file = path.join(__dirname, cliOutfile);
          if (fs.existsSync(file)) fs.chmodSync(file, 0o755);
        });
      },
    },
  ],
});
const webviewEntry = 'src/webview-ui/main.ts';
if (fs.existsSync(webviewEntry)) {
  entries.push({
    ...common,
    entryPoints: [webviewEntry],
    outfile: 'dist/webview.js',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  });
}

async function main() {
  // remove only esbuild's own outputs: dist/data (the bundled code sets) and the .vsix stay
  for (const e of entries) {
    for (const f of [e.outfile, `${e.outfile}.map`]) fs.rmSync(path.join(__dirname, f), { force: true });
  }
  const contexts = await Promise.all(entries.map((e) => esbuild.context(e)));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  for (const r of results) {
    for (const [file, out] of Object.entries(r.metafile.outputs)) {
      if (file.endsWith('.js')) console.log(`${file}: ${(out.bytes / 1024).toFixed(1)} KB`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
