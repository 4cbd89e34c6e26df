// Turns a job's AudioSource into a local file: links and attachments through fetchToFile (SSRF checks on
// every hop, streaming size and type checks, timeouts; page links go to yt-dlp there when installed),
// blobs from Redis. Then the duration cap, so a too-long song fails before any heavy work.
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { UserError } from '../src/core/errors.js';
import { fetchToFile } from '../src/media/fetch.js';
import { probe } from '../src/media/ffmpeg.js';
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

export type FetchAudio = (source: AudioSource, dir: string, signal: AbortSignal) => Promise<string>;

export function makeFetchAudio(cfg: AudioFetchConfig): FetchAudio {
  return async (source, dir, signal) => {
    const path = await download(cfg, source, dir, signal);
    let duration: number;
    try {
      duration = (await probe(path, { timeoutMs: 30_000, signal })).duration;
    } catch {
      throw new UserError('NOT_AUDIO', 'That file could not be read as audio.');
    }
    if (duration > cfg.maxSeconds) {
      throw new UserError('TOO_LONG', `That song is ${Math.round(duration)} s long; the limit is ${cfg.maxSeconds} s.`);
    }
    return path;
  };
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
