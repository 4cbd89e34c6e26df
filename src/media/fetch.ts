// Downloads a user-supplied link to a local file without letting the link reach inside our network.
// Each hop's host is resolved here, every answer checked (fetch-address.ts), and the connection made to
// the checked address through the agent's `lookup`, so a second DNS answer cannot swap in a private
// one (no check-then-use gap); Host and TLS SNI stay the link's host name. Redirects are followed by
// hand and re-checked; type and size are checked while streaming into a temp file that is removed on
// any failure. Page links (text/html) go to yt-dlp when it is installed (fetch-ytdlp.ts), whose every
// connection passes the same checks in a local egress proxy (egress-proxy.ts).
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { extname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError, isUserError } from '../core/errors.js';
import { classifyAddress } from './fetch-address.js';
import { downloadWithYtDlp, isYtDlpAvailable } from './fetch-ytdlp.js';

export { isYtDlpAvailable } from './fetch-ytdlp.js';
export { classifyAddress, isPublicAddress } from './fetch-address.js';

export interface FetchOptions {
  dir: string;
  maxBytes: number;
  timeoutMs: number;
  accept: 'audio' | 'audio-or-video';
  signal?: AbortSignal;
  /**
   * Tests only. true: any address may be reached. A list of "host:port" origins: only links to those
   * may reach private addresses (a test server), and every other hop is checked as usual.
   */
  allowPrivate?: boolean | string[];
}

export interface FetchResult {
  path: string;
  contentType: string;
  bytes: number;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Containers that routinely carry audio only; ffprobe checks for an audio stream afterwards. */
const AUDIO_CONTAINERS = new Set(['video/mp4', 'video/webm', 'video/ogg', 'video/quicktime', 'video/x-matroska']);
const EXTENSIONS: Record<string, string> = {
  'audio/mpeg': '.mp3',
  'audio/mp3': '.mp3',
  'audio/wav': '.wav',
  'audio/x-wav': '.wav',
  'audio/wave': '.wav',
  'audio/ogg': '.ogg',
  'application/ogg': '.ogg',
  'audio/flac': '.flac',
  'audio/x-flac': '.flac',
  'audio/mp4': '.m4a',
  'audio/x-m4a': '.m4a',
  'audio/aac': '.aac',
  'audio/webm': '.webm',
  'audio/opus': '.opus',
  'video/mp4': '.mp4',
  'video/webm': '.webm',
  'video/quicktime': '.mov',
  'video/x-matroska': '.mkv',
};

const mb = (bytes: number) => `${Math.round((bytes / 2 ** 20) * 10) / 10} MB`;

function parseLink(link: string): URL {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new UserError('BAD_URL', `that is not a valid link: ${link.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError('BAD_URL', `only http and https links are accepted, not ${url.protocol}`);
  if (url.username || url.password) throw new UserError('BAD_URL', 'links with a user name or password are not accepted');
  return url;
}

function privateAllowed(url: URL, allow: FetchOptions['allowPrivate']): boolean {
  if (allow === true) return true;
  if (!Array.isArray(allow)) return false;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allow.includes(`${url.hostname}:${port}`);
}

/** Resolves the hop's host and checks every address it has; returns the one to connect to (also the egress proxy's check). */
export async function resolveChecked(url: URL, allow: FetchOptions['allowPrivate']): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let answers: Array<{ address: string; family: number }>;
  if (isIP(host)) answers = [{ address: host, family: isIP(host) }];
  else {
    try {
      answers = await dnsLookup(host, { all: true, verbatim: true });
    } catch {
      throw new UserError('UNREACHABLE', `could not find the host ${host}`);
    }
  }
  if (answers.length === 0) throw new UserError('UNREACHABLE', `could not find the host ${host}`);
  if (!privateAllowed(url, allow)) {
    // One bad answer spoils the name: connecting to "the public one" would let a resolver pick for us.
    for (const a of answers) {
      const cls = classifyAddress(a.address);
      if (cls !== 'public') throw new UserError('FORBIDDEN_ADDRESS', `links to ${host} are not allowed: it points to a ${cls} address`);
    }
  }
  const first = answers[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

function get(url: URL, target: { address: string; family: 4 | 6 }, signal: AbortSignal): Promise<IncomingMessage> {
  const lookup = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (options.all) cb(null, [target]);
    else cb(null, target.address, target.family);
  }) as unknown as LookupFunction;
  const options: RequestOptions = {
    method: 'GET',
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    headers: { 'user-agent': 'clipmatch/0.1', accept: 'audio/*, video/*;q=0.9, */*;q=0.5', 'accept-encoding': 'identity' },
    lookup,
    agent: false,
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, resolve);
    req.on('error', reject);
    req.end();
  });
}

function mediaType(header: string | undefined): string {
  return (header ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
}

function acceptable(type: string, accept: FetchOptions['accept']): boolean {
  if (type.startsWith('audio/') || type === 'application/ogg' || type === 'application/octet-stream') return true;
  switch (accept) {
    case 'audio':
      return AUDIO_CONTAINERS.has(type);
    case 'audio-or-video':
      return type.startsWith('video/');
  }
}

function extensionFor(type: string, url: URL): string {
  const known = EXTENSIONS[type];
  if (known) return known;
  const fromPath = extname(url.pathname).toLowerCase();
  return /^\.[a-z0-9]{1,5}$/.test(fromPath) ? fromPath : '.bin';
}

/** Counts bytes as they pass and fails the stream the moment the cap is crossed. */
function byteCap(maxBytes: number, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      counter.bytes += chunk.length;
      if (counter.bytes > maxBytes) cb(new UserError('TOO_LARGE', `the file is larger than the ${mb(maxBytes)} limit`));
      else cb(null, chunk);
    },
  });
}

/** Downloads `link` into `opts.dir`; see the file comment for what is checked. Errors are UserErrors. */
export async function fetchToFile(link: string, opts: FetchOptions): Promise<FetchResult> {
  let url = parseLink(link);
  await mkdir(opts.dir, { recursive: true });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new UserError('UNREACHABLE', `the download took longer than ${Math.round(opts.timeoutMs / 1000)} s`)), opts.timeoutMs);
  const onCancel = () => ac.abort(new UserError('CANCELLED', 'the download was cancelled'));
  if (opts.signal?.aborted) onCancel();
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  const tag = randomBytes(6).toString('hex');
  const part = join(opts.dir, `.fetch-${tag}.part`);
  let res: IncomingMessage | undefined;
  let out: WriteStream | undefined;
  try {
    for (let hop = 0; ; hop++) {
      const target = await resolveChecked(url, opts.allowPrivate);
      if (ac.signal.aborted) throw ac.signal.reason;
      res = await get(url, target, ac.signal);
      const status = res.statusCode ?? 0;
      if (REDIRECTS.has(status) && res.headers.location) {
        res.resume();
        if (hop >= MAX_REDIRECTS) throw new UserError('UNREACHABLE', `the link redirects more than ${MAX_REDIRECTS} times`);
        let next: URL;
        try {
          next = new URL(res.headers.location, url);
        } catch {
          throw new UserError('BAD_URL', 'the link redirects to an invalid address');
        }
        url = parseLink(next.href);
        continue;
      }
      if (status !== 200) throw new UserError('UNREACHABLE', `the server answered ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''} for ${url.host}`);
      break;
    }
    const type = mediaType(res.headers['content-type']);
    if (type === 'text/html' || type === 'application/xhtml+xml') {
      res.destroy();
      if (await isYtDlpAvailable()) {
        const allowPrivate = Array.isArray(opts.allowPrivate) ? opts.allowPrivate : undefined;
        return await downloadWithYtDlp(url.href, { dir: opts.dir, maxBytes: opts.maxBytes, timeoutMs: opts.timeoutMs, signal: ac.signal, ...(allowPrivate ? { allowPrivate } : {}) });
      }
      throw new UserError('NOT_AUDIO', 'that link is a web page, not an audio file (links to pages need yt-dlp on the server)');
    }
    if (!acceptable(type, opts.accept)) {
      throw new UserError('NOT_AUDIO', `that link is ${type}, not ${opts.accept === 'audio' ? 'audio' : 'audio or video'}`);
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.maxBytes) {
      throw new UserError('TOO_LARGE', `the file is ${mb(declared)}, over the ${mb(opts.maxBytes)} limit`);
    }
    const counter = { bytes: 0 };
    out = createWriteStream(part);
    await pipeline(res, byteCap(opts.maxBytes, counter), out, { signal: ac.signal });
    if (Number.isFinite(declared) && counter.bytes !== declared) {
      throw new UserError('UNREACHABLE', `the download from ${url.host} was cut short (${counter.bytes} of ${declared} bytes)`);
    }
    const path = join(opts.dir, `fetch-${tag}${extensionFor(type, url)}`);
    await rename(part, path);
    return { path, contentType: type, bytes: counter.bytes };
  } catch (err) {
    res?.destroy();
    // pipeline can reject before the file stream has finished opening and closing (a stream's 'error' counts
    // twice towards its end): removing the part file before that close would let a late open create it again
    if (out) await closed(out);
    await rm(part, { force: true });
    throw toUserError(err, ac.signal, url);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('close', () => resolve());
    stream.destroy();
  });
}

function toUserError(err: unknown, signal: AbortSignal, url: URL): unknown {
  if (isUserError(err)) return err;
  // An abort surfaces as AbortError from whichever stream saw it; the reason says which abort it was.
  if (signal.aborted && isUserError(signal.reason)) return signal.reason;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^(E[A-Z_]+|ERR_TLS_|CERT_|UNABLE_|DEPTH_|SELF_SIGNED|HPE_|ERR_STREAM_PREMATURE_CLOSE)/.test(code)) {
    return new UserError('UNREACHABLE', `could not download from ${url.host} (${code})`);
  }
  return err;
}

/** The largest video ingest downloads, and how long it may take. */
export const MAX_VIDEO_DOWNLOAD_BYTES = 2 * 1024 ** 3;
const VIDEO_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** Downloads a video for ingest (the CLI's links, the library worker's): its path in `dir`. */
export async function fetchVideoToFile(url: string, dir: string, signal?: AbortSignal): Promise<string> {
  return (await fetchToFile(url, { dir, maxBytes: MAX_VIDEO_DOWNLOAD_BYTES, timeoutMs: VIDEO_DOWNLOAD_TIMEOUT_MS, accept: 'audio-or-video', ...(signal ? { signal } : {}) })).path;
}
