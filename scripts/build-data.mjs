#!/usr/bin/env node
// Compresses the public-domain code sets that ship inside the extension (ICD-10-CM/PCS FY2026 with
// their addenda and conversion table, HCPCS 2020, CVX, ICD-9-CM v32 and the 2018 GEMs) from
// sandbox/data into dist/data/*.br (brotli), and writes dist/data/sources.json with each file's
// publisher name and the SHA-256 of its uncompressed content (the code-index cache key).
// Idempotent: a file whose compressed copy already matches its hash is not compressed again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'sandbox', 'data');
const out = join(root, 'dist', 'data');

/** The bundled sets: every one is public domain (US government works; CVX: CDC). */
export const BUNDLED = [
  'icd10cm/icd10cm-order-2026.txt',
  'icd10cm/icd10cm-order-addenda-2026.txt',
  'icd10cm/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx',
  'icd10pcs/icd10pcs_order_2026.txt',
  'icd10pcs/order_addenda_2026.txt',
  'hcpcs/HCPC2020_ANWEB_w_disclaimer.txt',
  'cvx/cvx.txt',
  'icd9cm/CMS32_DESC_LONG_DX.txt',
  'icd9cm/CMS32_DESC_SHORT_DX.txt',
  'icd9cm/CMS32_DESC_LONG_SG.txt',
  'icd9cm/CMS32_DESC_SHORT_SG.txt',
  'gems/2018_I9gem.txt',
  'gems/2018_I10gem.txt',
];

mkdirSync(out, { recursive: true });
const previous = existsSync(join(out, 'sources.json'))
  ? JSON.parse(readFileSync(join(out, 'sources.json'), 'utf8'))
  : { files: [] };
const files = [];
let compressed = 0;
for (const rel of BUNDLED) {
  const name = rel.split('/').pop();
  const bytes = readFileSync(join(src, rel));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = `${name}.br`;
  const target = join(out, file);
  const before = previous.files.find((f) => f.name === name);
  if (!before || before.sha256 !== sha256 || !existsSync(target)) {
    const data = brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 9,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    });
    writeFileSync(`${target}.tmp`, data);
    renameSync(`${target}.tmp`, target);
    compressed++;
  }
  files.push({ name, path: rel, file, sha256, bytes: bytes.length });
}
writeFileSync(join(out, 'sources.json'), JSON.stringify({ files }, null, 2) + '\n');
console.log(`build-data: ${files.length} code sets in dist/data (${compressed} compressed now)`);
