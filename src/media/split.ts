// Splits a video into self-contained clips in one decoding pass: H.264/AAC mp4 per clip (key frames forced
// on clip boundaries so every clip plays on its own; at most 720p and 25 fps, what the renderer outputs), plus the whole audio track as 16 kHz mono PCM that
// the caller slices into per-clip wavs.
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClipWindow } from '../core/windows.js';
import { decodePcm, ffmpeg, probe } from './ffmpeg.js';

export interface SplitOptions {
  clipSeconds: number;
  windows: ClipWindow[];
  hasAudio: boolean;
  /** file name stem per clip index */
  stem: (index: number) => string;
  threads?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * the source's audio codec when known (probe().audio.codec). AAC is copied into the clips, not
   * re-encoded: the encode was a third of the split's CPU. Absent: probed here.
   */
  audioCodec?: string;
}

/** Largest size kept in the library: clips are re-encoded at most 720p, 25 fps (the rate every video is rendered at). */
const SCALE = "scale='min(1280,iw)':'min(720,ih)':force_original_aspect_ratio=decrease,scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1";

export async function splitVideo(src: string, outDir: string, opts: SplitOptions): Promise<string[]> {
  const { clipSeconds, windows, hasAudio, threads = 0 } = opts;
  if (windows.length === 0) return [];
  const total = windows.reduce((s, w) => Math.max(s, w.start + w.duration), 0);
  const args = ['-i', src, '-t', String(total), '-map', '0:v:0'];
  if (hasAudio) {
    // The clip's sound is kept for playback only (features use the wav, the renderer takes the song's
    // audio), so AAC is copied as is, and anything else gets the fast AAC coder (~40% of the default
    // two-loop search's CPU at the same bit rate).
    const codec = opts.audioCodec ?? (await probe(src)).audio?.codec;
    args.push('-map', '0:a:0', ...(codec === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '128k', '-ac', '2', '-ar', '44100']));
  }
  args.push(
    '-vf', SCALE,
    '-fpsmax', '25',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-threads', String(threads),
    '-force_key_frames', `expr:gte(t,n_forced*${clipSeconds})`,
    '-f', 'segment', '-segment_time', String(clipSeconds), '-reset_timestamps', '1',
    '-segment_format', 'mp4', '-segment_format_options', 'movflags=+faststart',
    join(outDir, 'seg-%04d.mp4'),
  );
  await ffmpeg(args, { timeoutMs: opts.timeoutMs ?? Math.max(120_000, total * 20_000), signal: opts.signal });
  const made = (await readdir(outDir)).filter((f) => /^seg-\d{4}\.mp4$/.test(f)).sort();
  const out: string[] = [];
  for (const w of windows) {
    const seg = made[w.index];
    if (!seg) throw new Error(`ffmpeg produced ${made.length} clips, expected ${windows.length}`);
    const dest = join(outDir, `${opts.stem(w.index)}.mp4`);
    await rename(join(outDir, seg), dest);
    out.push(dest);
  }
  // Segments past the last window (a dropped short tail) are not part of the library.
  for (const extra of made.slice(windows.length)) await rm(join(outDir, extra), { force: true });
  return out;
}

/** The whole audio track at `sampleRate` (mono float); empty when the video has none. */
export async function decodeTrack(src: string, sampleRate: number, signal?: AbortSignal): Promise<Float32Array> {
  return decodePcm(src, sampleRate, { timeoutMs: 10 * 60_000, signal });
}

/** Writes mono float PCM as a 16-bit PCM wav. */
export async function writeWav(path: string, pcm: Float32Array, sampleRate: number): Promise<void> {
  const data = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) {
    const v = Math.max(-1, Math.min(1, pcm[i] ?? 0));
    data.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  await writeFile(path, Buffer.concat([header, data]));
}
