// Tiny media made at test time with ffmpeg's lavfi sources: nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'clipmatch-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface VideoSpec {
  seconds: number;
  /** lavfi video source, e.g. 'testsrc2', 'mandelbrot', 'life', 'cellauto', 'rgbtestsrc' */
  source?: string;
  /** sine frequency; null = no audio track */
  freq?: number | null;
  size?: string;
  rate?: number;
  /** extra video filter after the source */
  vf?: string;
  /** full lavfi audio expression, overriding `freq` */
  audio?: string;
}

/** Writes a small H.264/AAC mp4 (or other container by extension) and returns its path. */
export function makeVideo(path: string, spec: VideoSpec): string {
  const { seconds, source = 'testsrc2', size = '160x120', rate = 15, freq = 440 } = spec;
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `${source}=size=${size}:rate=${rate}`];
  if (spec.audio) args.push('-f', 'lavfi', '-i', spec.audio);
  else if (freq !== null) args.push('-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=44100:duration=${seconds}`);
  if (spec.vf) args.push('-vf', spec.vf);
  args.push('-t', String(seconds), '-pix_fmt', 'yuv420p');
  if (path.endsWith('.webm')) args.push('-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '200k', '-c:a', 'libopus');
  else if (path.endsWith('.ogv')) args.push('-c:v', 'libtheora', '-q:v', '5', '-c:a', 'libvorbis');
  else args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac');
  args.push(path);
  execFileSync('ffmpeg', args, { stdio: 'pipe' });
  return path;
}

/** Writes an audio-only file. */
export function makeAudio(path: string, seconds: number, expr = 'sine=frequency=330'): string {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `${expr}:sample_rate=44100:duration=${seconds}`, '-t', String(seconds), path], { stdio: 'pipe' });
  return path;
}

/** A file with a video extension and garbage inside. */
export function makeCorrupt(path: string, bytes = 50_000): string {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = (i * 2654435761) >>> 24;
  writeFileSync(path, buf);
  return path;
}

export function probeDuration(path: string): number {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]).toString();
  return Number(out.trim());
}

export function probeStreams(path: string): string[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', path]).toString();
  return out.trim().split('\n').filter(Boolean);
}
