// Turns what a user handed us (a path or a link) into checked mono PCM: the common formats ffmpeg decodes (mp3,
// ogg/opus, wav, flac, m4a, the audio track of a video) are accepted; everything else gets one clear
// UserError (NOT_AUDIO, SILENT, TOO_LONG, TOO_SHORT, or the fetcher's BAD_URL / FORBIDDEN_ADDRESS /
// UNREACHABLE / TOO_LARGE) before any heavy work starts.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIO_SAMPLE_RATE } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { decodePcm, MediaError, probe, type ProbeResult } from '../media/ffmpeg.js';
import { isUrl } from '../library/sources.js';

/** Longest song we take: 15 minutes. */
export const MAX_SONG_SECONDS = 15 * 60;
/** A visualisation needs at least one full embedding window. */
export const MIN_VISUALIZE_SECONDS = 10;
/** Peak level below which a song counts as silence (-60 dBFS). */
const SILENCE_PEAK = 1e-3;

export interface Song {
  path: string;
  /** seconds, from the decoded samples */
  duration: number;
  sampleRate: number;
  /** mono float PCM at `sampleRate` */
  pcm: Float32Array;
}

export interface LoadSongOptions {
  minSeconds?: number;
  maxSeconds?: number;
  signal?: AbortSignal;
}

const fmt = (s: number) => (s >= 120 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

export async function loadSong(path: string, opts: LoadSongOptions = {}): Promise<Song> {
  const { minSeconds = 0, maxSeconds = MAX_SONG_SECONDS, signal } = opts;
  // Messages name no path: in a worker the file is a temp file of the host, not what the user sent.
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError('BAD_INPUT', 'the song file does not exist');
  let info: ProbeResult;
  try {
    // songs come from users: whitelisted demuxers only, under a memory cap (ffmpeg.ts)
    info = await probe(path, { signal, untrusted: true });
  } catch (err) {
    if (signal?.aborted) throw new UserError('CANCELLED', 'cancelled');
    if (err instanceof MediaError) throw new UserError('NOT_AUDIO', 'that file is not an audio file ffmpeg can read');
    throw err;
  }
  if (!info.audio) throw new UserError('NOT_AUDIO', 'that file has no audio track');
  // Containers can lie about duration, so this early check only saves decoding an obviously long file.
  if (info.duration > maxSeconds + 1) throw new UserError('TOO_LONG', `the song lasts ${fmt(info.duration)}; the limit is ${fmt(maxSeconds)}`);
  let pcm: Float32Array;
  try {
    // decoding stops one second past the cap: enough to tell "too long" without decoding the rest
    pcm = await decodePcm(path, AUDIO_SAMPLE_RATE, { signal, untrusted: true, duration: maxSeconds + 1, timeoutMs: 5 * 60_000, maxBytes: (maxSeconds + 5) * AUDIO_SAMPLE_RATE * 4 });
  } catch (err) {
    if (signal?.aborted) throw new UserError('CANCELLED', 'cancelled');
    if (err instanceof MediaError) throw new UserError('NOT_AUDIO', 'the audio could not be decoded (damaged or unsupported file)');
    throw err;
  }
  const duration = pcm.length / AUDIO_SAMPLE_RATE;
  if (pcm.length === 0) throw new UserError('NOT_AUDIO', 'that file holds no decodable audio');
  if (duration > maxSeconds + 0.5) throw new UserError('TOO_LONG', `the song is longer than the ${fmt(maxSeconds)} limit`);
  if (duration < minSeconds) throw new UserError('TOO_SHORT', `the song lasts ${duration.toFixed(1)} s; it must last at least ${minSeconds} s`);
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const a = Math.abs(pcm[i]!);
    if (a > peak && Number.isFinite(a)) peak = a;
  }
  if (peak < SILENCE_PEAK) throw new UserError('SILENT', 'the song is silent');
  return { path, duration, sampleRate: AUDIO_SAMPLE_RATE, pcm };
}

export interface SongInput {
  path: string;
  /** removes whatever was downloaded; a no-op for local files */
  cleanup(): Promise<void>;
}

/** A local path as is, or a link downloaded (with the fetcher's address and size checks) to a temp file. */
export async function resolveSongInput(input: string, opts: { maxBytes: number; timeoutMs: number; signal?: AbortSignal }): Promise<SongInput> {
  if (!isUrl(input)) return { path: input, cleanup: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), 'clipmatch-song-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const { fetchToFile } = await import('../media/fetch.js');
    const res = await fetchToFile(input, { dir, maxBytes: opts.maxBytes, timeoutMs: opts.timeoutMs, accept: 'audio-or-video', signal: opts.signal });
    return { path: res.path, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The `seconds`-long window of PCM starting at `start`, zero-padded past the end of the song. */
export function pcmWindow(song: Song, start: number, seconds: number): Float32Array {
  const n = Math.round(seconds * song.sampleRate);
  const from = Math.max(0, Math.round(start * song.sampleRate));
  const out = new Float32Array(n);
  out.set(song.pcm.subarray(from, Math.min(song.pcm.length, from + n)));
  return out;
}
