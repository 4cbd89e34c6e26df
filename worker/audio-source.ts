// Turns a job's AudioSource into a local file the rest of the job can trust: links and attachments through
// fetchToFile (SSRF checks on every hop, streaming size and type checks, timeouts; page links go to yt-dlp
// there when installed), blobs from Redis. The untrusted download is then decoded once, through the demuxer
// whitelist and under a memory cap (src/media/ffmpeg.ts), into a FLAC of our own that stops one second past
// the duration cap: every later step (analysis, the render's soundtrack) reads only that file, and the
// length checked is the decoded one, not what the container claims.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { UserError } from '../src/core/errors.js';
import { fetchToFile } from '../src/media/fetch.js';
import { ffmpeg, MediaError, probe, UNTRUSTED_MEMORY_BYTES, untrustedInputArgs } from '../src/media/ffmpeg.js';
import type { BlobStore } from '../src/jobs/blobs.js';
import type { AudioSource } from '../src/jobs/jobs.types.js';

export interface AudioFetchConfig {
  maxBytes: number;
  maxSeconds: number;
  timeoutMs: number;
  blobs: BlobStore;
  /** only for tests that serve fixtures on loopback: origins ("host:port") allowed to be private */
  allowPrivate?: string[];
}

export interface FetchedAudio {
  /** the normalised FLAC */
  path: string;
  /** seconds of decoded audio */
  duration: number;
}

export type FetchAudio = (source: AudioSource, dir: string, signal: AbortSignal) => Promise<FetchedAudio>;

export function makeFetchAudio(cfg: AudioFetchConfig): FetchAudio {
  return async (source, dir, signal) => {
    const raw = await download(cfg, source, dir, signal);
    return normalizeSong(raw, join(dir, 'song.flac'), cfg.maxSeconds, signal);
  };
}

/** Decodes untrusted media into a 44.1 kHz stereo FLAC, at most `maxSeconds` + 1 s of it. */
export async function normalizeSong(src: string, out: string, maxSeconds: number, signal?: AbortSignal): Promise<FetchedAudio> {
  try {
    await ffmpeg(
      [...untrustedInputArgs(), '-i', src, '-vn', '-sn', '-dn', '-map', '0:a:0', '-t', String(maxSeconds + 1), '-ac', '2', '-ar', '44100', '-c:a', 'flac', '-y', out],
      { timeoutMs: 5 * 60_000, memoryLimitBytes: UNTRUSTED_MEMORY_BYTES, ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    if (signal?.aborted) throw new UserError('CANCELLED', 'Cancelled.');
    if (err instanceof MediaError) throw new UserError('NOT_AUDIO', 'That file could not be read as audio.');
    throw err;
  }
  // our own FLAC: its header holds the true sample count
  const duration = (await probe(out, { timeoutMs: 30_000 })).duration;
  if (!(duration > 0)) throw new UserError('NOT_AUDIO', 'That file holds no audio.');
  if (duration > maxSeconds + 0.5) throw new UserError('TOO_LONG', `That song is longer than the limit of ${maxSeconds} s.`);
  return { path: out, duration };
}

async function download(cfg: AudioFetchConfig, source: AudioSource, dir: string, signal: AbortSignal): Promise<string> {
  switch (source.kind) {
    case 'blob': {
      const path = join(dir, 'input' + extOf(source.name));
      // kept for retries; the bot deletes it with the job's final answer
      await writeFile(path, await cfg.blobs.get(source));
      return path;
    }
    case 'attachment':
    case 'url': {
      const res = await fetchToFile(source.url, {
        dir,
        maxBytes: cfg.maxBytes,
        timeoutMs: cfg.timeoutMs,
        accept: 'audio-or-video',
        signal,
        ...(cfg.allowPrivate ? { allowPrivate: cfg.allowPrivate } : {}),
      });
      return res.path;
    }
  }
}

const extOf = (name: string): string => {
  const m = /\.[A-Za-z0-9]{1,5}$/.exec(name);
  return m ? m[0] : '';
};
