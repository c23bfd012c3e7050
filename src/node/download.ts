/**
 * The download engine for presigned release-file URLs (issue 4 §2). It streams one file to
 * `<final>.part` in the target folder, hashing it (sha256) on the way, survives what real links and
 * networks do — an expired link, a connection cut mid-body, an idle socket, a 5xx — by asking for a
 * new link, resuming with `Range`, or restarting, and renames `.part` to the final name only once the
 * length (and checksum, where the server gives one) is proven. A failed or cancelled download leaves
 * nothing behind: no `.part`, and the final name is never created or touched.
 *
 * Plain Node `http`/`https` (not axios): presigned URLs carry their authorisation in the query
 * string, so no auth header is sent, and the body must stream to disk, never be buffered. Inside the
 * VS Code extension host these modules also get VS Code's proxy support.
 *
 * Nothing here logs or reports a URL's query string (the presigned signature): URLs go through
 * `redactUrl`, errors carry only the path.
 */
import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { ApiError, type ApiErrorKind, isApiError, kindForStatus } from '../core/errors';
import { redact, redactUrl } from '../core/redact';

/** A presigned link to one file, as `getUrl` returns it. */
export interface DownloadLink {
  /** The presigned URL (http or https). Never logged with its query string. */
  url: string;
  /** Size in bytes, when the listing says so; the download must match it. */
  expectedSize?: number;
  /** sha256 of the file, hex or base64, when known; the download must match it. */
  sha256?: string;
}

/** A progress report; at most about 10 per second, plus one at the end. */
export interface DownloadProgress {
  /** Bytes of the file received so far (drops to 0 when a download restarts). */
  received: number;
  /** The file's size, once the server has said it. */
  total?: number;
  /** Recent transfer rate (a moving window of a few seconds), bytes per second. */
  bytesPerSecond: number;
}

/** Where debug lines go (e.g. the extension's log channel). Lines never hold a query string. */
export interface DownloadLogger {
  debug(message: string): void;
  warn(message: string): void;
}

/** Options of {@link downloadFile}. */
export interface DownloadFileOptions {
  /** Folder to save into; created when missing. */
  targetDir: string;
  /** The file name in `targetDir`, already sanitised (`sanitizeFileName`); re-checked here. */
  fileName: string;
  /**
   * Gives a fresh presigned link. Called just in time (right before the first request), and again
   * when the server refuses the link (403, e.g. S3's "Request has expired") — at most 3 times in a
   * row without any bytes arriving in between. Should reject with an `ApiError`.
   */
  getUrl(signal: AbortSignal): Promise<DownloadLink>;
  /**
   * What to do when a file already exists under the final name: `false` (default) fails with a clear
   * error before anything is touched; `true` replaces it once the new file is complete; a function is
   * asked (with the final path) and its answer used — declining is a cancellation.
   */
  overwrite?: boolean | ((finalPath: string) => Promise<boolean>);
  /** Cancels the download (the `.part` is removed; the error is an `ApiError` of kind `cancelled`). */
  signal?: AbortSignal;
  onProgress?(p: DownloadProgress): void;
  /** Sent as `User-Agent`. */
  userAgent?: string;
  /** Idle timeout on the socket, ms (default 30000): no byte for this long counts as a broken transfer. */
  timeoutMs?: number;
  /**
   * How many broken transfers in a row (cut connection, idle timeout, short body, 5xx, 429) are
   * recovered from before giving up (default 5). The count starts again once at least 1 MiB of new
   * bytes (or the rest of the file) has arrived, so a long download survives many separate hiccups
   * while a server that trickles a few bytes per attempt does not keep it going forever.
   */
  maxResumes?: number;
  /** First back-off delay after a 5xx/429/broken transfer, ms (default 1000); doubles each time, at most 30 s. */
  retryDelayMs?: number;
  /** Longest `Retry-After` honoured, ms (default 60000); a longer one fails as `rateLimited`. */
  maxRetryAfterMs?: number;
  /**
   * Flush the file to disk before renaming it to the final name (default true), so a crash or power
   * loss right after the download cannot leave a truncated file under the final name.
   */
  fsync?: boolean;
  /** `service` of the errors this engine raises (default "IMO Download"). Errors from `getUrl` pass through. */
  service?: string;
  logger?: DownloadLogger;
}

/** What a completed download produced. */
export interface DownloadResult {
  /** Absolute path of the final file. */
  path: string;
  /** Its size in bytes. */
  size: number;
  /** Lower-case hex sha256 of its bytes. */
  sha256: string;
  /** Transfers resumed with `Range` after an interruption. */
  resumed: number;
  /** Times the download started again from byte 0 (the server ignored or refused `Range`). */
  restarted: number;
  /** Calls made to `getUrl`. */
  urlRequests: number;
  /** The method the server accepted (see the note on PUT in the code). */
  method: 'GET' | 'PUT';
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESUMES = 5;
const DEFAULT_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 30_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** URL requests in a row without a byte of progress before the link is declared broken. */
const MAX_URL_REQUESTS_WITHOUT_PROGRESS = 3;
const MAX_REDIRECTS = 5;
/** How much of an error body we read (S3 XML errors are tiny). */
const ERROR_BODY_LIMIT = 16 * 1024;
const PROGRESS_INTERVAL_MS = 100;
/** Bytes gathered per file write (and the sink's buffer size). */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** New bytes (or the rest of the file) that make up for earlier broken transfers. */
const PROGRESS_TO_FORGIVE = 1024 * 1024;
const RATE_WINDOW_MS = 3000;

/**
 * Downloads one file from a presigned URL into `targetDir/fileName`, safely (see the module comment).
 *
 * - Streams to `<fileName>.part` (hashing as it goes); on success renames it to `fileName` in the same
 *   folder (atomic), after checking the length against `Content-Length`/`Content-Range` and
 *   `expectedSize`, and the sha256 against `x-amz-checksum-sha256` / the link's `sha256`, and the md5
 *   against a plain-md5 `ETag`.
 * - GET first; the documented PUT when the server refuses GET (405 / `MethodNotAllowed`).
 * - Expired or refused link (403): a new one from `getUrl`. Broken transfer: resume with
 *   `Range`/`If-Range` when the server advertised `Accept-Ranges: bytes`, else restart from 0.
 *   5xx/429: back off and retry. All within `maxResumes`.
 *
 * Rejects with an `ApiError`: `cancelled`; `badRequest` (bad file name, folder not writable, file
 * exists and `overwrite` is false, disk full); `forbidden` (the link keeps being refused); `network`,
 * `timeout`, `server`, `rateLimited` (after the retries); `invalidResponse` (length or checksum
 * mismatch: "…received N bytes, expected M…"); `notFound`. Errors of `getUrl` pass through.
 */
export async function downloadFile(o: DownloadFileOptions): Promise<DownloadResult> {
  const service = o.service ?? 'IMO Download';
  const fileName = checkFileName(o.fileName, service);
  const dir = path.resolve(o.targetDir);
  const finalPath = path.join(dir, fileName);
  const partPath = `${finalPath}.part`;
  const signal = o.signal ?? new AbortController().signal;
  const cancelled = (): ApiError =>
    new ApiError({ kind: 'cancelled', service, message: `Download of ${fileName} was cancelled.` });
  if (signal.aborted) throw cancelled();

  await prepareFolder(dir, fileName, service);
  await checkOverwrite(finalPath, fileName, o.overwrite, service, cancelled);
  if (signal.aborted) throw cancelled();

  // A stale .part (an earlier crash) is ours to replace. Removing it first and creating with `wx`
  // means we never follow a symlink planted under that name.
  let file: fsp.FileHandle;
  try {
    await fsp.rm(partPath, { force: true });
    file = await fsp.open(partPath, 'wx');
  } catch (e) {
    throw folderError(dir, fileName, e, service);
  }

  let complete = false;
  try {
    const transfer = new Transfer(o, file, fileName, dir, service, signal, cancelled);
    const result = await transfer.run();
    if (o.fsync ?? true) await file.sync();
    await file.close();
    if (signal.aborted) throw cancelled();
    // The final name may have appeared while we downloaded; honour `overwrite: false` to the end.
    if (o.overwrite === false || o.overwrite === undefined) {
      if (await pathExists(finalPath)) throw existsError(finalPath, fileName, service);
    }
    try {
      await fsp.rename(partPath, finalPath);
    } catch (e) {
      throw folderError(dir, fileName, e, service);
    }
    complete = true;
    return { ...result, path: finalPath };
  } catch (e) {
    if (signal.aborted && !(isApiError(e) && e.kind === 'cancelled')) throw cancelled();
    throw e;
  } finally {
    if (!complete) {
      await file.close().catch(() => undefined);
      await fsp.rm(partPath, { force: true }).catch(() => undefined);
    }
  }
}

/** One download's state machine. */
class Transfer {
  private method: 'GET' | 'PUT' = 'GET';
  private link: DownloadLink | undefined;
  private linkPath = '';
  /** Bytes of the file in `.part` (and in the hashes). */
  private received = 0;
  /** Hashes the bytes of `.part` in order, as they are handed to the file. */
  private readonly hasher = new PartHasher();
  /** The object's size according to the server. */
  private total: number | undefined;
  private etag: string | undefined;
  private lastModified: string | undefined;
  private rangesAccepted = false;
  private serverSha256: string | undefined;
  private md5Expected: string | undefined;

  private urlRequests = 0;
  private urlRequestsWithoutProgress = 0;
  private failuresInRow = 0;
  private highWater = 0;
  /** `highWater` when `failuresInRow` was last reset. */
  private forgivenAt = 0;
  /** Where the previous broken transfer ended; the same offset twice means the server's length is wrong. */
  private lastShortEnd: number | undefined;
  private lastRefusal = '';
  private resumed = 0;
  private restarted = 0;
  private readonly progress: ProgressMeter;

  constructor(
    private readonly o: DownloadFileOptions,
    private readonly file: fsp.FileHandle,
    private readonly fileName: string,
    private readonly dir: string,
    private readonly service: string,
    private readonly signal: AbortSignal,
    private readonly cancelled: () => ApiError,
  ) {
    this.progress = new ProgressMeter(o.onProgress);
  }

  async run(): Promise<Omit<DownloadResult, 'path'>> {
    const maxResumes = Math.max(0, this.o.maxResumes ?? DEFAULT_MAX_RESUMES);
    for (;;) {
      if (this.signal.aborted) throw this.cancelled();
      if (!this.link) await this.newLink();
      const link = this.link as DownloadLink;

      const resumeFrom = this.received > 0 && this.rangesAccepted ? this.received : 0;
      if (this.received > 0 && resumeFrom === 0) await this.restart();
      const outcome = await this.attempt(link, resumeFrom);
      if (outcome.kind === 'done') break;
      if (outcome.kind === 'again') continue;
      // A broken transfer or a retryable status.
      this.failuresInRow += 1;
      if (this.failuresInRow > maxResumes) throw outcome.error;
      const delay =
        outcome.retryAfterMs ?? backoff(this.o.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, this.failuresInRow);
      this.log('debug', `${this.fileName}: ${outcome.error.message} — retrying in ${delay} ms`);
      await sleep(delay, this.signal);
    }
    const sha256 = this.verify();
    this.progress.finish(this.received, this.total);
    return {
      size: this.received,
      sha256,
      resumed: this.resumed,
      restarted: this.restarted,
      urlRequests: this.urlRequests,
      method: this.method,
    };
  }

  private async newLink(): Promise<void> {
    if (this.urlRequestsWithoutProgress >= MAX_URL_REQUESTS_WITHOUT_PROGRESS) {
      throw new ApiError({
        kind: 'forbidden',
        service: this.service,
        method: this.method,
        path: this.linkPath,
        status: 403,
        serverMessage: this.lastRefusal || undefined,
        message: `The download link for ${this.fileName} was refused ${MAX_URL_REQUESTS_WITHOUT_PROGRESS} times in a row, even freshly issued${this.lastRefusal ? ` (${this.lastRefusal})` : ''}. Try again later; if it keeps failing, your IMO account may not have access to this file.`,
      });
    }
    this.urlRequests += 1;
    this.urlRequestsWithoutProgress += 1;
    let link: DownloadLink;
    try {
      link = await this.o.getUrl(this.signal);
    } catch (e) {
      if (this.signal.aborted) throw this.cancelled();
      if (isApiError(e)) throw e;
      throw new ApiError({
        kind: 'invalidResponse',
        service: this.service,
        message: `Could not get a download link for ${this.fileName}: ${redact(e instanceof Error ? e.message : String(e))}`,
        cause: e,
      });
    }
    let url: URL;
    try {
      url = new URL(link.url);
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ApiError({
        kind: 'invalidResponse',
        service: this.service,
        message: `The download link for ${this.fileName} is not an http(s) URL (${redactUrl(link.url).slice(0, 80)}).`,
      });
    }
    this.link = link;
    this.linkPath = url.pathname;
  }

  /** One HTTP request and, if it is the file, its body into `.part`. */
  private async attempt(link: DownloadLink, resumeFrom: number): Promise<AttemptOutcome> {
    const headers: Record<string, string> = { accept: '*/*', 'accept-encoding': 'identity' };
    if (this.o.userAgent) headers['user-agent'] = this.o.userAgent;
    if (resumeFrom > 0) {
      headers.range = `bytes=${resumeFrom}-`;
      // If-Range makes the server send the whole (new) file with 200 if it changed meanwhile.
      const validator = this.etag && !this.etag.startsWith('W/') ? this.etag : this.lastModified;
      if (validator) headers['if-range'] = validator;
    }

    let res: http.IncomingMessage;
    let req: http.ClientRequest;
    try {
      ({ res, req } = await send(link.url, this.method, headers, this.timeoutMs(), this.signal));
    } catch (e) {
      if (this.signal.aborted) throw this.cancelled();
      if (e instanceof RedirectError)
        return { kind: 'fail', error: this.error('invalidResponse', e.message) };
      return { kind: 'fail', error: this.transportError(e, 'connecting') };
    }
    const status = res.statusCode ?? 0;
    this.log(
      'debug',
      `${this.method} ${redactUrl(link.url)}${resumeFrom > 0 ? ` (from byte ${resumeFrom})` : ''} -> ${status}`,
    );

    if (status === 200 || status === 206) return this.receive(res, req, status, link, resumeFrom);

    const body = await readSmallBody(res);
    const s3 = parseS3Error(body);
    const said = s3 ? `${s3.code}${s3.message ? `: ${s3.message}` : ''}` : undefined;

    // Document 001 says to download with PUT; presigned S3 downloads are normally GET (a PUT to a
    // real S3 upload URL would replace the object). So GET comes first, and the documented PUT is
    // used only when the server refuses GET (405 / MethodNotAllowed); the choice is kept for the
    // rest of this download (resumes and renewed links).
    if (status === 405 || s3?.code === 'MethodNotAllowed') {
      if (this.method === 'GET') {
        this.method = 'PUT';
        this.log('debug', `${this.fileName}: GET refused (${status}), trying the documented PUT`);
        return { kind: 'again' };
      }
      throw this.error(
        'badRequest',
        `The server accepts neither GET nor PUT for ${this.fileName}.`,
        status,
        said,
      );
    }
    if (status === 403) {
      // S3 answers an expired link with 403 AccessDenied "Request has expired", a tampered one with
      // 403 SignatureDoesNotMatch; either way a freshly issued link is the cure.
      this.lastRefusal = said ?? 'HTTP 403';
      this.log('debug', `${this.fileName}: link refused (${this.lastRefusal}), asking for a new one`);
      this.link = undefined;
      return { kind: 'again' };
    }
    if (status === 416 && resumeFrom > 0) {
      const size = parseUnsatisfiedRange(res.headers['content-range']);
      const expected = this.total ?? this.link?.expectedSize;
      if (size !== undefined && expected !== undefined && size !== expected) {
        throw this.lengthError(Math.min(size, this.received), expected);
      }
      // Our offset is no use to the server: start again from byte 0.
      this.rangesAccepted = false;
      return { kind: 'again' };
    }
    if (status === 404) {
      throw this.error(
        'notFound',
        `${this.fileName} is not on the download server (HTTP 404).`,
        status,
        said,
      );
    }
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterMs = parseRetryAfterMs(res.headers['retry-after']);
      const maxWait = this.o.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
      const kind: ApiErrorKind = status === 429 ? 'rateLimited' : status === 408 ? 'timeout' : 'server';
      const error = this.error(
        kind,
        `The download server answered HTTP ${status} for ${this.fileName}.`,
        status,
        said,
        retryAfterMs,
      );
      if (retryAfterMs !== undefined && retryAfterMs > maxWait) throw error;
      return { kind: 'fail', error, retryAfterMs };
    }
    throw this.error(
      kindForStatus(status),
      `The download server answered HTTP ${status} for ${this.fileName}.`,
      status,
      said,
    );
  }

  /** Streams a 200/206 body into `.part`. */
  private async receive(
    res: http.IncomingMessage,
    req: http.ClientRequest,
    status: 200 | 206,
    link: DownloadLink,
    resumeFrom: number,
  ): Promise<AttemptOutcome> {
    const h = res.headers;
    const etag = header(h.etag);
    if (status === 206 && resumeFrom === 0) {
      res.destroy();
      const what = `The download server sent part of ${this.fileName} (HTTP 206) when the whole file was asked for.`;
      return { kind: 'fail', error: this.error('invalidResponse', what, 206) };
    }
    if (status === 206) {
      const range = parseContentRange(h['content-range']);
      const sameObject = this.etag === undefined || etag === undefined || etag === this.etag;
      if (!range || range.start !== resumeFrom || !sameObject) {
        // Not the bytes we asked for: do not mix them in. Start over without Range.
        res.destroy();
        this.rangesAccepted = false;
        await this.restart();
        return { kind: 'again' };
      }
      if (range.size !== undefined) this.total = range.size;
      this.resumed += 1;
    } else {
      if (resumeFrom > 0 || this.received > 0) await this.restart();
      const length = parseLength(h['content-length']);
      this.total = length;
      this.etag = etag;
      this.lastModified = header(h['last-modified']);
      this.serverSha256 = parseSha256(header(h['x-amz-checksum-sha256']));
      // The md5 of a plain ETag is checked only when there is no sha256 to check: it would add
      // nothing, and md5 costs more CPU than sha256 (about half the loopback throughput).
      const sha256Known = this.serverSha256 !== undefined || parseSha256(link.sha256) !== undefined;
      this.md5Expected = sha256Known ? undefined : plainMd5(etag, h);
      this.hasher.reset(this.md5Expected !== undefined);
    }
    if (status === 200 || header(h['accept-ranges']) !== undefined) {
      this.rangesAccepted = (header(h['accept-ranges']) ?? '').toLowerCase() === 'bytes';
    }
    const total = this.total;
    const expected = link.expectedSize;
    if (total !== undefined && expected !== undefined && total !== expected) {
      res.destroy();
      throw this.lengthError(total, expected, 'the server announced');
    }

    // Bytes are hashed as they are handed to the file and counted once written, so after a broken
    // transfer (once `sink.settled()`), `received`, the hashes and the `.part` agree byte for byte.
    const sink = new FileSink(
      this.file,
      this.received,
      (chunk) => this.hasher.data(chunk),
      (n) => this.committed(n),
    );
    const broke = await streamInto(res, req, sink);
    await sink.settled();
    if (this.signal.aborted) throw this.cancelled();
    if (sink.writeError !== undefined)
      throw folderError(this.dir, this.fileName, sink.writeError, this.service);
    if (broke !== undefined) return this.broken(this.transportError(broke, 'receiving'));
    if (total !== undefined && this.received < total) {
      return this.broken(this.lengthError(this.received, total));
    }
    if (total !== undefined && this.received > total) throw this.lengthError(this.received, total);
    return { kind: 'done' };
  }

  /** `n` more bytes are safely in `.part`. */
  private committed(n: number): void {
    this.received += n;
    if (this.received > this.highWater) {
      this.highWater = this.received;
      this.urlRequestsWithoutProgress = 0;
      this.lastShortEnd = undefined;
      // Broken transfers are forgiven only after real progress, so a server that trickles a byte
      // per attempt cannot keep the download going forever.
      if (
        this.highWater - this.forgivenAt >=
        Math.min(PROGRESS_TO_FORGIVE, (this.total ?? Infinity) - this.forgivenAt)
      ) {
        this.failuresInRow = 0;
        this.forgivenAt = this.highWater;
      }
    }
    this.progress.update(this.received, this.total);
  }

  /** A transfer that ended before the last byte: resume, unless it keeps ending at the same byte. */
  private broken(error: ApiError): AttemptOutcome {
    const expected = this.total ?? this.link?.expectedSize;
    if (
      this.received > 0 &&
      this.lastShortEnd === this.received &&
      expected !== undefined &&
      this.received < expected
    ) {
      // The body ended at the very same byte twice: not a network accident but the server (its
      // length is wrong) or something on the way (a proxy's size limit). Retrying cannot help.
      throw this.lengthError(
        this.received,
        expected,
        'received',
        'The file ended at the same byte twice, so the server (or a proxy) keeps sending it short',
      );
    }
    this.lastShortEnd = this.received;
    return { kind: 'fail', error };
  }

  /** Back to byte 0: empty `.part`, fresh hashes. */
  private async restart(): Promise<void> {
    if (this.received > 0) this.restarted += 1;
    await this.file.truncate(0);
    this.received = 0;
    this.hasher.reset(this.md5Expected !== undefined);
    this.progress.reset();
  }

  /** Checks length and checksums of the complete `.part`; its sha256 (hex). */
  private verify(): string {
    const size = this.received;
    for (const expected of [this.total, this.link?.expectedSize]) {
      if (expected !== undefined && size !== expected) throw this.lengthError(size, expected);
    }
    const digests = this.hasher.digest(size);
    const actual = digests.sha256;
    for (const [source, want] of [
      ['x-amz-checksum-sha256', this.serverSha256],
      ['the file listing', parseSha256(this.link?.sha256)],
    ] as const) {
      if (want !== undefined && want !== actual) {
        throw this.error(
          'invalidResponse',
          `${this.fileName} is corrupt: its sha256 is ${actual}, but ${source} says ${want} (received ${size} bytes). Try the download again.`,
        );
      }
    }
    if (this.md5Expected !== undefined) {
      const md5 = digests.md5;
      if (md5 !== this.md5Expected) {
        throw this.error(
          'invalidResponse',
          `${this.fileName} is corrupt: its md5 is ${md5}, but the server's ETag says ${this.md5Expected} (received ${size} bytes). Try the download again.`,
        );
      }
    }
    return actual;
  }

  private lengthError(
    received: number,
    expected: number,
    what = 'received',
    why = 'The download server sent an inconsistent length',
  ): ApiError {
    return this.error(
      'invalidResponse',
      `${this.fileName} is incomplete: ${what} ${received} bytes, expected ${expected} bytes. ${why}; try again later.`,
    );
  }

  private transportError(e: unknown, phase: 'connecting' | 'receiving'): ApiError {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    const timedOut = e instanceof IdleTimeoutError;
    const idle = this.timeoutMs();
    const detail = timedOut
      ? `no data for ${idle < 1000 ? `${idle} ms` : `${Math.round(idle / 1000)} s`}`
      : code === 'ECONNRESET' || (e instanceof Error && e.message === 'aborted')
        ? 'the connection was closed by the server'
        : code
          ? code
          : e instanceof Error
            ? redact(e.message)
            : 'connection failed';
    const at =
      phase === 'receiving'
        ? ` after ${this.received}${this.total !== undefined ? ` of ${this.total}` : ''} bytes`
        : '';
    return new ApiError({
      kind: timedOut ? 'timeout' : 'network',
      service: this.service,
      method: this.method,
      path: this.linkPath,
      message: `Download of ${this.fileName} was interrupted${at} (${detail}).`,
      cause: e,
    });
  }

  private error(
    kind: ApiErrorKind,
    message: string,
    status?: number,
    serverMessage?: string,
    retryAfterMs?: number,
  ): ApiError {
    return new ApiError({
      kind,
      service: this.service,
      method: this.method,
      path: this.linkPath,
      status,
      serverMessage,
      retryAfterMs,
      message,
    });
  }

  private timeoutMs(): number {
    return this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private log(level: 'debug' | 'warn', message: string): void {
    this.o.logger?.[level](message);
  }
}

type AttemptOutcome =
  | { kind: 'done' }
  /** Go round again now (new link, switched method, restart), without counting a failure. */
  | { kind: 'again' }
  | { kind: 'fail'; error: ApiError; retryAfterMs?: number };

/**
 * Writes a body into the `.part` file at explicit offsets. `onData` sees each chunk, in order, as it
 * is handed to the file; `onWritten` is told once it is written. Batches (`writev`) keep the number
 * of file-system calls low while the socket keeps reading.
 */
class FileSink extends Writable {
  /** The first write failure (disk full, I/O error): fatal, unlike a network failure. */
  writeError: unknown;
  private inFlight: Promise<void> = Promise.resolve();
  /** Chunks accepted but not yet written: small batches wait for more (see `_writev`). */
  private carry: Buffer[] = [];
  private carryBytes = 0;

  constructor(
    private readonly file: fsp.FileHandle,
    private position: number,
    private readonly onData: (chunk: Buffer) => void,
    private readonly onWritten: (bytes: number) => void,
  ) {
    super({ highWaterMark: WRITE_BATCH_BYTES });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.take([chunk], cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (error?: Error | null) => void): void {
    this.take(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: (error?: Error | null) => void): void {
    if (this.carryBytes === 0) return cb();
    this.flush(cb);
  }

  /** Resolves when no write is in flight (call after a failure, before reusing the file). */
  settled(): Promise<void> {
    return this.inFlight;
  }

  /**
   * Page-cache writes finish quickly, so batches would often be one 64 KiB socket read each: one
   * file-system call per chunk. Until `WRITE_BATCH_BYTES` have gathered, chunks are accepted without
   * writing (bounded memory: at most one batch waits), which cuts the calls about tenfold.
   */
  private take(buffers: Buffer[], cb: (error?: Error | null) => void): void {
    for (const b of buffers) {
      this.onData(b);
      this.carry.push(b);
      this.carryBytes += b.length;
    }
    if (this.carryBytes < WRITE_BATCH_BYTES) return cb();
    this.flush(cb);
  }

  private flush(cb: (error?: Error | null) => void): void {
    const buffers = this.carry;
    const length = this.carryBytes;
    this.carry = [];
    this.carryBytes = 0;
    this.inFlight = this.file.writev(buffers, this.position).then(
      ({ bytesWritten }) => {
        this.position += bytesWritten;
        this.onWritten(bytesWritten);
        if (bytesWritten !== length) {
          const e = Object.assign(new Error('short write'), { code: 'ENOSPC' });
          this.writeError ??= e;
          cb(e);
        } else cb();
      },
      (e: Error) => {
        this.writeError ??= e;
        cb(e);
      },
    );
  }
}

interface Digests {
  sha256: string;
  md5?: string;
}

/**
 * Hashes the file's bytes in order as they are handed to it; `reset` when the file is truncated.
 * (A worker thread reading `.part` back and hashing it was tried: once writes are batched it was no
 * faster on loopback with 2 cores, and its isolate added about 12 MB of RSS, so it was not kept.)
 */
class PartHasher {
  private sha256: Hash = createHash('sha256');
  private md5: Hash | undefined;
  private hashed = 0;

  data(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.md5?.update(chunk);
    this.hashed += chunk.length;
  }

  /** The file is empty again; hash md5 as well when `md5`. */
  reset(md5: boolean): void {
    this.sha256 = createHash('sha256');
    this.md5 = md5 ? createHash('md5') : undefined;
    this.hashed = 0;
  }

  /** Digests of the first `n` bytes, which must be all that was hashed. Call once, at the end. */
  digest(n: number): Digests {
    // Bytes hashed but not written exist only after a write failure, which ends the download.
    if (this.hashed !== n) throw new Error(`internal: hashed ${this.hashed} bytes of ${n}`);
    return { sha256: this.sha256.digest('hex'), ...(this.md5 ? { md5: this.md5.digest('hex') } : {}) };
  }
}

/** Throttled progress with a moving-window rate. */
class ProgressMeter {
  private samples: Array<{ t: number; n: number }> = [];
  private lastEmit = 0;
  constructor(private readonly onProgress: DownloadFileOptions['onProgress']) {}

  update(received: number, total: number | undefined): void {
    if (!this.onProgress) return;
    const t = Date.now();
    if (t - this.lastEmit < PROGRESS_INTERVAL_MS) return;
    this.emit(t, received, total);
  }

  finish(received: number, total: number | undefined): void {
    if (this.onProgress) this.emit(Date.now(), received, total);
  }

  reset(): void {
    this.samples = [];
  }

  private emit(t: number, received: number, total: number | undefined): void {
    this.lastEmit = t;
    this.samples.push({ t, n: received });
    while (this.samples.length > 2 && t - this.samples[0].t > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const dt = (t - first.t) / 1000;
    const bytesPerSecond = dt > 0 ? Math.max(0, (received - first.n) / dt) : 0;
    try {
      this.onProgress?.({ received, ...(total !== undefined ? { total } : {}), bytesPerSecond });
    } catch {
      // a failing progress callback must not break the download
    }
  }
}

class IdleTimeoutError extends Error {
  constructor() {
    super('idle timeout');
    this.name = 'IdleTimeoutError';
  }
}

class RedirectError extends Error {}

/**
 * Sends one request, following redirects (S3 may answer 307 to a regional endpoint; never https →
 * http), and resolves with the response once its headers arrived. The socket's idle timeout covers
 * the wait for headers and, through `req`, the body.
 */
async function send(
  url: string,
  method: 'GET' | 'PUT',
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
  let current = new URL(url);
  let currentMethod: string = method;
  for (let hop = 0; ; hop++) {
    const { res, req } = await sendOnce(current, currentMethod, headers, timeoutMs, signal);
    const status = res.statusCode ?? 0;
    const location = header(res.headers.location);
    if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return { res, req };
    res.resume();
    if (hop >= MAX_REDIRECTS) throw new RedirectError(`Too many redirects while downloading.`);
    const next = new URL(location, current);
    if (current.protocol === 'https:' && next.protocol !== 'https:') {
      throw new RedirectError(
        `The download server redirected to an insecure address (${redactUrl(next.href)}).`,
      );
    }
    if (next.protocol !== 'https:' && next.protocol !== 'http:') {
      throw new RedirectError(`The download server redirected to an unsupported address.`);
    }
    if (status === 303) currentMethod = 'GET';
    current = next;
  }
}

function sendOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const requestHeaders = { ...headers };
    if (method === 'PUT') requestHeaders['content-length'] = '0';
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method, headers: requestHeaders, signal });
    req.setTimeout(timeoutMs, () => req.destroy(new IdleTimeoutError()));
    req.once('response', (res) => resolve({ res, req }));
    // `on`, not `once`: a late second error (say, the idle timer on a finished request) must not
    // become an uncaught exception in the extension host.
    req.on('error', reject);
    req.end();
  });
}

/**
 * Pipes a response body into the sink, with back-pressure. Unlike `stream.pipeline`, a broken
 * source (cut connection, idle timeout, premature end) does not destroy the sink: the bytes already
 * received are flushed to the file first, so a resume starts after every byte that arrived and a
 * body that keeps ending at the same byte is recognised. Resolves with why the source broke
 * (`undefined` when it ended normally); a write failure is left in `sink.writeError`.
 */
function streamInto(res: http.IncomingMessage, req: http.ClientRequest, sink: FileSink): Promise<unknown> {
  return new Promise((resolve) => {
    let broke: unknown;
    let requestError: unknown;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      resolve(broke);
    };
    // The request carries the real reason (our idle timeout, an abort); the response only says "aborted".
    req.on('error', (e) => (requestError ??= e));
    const onBroken = (e: unknown): void => {
      if (broke !== undefined) return;
      broke = requestError ?? e;
      res.unpipe(sink);
      sink.end();
    };
    res.on('error', onBroken);
    res.once('close', () => {
      if (!res.complete) onBroken(new Error('aborted'));
    });
    sink.once('finish', settle);
    sink.once('error', () => {
      res.destroy();
      req.destroy();
      settle();
    });
    res.pipe(sink);
  });
}

async function readSmallBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res) {
      const b = chunk as Buffer;
      if (size < ERROR_BODY_LIMIT) chunks.push(b.subarray(0, ERROR_BODY_LIMIT - size));
      size += b.length;
      if (size >= ERROR_BODY_LIMIT) {
        res.destroy();
        break;
      }
    }
  } catch {
    // a body cut short is still a body
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `<Error><Code>…</Code><Message>…</Message></Error>` (S3's error body) → code and message. */
function parseS3Error(body: string): { code: string; message?: string } | undefined {
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  if (!code) return undefined;
  const message = /<Message>([^<]{0,300})<\/Message>/.exec(body)?.[1];
  return { code: code.trim(), ...(message ? { message: redact(message.trim()) } : {}) };
}

/** `bytes 100-199/1000` → start/end/size (size undefined for `*`). */
function parseContentRange(
  value: string | string[] | undefined,
): { start: number; end: number; size?: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(header(value)?.trim() ?? '');
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return undefined;
  return { start, end, ...(m[3] !== '*' ? { size: Number(m[3]) } : {}) };
}

/** `bytes * /1000` (a 416's Content-Range) → 1000. */
function parseUnsatisfiedRange(value: string | string[] | undefined): number | undefined {
  const m = /^bytes \*\/(\d+)$/i.exec(header(value)?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

function parseLength(value: string | string[] | undefined): number | undefined {
  const v = header(value)?.trim();
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A sha256 given as hex (64) or base64 (44, as `x-amz-checksum-sha256` has it) → hex; else undefined. */
function parseSha256(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^[0-9a-f]{64}$/i.test(v)) return v.toLowerCase();
  if (/^[A-Za-z0-9+/]{43}=$/.test(v)) return Buffer.from(v, 'base64').toString('hex');
  return undefined; // e.g. a composite (multipart) checksum "…-3": not a checksum of the whole file
}

/**
 * The md5 an S3 `ETag` stands for, when it is a plain one: `"<32 hex>"`, not weak, not multipart
 * (`-N`), and not an object encrypted with SSE-KMS or SSE-C (their ETags are not the md5).
 */
function plainMd5(etag: string | undefined, h: http.IncomingHttpHeaders): string | undefined {
  const m = /^"([0-9a-f]{32})"$/i.exec(etag ?? '');
  if (!m) return undefined;
  const sse = (header(h['x-amz-server-side-encryption']) ?? '').toLowerCase();
  if (sse.startsWith('aws:kms') || header(h['x-amz-server-side-encryption-customer-algorithm']))
    return undefined;
  return m[1].toLowerCase();
}

function parseRetryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = header(value)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function backoff(baseMs: number, n: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, Math.round(baseMs * 2 ** (n - 1)));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Refuses a name that is not one plain file name (the caller should have sanitised it). */
function checkFileName(name: string, service: string): string {
  const plain =
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    !/[/\\]/.test(name) &&
    !name.includes('\0') &&
    path.basename(name) === name;
  if (!plain) {
    throw new ApiError({
      kind: 'badRequest',
      service,
      message: `"${name.slice(0, 80)}" is not a plain file name; refusing to write outside the download folder.`,
    });
  }
  return name;
}

/** Creates the folder when missing; a clear error when it cannot be used. */
async function prepareFolder(dir: string, fileName: string, service: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (e) {
    throw folderError(dir, fileName, e, service);
  }
}

async function checkOverwrite(
  finalPath: string,
  fileName: string,
  overwrite: DownloadFileOptions['overwrite'],
  service: string,
  cancelled: () => ApiError,
): Promise<void> {
  let st;
  try {
    st = await fsp.lstat(finalPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw folderError(path.dirname(finalPath), fileName, e, service);
  }
  if (st.isDirectory()) {
    throw new ApiError({
      kind: 'badRequest',
      service,
      message: `Cannot save ${fileName}: "${finalPath}" is a folder. Remove or rename it, or choose another download folder.`,
    });
  }
  if (overwrite === true) return;
  if (typeof overwrite === 'function') {
    if (await overwrite(finalPath)) return;
    throw cancelled();
  }
  throw existsError(finalPath, fileName, service);
}

function existsError(finalPath: string, fileName: string, service: string): ApiError {
  return new ApiError({
    kind: 'badRequest',
    service,
    message: `${fileName} already exists in "${path.dirname(finalPath)}" and was left untouched. Delete or rename it, allow replacing it, or choose another download folder.`,
  });
}

/** A file-system failure in the download folder, said in words a coder can act on. */
function folderError(dir: string, fileName: string, e: unknown, service: string): ApiError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the disk is read-only'
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? 'part of that path is a file, not a folder'
            : code === 'ENOENT'
              ? 'the folder does not exist'
              : code === 'ENAMETOOLONG'
                ? 'the path is too long'
                : (code ?? (e instanceof Error ? e.message : String(e)));
  const advice =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'Free some space or choose another download folder.'
      : 'Choose another download folder, or check that this one exists and that you can write to it.';
  return new ApiError({
    kind: 'badRequest',
    service,
    message: `Cannot save ${fileName} in "${dir}": ${why}. ${advice}`,
    cause: e,
  });
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}
