// Audio from web pages (YouTube, SoundCloud, ...) through yt-dlp, when it is installed. Optional: without
// it a page link is refused as "not audio". yt-dlp makes its own connections (the page, redirects, media
// hosts), so each run gets its own local egress proxy (egress-proxy.ts) and `--proxy` to it: every
// connection yt-dlp makes is resolved and checked there by the same rules as fetch.ts, and a refused one
// is never made. Downloads stay in yt-dlp's native downloader (no external tool that would skip the proxy).
import { mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { env } from '../config.js';
import { UserError } from '../core/errors.js';
import { startEgressProxy } from './egress-proxy.js';
import { MediaError, runBinary } from './ffmpeg.js';

let available: Promise<boolean> | undefined;

/** Whether yt-dlp (YTDLP_PATH) runs here; asked once per process. */
export function isYtDlpAvailable(): Promise<boolean> {
  available ??= runBinary(env().YTDLP_PATH, ['--version'], { timeoutMs: 10_000 }).then(
    () => true,
    () => false,
  );
  return available;
}

const TYPES: Record<string, string> = {
  '.m4a': 'audio/mp4',
  '.mp3': 'audio/mpeg',
  '.opus': 'audio/ogg',
  '.ogg': 'audio/ogg',
  '.webm': 'audio/webm',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.aac': 'audio/aac',
  '.mp4': 'video/mp4',
};

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    try {
      total += statSync(join(dir, name)).size;
    } catch {
      // a .part file renamed between readdir and stat
    }
  }
  return total;
}

/**
 * Downloads the best audio of a page into `dir`. The size cap is enforced while downloading (the work
 * folder is watched and yt-dlp killed past the cap) as well as by yt-dlp's own --max-filesize.
 */
export async function downloadWithYtDlp(
  url: string,
  opts: { dir: string; maxBytes: number; timeoutMs: number; signal?: AbortSignal; allowPrivate?: string[] },
): Promise<{ path: string; contentType: string; bytes: number }> {
  const work = mkdtempSync(join(opts.dir, '.ytdlp-'));
  const proxy = await startEgressProxy(opts.allowPrivate ? { allowPrivate: opts.allowPrivate } : {});
  const ac = new AbortController();
  let tooLarge = false;
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const watch = setInterval(() => {
    if (dirBytes(work) > opts.maxBytes) {
      tooLarge = true;
      ac.abort();
    }
  }, 500);
  try {
    await runBinary(
      env().YTDLP_PATH,
      [
        '--ignore-config', '--proxy', proxy.url, '--downloader', 'native', '--no-playlist', '--no-progress', '--quiet', '--no-warnings',
        '-f', 'bestaudio/best', '--max-filesize', String(opts.maxBytes), '--socket-timeout', '30', '-o', join(work, 'media.%(ext)s'), '--', url,
      ],
      { timeoutMs: opts.timeoutMs, signal: ac.signal },
    );
    const files = readdirSync(work).filter((f) => f.startsWith('media.') && !f.endsWith('.part'));
    if (files.length === 0) throw new UserError('TOO_LARGE', `the audio on that page is larger than ${Math.round(opts.maxBytes / 2 ** 20)} MB`);
    const src = join(work, files[0]!);
    const bytes = statSync(src).size;
    if (bytes > opts.maxBytes) throw new UserError('TOO_LARGE', `the audio on that page is larger than ${Math.round(opts.maxBytes / 2 ** 20)} MB`);
    const ext = extname(src).toLowerCase();
    const path = join(opts.dir, `fetch-${randomBytes(6).toString('hex')}${ext}`);
    renameSync(src, path);
    return { path, contentType: TYPES[ext] ?? 'application/octet-stream', bytes };
  } catch (err) {
    if (tooLarge) throw new UserError('TOO_LARGE', `the audio on that page is larger than ${Math.round(opts.maxBytes / 2 ** 20)} MB`);
    if (opts.signal?.aborted) throw new UserError('CANCELLED', 'the download was cancelled');
    if (proxy.refused.length) {
      throw new UserError('FORBIDDEN_ADDRESS', 'that page leads to an address that is not allowed (a private or local network)');
    }
    if (err instanceof MediaError) {
      // yt-dlp's own words may name paths of this host: the user hears only what happened
      throw new UserError('UNREACHABLE', `getting the audio from that page ${err.message.includes('timed out') ? 'took too long' : 'failed'}`);
    }
    throw err;
  } finally {
    clearInterval(watch);
    await proxy.close();
    opts.signal?.removeEventListener('abort', onAbort);
    rmSync(work, { recursive: true, force: true });
  }
}
