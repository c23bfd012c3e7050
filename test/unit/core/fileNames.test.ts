import * as assert from 'assert';
import { MAX_FILE_NAME_BYTES, sanitizeFileName } from '../../../src/core/fileNames';

const FALLBACK = 'file-43084a1a';
const s = (raw: string): string => sanitizeFileName(raw, FALLBACK);
const bytes = (x: string): number => Buffer.byteLength(x, 'utf8');

describe('core/fileNames', () => {
  it('leaves an ordinary name unchanged', () => {
    for (const name of [
      'icd10cm-order-2026.txt',
      'Code Descriptions in Tabular Order 2026.zip',
      'HCPCS_2020_anweb.xlsx',
      'cvx.txt',
      'résumé-été.csv',
      'a.b.c.tar.gz',
    ]) {
      assert.strictEqual(s(name), name);
    }
  });

  it('keeps only the last path segment, so a name cannot leave the target folder', () => {
    assert.strictEqual(s('../../.bashrc'), 'bashrc');
    assert.strictEqual(s('/etc/passwd'), 'passwd');
    assert.strictEqual(s('C:\\Windows\\x.dll'), 'x.dll');
    assert.strictEqual(s('..\\..\\evil.exe'), 'evil.exe');
    assert.strictEqual(s('dir/sub\\mixed/name.csv'), 'name.csv');
    assert.strictEqual(s('\\\\server\\share\\file.txt'), 'file.txt');
  });

  it('uses the fallback when nothing usable is left', () => {
    for (const raw of [
      '',
      '.',
      '..',
      '../../',
      '/',
      '\\',
      '  ',
      '...',
      '\u0000',
      '<>:"|?*',
      '/etc/',
      'a/..',
    ]) {
      assert.strictEqual(s(raw), FALLBACK, JSON.stringify(raw));
    }
  });

  it('sanitises the fallback too, and has a last resort', () => {
    assert.strictEqual(sanitizeFileName('', '../file-1'), 'file-1');
    assert.strictEqual(sanitizeFileName('..', ''), 'download');
  });

  it('drops control and invisible characters (NUL, newlines, bidi overrides)', () => {
    assert.strictEqual(s('icd\u000010.txt'), 'icd10.txt');
    assert.strictEqual(s('line1\nline2\r\t.txt'), 'line1line2.txt');
    assert.strictEqual(s('evil\u202etxt.exe'), 'eviltxt.exe');
    assert.strictEqual(s('zero\u200bwidth.csv'), 'zerowidth.csv');
    assert.strictEqual(s('del\u007f.csv'), 'del.csv');
    assert.strictEqual(s('lone\ud800.csv'), 'lone.csv');
    assert.strictEqual(s('emoji-\u{1f600}.csv'), 'emoji-\u{1f600}.csv');
  });

  it('drops characters Windows does not allow', () => {
    assert.strictEqual(s('a<b>c:d"e|f?g*h.txt'), 'abcdefgh.txt');
    assert.strictEqual(s('C:file.txt'), 'Cfile.txt');
  });

  it('strips leading dots and trailing dots and spaces', () => {
    assert.strictEqual(s('.hidden'), 'hidden');
    assert.strictEqual(s('...dots.csv'), 'dots.csv');
    assert.strictEqual(s('name.txt. . '), 'name.txt');
    assert.strictEqual(s('  spaced.txt  '), 'spaced.txt');
  });

  it('prefixes Windows reserved device names, with or without extension, any case', () => {
    assert.strictEqual(s('CON.txt'), '_CON.txt');
    assert.strictEqual(s('con'), '_con');
    assert.strictEqual(s('Nul.tar.gz'), '_Nul.tar.gz');
    assert.strictEqual(s('COM1'), '_COM1');
    assert.strictEqual(s('lpt9.log'), '_lpt9.log');
    assert.strictEqual(s('aux .txt'), '_aux .txt');
    // not reserved: COM0, LPT10, CONSOLE, a name merely containing CON
    for (const ok of ['COM0.txt', 'LPT10.txt', 'CONSOLE.txt', 'icon.png', 'PRN-list.csv']) {
      assert.strictEqual(s(ok), ok);
    }
  });

  it('caps a long name at 200 UTF-8 bytes and keeps the extension', () => {
    const long = 'a'.repeat(400) + '.txt';
    const out = s(long);
    assert.strictEqual(bytes(out), MAX_FILE_NAME_BYTES);
    assert.ok(out.endsWith('.txt'));
    assert.ok(out.startsWith('aaaa'));

    const noExt = 'b'.repeat(400);
    assert.strictEqual(s(noExt), 'b'.repeat(200));
  });

  it('never splits a multi-byte character when shortening', () => {
    const out = s('é'.repeat(150) + '.csv'); // 300 bytes of é
    assert.ok(bytes(out) <= MAX_FILE_NAME_BYTES);
    assert.ok(out.endsWith('.csv'));
    assert.ok(!out.includes('\ufffd'));
    assert.strictEqual(out, 'é'.repeat(98) + '.csv');

    const emoji = s('\u{1f600}'.repeat(100)); // 400 bytes
    assert.strictEqual(emoji, '\u{1f600}'.repeat(50));
  });

  it('does not keep an absurdly long "extension" whole', () => {
    const out = s('x.' + 'y'.repeat(400));
    assert.strictEqual(bytes(out), MAX_FILE_NAME_BYTES);
  });

  it('never returns a name with a separator, a control character or a leading dot', () => {
    const nasty = [
      '../../.bashrc',
      '/etc/passwd',
      'C:\\Windows\\x.dll',
      '.\u0000./x',
      '\n../\r..\\CON',
      '....//....//etc/hosts',
      '%2e%2e%2f',
    ];
    for (const raw of nasty) {
      const out = s(raw);
      // eslint-disable-next-line no-control-regex -- looking for control characters is the point
      assert.ok(!/[/\\\u0000-\u001f]/.test(out), `${JSON.stringify(raw)} -> ${JSON.stringify(out)}`);
      assert.ok(!out.startsWith('.'), out);
      assert.ok(out !== '' && out !== '.' && out !== '..', out);
    }
    assert.strictEqual(s('\n../\r..\\CON'), '_CON');
  });
});
