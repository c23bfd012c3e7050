import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';

/** Reads a text file (UTF-8 unless told), or undefined when it does not exist. Other errors propagate. */
export async function readTextIfExists(
  file: string,
  encoding: 'utf8' | 'latin1' = 'utf8',
): Promise<string | undefined> {
  try {
    return await fs.readFile(file, encoding);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Writes `text` to `file` atomically: a temporary file in the same folder, then a rename, so a
 * crash or a full disk never leaves a half-written file under the final name.
 */
export async function writeTextAtomic(
  file: string,
  text: string,
  encoding: 'utf8' | 'latin1' = 'utf8',
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, text, encoding);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** True when a file (or folder) exists at `p`. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}
