/**
 * Making a server-supplied file name safe before it touches the disk (issue 4: "`file_name` from the
 * server is sanitised — no path separators, `..`, control characters or reserved names").
 *
 * The rules are the union of what Windows, macOS and Linux refuse or misinterpret, so a name that is
 * safe here is safe on every platform VS Code runs on.
 */

/** Longest name we produce, in UTF-8 bytes (most file systems allow 255; we leave room for `.part`). */
export const MAX_FILE_NAME_BYTES = 200;

/** Longest extension (including the dot) kept whole when a long name is shortened. */
const MAX_KEPT_EXTENSION_BYTES = 32;

/** Device names Windows reserves in every folder, with or without an extension (`CON`, `con.txt`). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/**
 * C0/C1 controls, and invisible formatting characters that can disguise a name (bidi overrides such
 * as U+202E turn `evil\u202Etxt.exe` into what looks like `evilexe.txt`; zero-width characters make
 * two different names look equal).
 */
const CONTROL_OR_INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

/** Half of a surrogate pair with no other half: not encodable as a file name on most systems. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Characters Windows does not allow in a file name (the separators are handled before). */
const WINDOWS_INVALID = /[<>:"|?*]/g;

/**
 * Returns `raw` (a `file_name` from a server) made safe to use as one file name in a folder:
 *
 * - only the last path segment is kept (both `/` and `\` separate segments), so `../../.bashrc`,
 *   `/etc/passwd` and `C:\Windows\x.dll` cannot leave the target folder;
 * - control characters, invisible formatting characters and `<>:"|?*` are dropped;
 * - leading dots and spaces (hidden files, `..`) and trailing dots and spaces (which Windows strips
 *   silently) are removed;
 * - Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, with or without
 *   an extension) get a `_` prefix;
 * - the result is at most {@link MAX_FILE_NAME_BYTES} UTF-8 bytes, shortened in the middle so the
 *   extension survives, never splitting a character.
 *
 * When nothing usable is left (empty, `.`, `..`, `../../`), `fallback` is used instead (itself
 * sanitised; `download` if even that is empty). A name that needs none of this is returned unchanged.
 *
 * @param raw the name as the server sent it
 * @param fallback a name to use when `raw` has nothing usable, e.g. `file-<id>`
 */
export function sanitizeFileName(raw: string, fallback: string): string {
  return clean(raw) ?? clean(fallback) ?? 'download';
}

function clean(raw: string): string | undefined {
  const lastSegment = raw.split(/[/\\]/).pop() ?? '';
  let name = lastSegment
    .replace(CONTROL_OR_INVISIBLE, '')
    .replace(WINDOWS_INVALID, '')
    .replace(LONE_SURROGATE, '')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (name === '') return undefined;
  if (WINDOWS_RESERVED.test(name.split('.')[0].trim())) name = `_${name}`;
  return truncateUtf8(name, MAX_FILE_NAME_BYTES);
}

/** Shortens `name` to at most `maxBytes` UTF-8 bytes, keeping a short extension whole. */
function truncateUtf8(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  if (ext !== '' && utf8Length(ext) <= MAX_KEPT_EXTENSION_BYTES) {
    const stem = cutToBytes(name.slice(0, dot), maxBytes - utf8Length(ext)).replace(/[.\s]+$/, '');
    return stem + ext;
  }
  return cutToBytes(name, maxBytes).replace(/[.\s]+$/, '');
}

/** The longest prefix of `s` (whole code points) that fits in `maxBytes` UTF-8 bytes. */
function cutToBytes(s: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
