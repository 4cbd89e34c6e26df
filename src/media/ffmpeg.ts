// The edge where ffmpeg runs. Every call is a child process with a timeout, so heavy decoding never
// blocks the event loop and a hung decoder cannot hang a job.
import { spawn } from 'node:child_process';

export class MediaError extends Error {
  constructor(
    message: string,
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

export interface RunOptions {
  timeoutMs?: number;
  /** cap on stdout bytes kept; past it the process is killed and the call fails */
  maxBytes?: number;
  signal?: AbortSignal;
  /** address-space cap of the child (ulimit -v); an allocation past it fails and the child exits */
  memoryLimitBytes?: number;
}

/**
 * Demuxers untrusted media may go through (ffmpeg's names; "mov" covers mp4/m4a, "matroska" webm). Exotic
 * demuxers stay out: libgme, for one, inflates gzip'd game music in memory (1 MB in, 2 GB RSS out).
 */
export const UNTRUSTED_FORMATS = ['mp3', 'wav', 'w64', 'flac', 'ogg', 'aac', 'mov', 'matroska', 'aiff', 'asf', 'wv', 'avi', 'mpegts', 'flv'] as const;
/** Address space a probe or decode of untrusted media may take: ample for audio, fatal for a bomb. */
export const UNTRUSTED_MEMORY_BYTES = 512 * 1024 * 1024;
/** Input options that confine ffmpeg/ffprobe to local files and the demuxers above. */
export const untrustedInputArgs = (): string[] => ['-protocol_whitelist', 'file', '-format_whitelist', UNTRUSTED_FORMATS.join(',')];

function lastLines(text: string, n = 4): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}

/** Runs a binary, resolving with stdout as a Buffer; rejects with the tail of stderr on failure. */
export function runBinary(bin: string, args: string[], opts: RunOptions = {}): Promise<Buffer> {
  const { timeoutMs = 10 * 60_000, maxBytes = 2 ** 31 - 1, signal } = opts;
  return new Promise((resolve, reject) => {
    // ulimit in a shell that then execs the binary: no extra dependency, and the limit binds only that child
    const child = opts.memoryLimitBytes
      ? spawn('/bin/sh', ['-c', 'ulimit -v "$0" && exec "$@"', String(Math.ceil(opts.memoryLimitBytes / 1024)), bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: MediaError | undefined;
    const kill = (why: string) => {
      failure ??= new MediaError(why, stderr);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`${bin} timed out after ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const onAbort = () => kill(`${bin} cancelled`);
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) kill(`${bin} produced more than ${maxBytes} bytes`);
      else chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8000);
    });
    child.on('error', (err) => {
      failure ??= new MediaError(
        (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${bin} is not installed (apt-get install ffmpeg)` : err.message,
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else if (code !== 0) reject(new MediaError(`${bin} failed (exit ${code}): ${lastLines(stderr)}`, stderr));
      else resolve(Buffer.concat(chunks));
    });
  });
}

export const ffmpeg = (args: string[], opts?: RunOptions): Promise<Buffer> =>
  runBinary('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], opts);

export interface ProbeResult {
  duration: number;
  formatName: string;
  video?: { codec: string; width: number; height: number; fps: number };
  audio?: { codec: string; sampleRate: number; channels: number };
}

interface FfprobeJson {
  format?: { duration?: string; format_name?: string };
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
    disposition?: { attached_pic?: number };
  }>;
}

function parseRate(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (!n || !Number.isFinite(n)) return 0;
  return d ? n / d : n;
}

export interface MediaInputOptions {
  /** media from users: only whitelisted demuxers and local files, under UNTRUSTED_MEMORY_BYTES */
  untrusted?: boolean;
}

const untrustedRun = (o: MediaInputOptions | undefined): RunOptions => (o?.untrusted ? { memoryLimitBytes: UNTRUSTED_MEMORY_BYTES } : {});

/** Reads container duration and the first video and audio streams. Cover art does not count as video. */
export async function probe(path: string, opts?: RunOptions & MediaInputOptions): Promise<ProbeResult> {
  const { untrusted, ...run } = opts ?? {};
  const out = await runBinary(
    'ffprobe',
    ['-v', 'error', ...(untrusted ? untrustedInputArgs() : []), '-print_format', 'json', '-show_format', '-show_streams', path],
    { timeoutMs: 60_000, ...untrustedRun(opts), ...run },
  );
  let json: FfprobeJson;
  try {
    json = JSON.parse(out.toString()) as FfprobeJson;
  } catch {
    throw new MediaError('ffprobe printed unreadable output');
  }
  const streams = json.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const a = streams.find((s) => s.codec_type === 'audio');
  let duration = Number(json.format?.duration);
  if (!Number.isFinite(duration)) duration = Math.max(Number(v?.duration ?? 0) || 0, Number(a?.duration ?? 0) || 0);
  const result: ProbeResult = { duration, formatName: json.format?.format_name ?? 'unknown' };
  if (v) {
    result.video = {
      codec: v.codec_name ?? 'unknown',
      width: v.width ?? 0,
      height: v.height ?? 0,
      fps: parseRate(v.avg_frame_rate) || parseRate(v.r_frame_rate),
    };
  }
  if (a) result.audio = { codec: a.codec_name ?? 'unknown', sampleRate: Number(a.sample_rate ?? 0), channels: a.channels ?? 0 };
  return result;
}

/** Decodes the first audio stream of any file ffmpeg reads to mono float PCM at `sampleRate`. */
export async function decodePcm(
  path: string,
  sampleRate: number,
  opts: RunOptions & MediaInputOptions & { start?: number; duration?: number } = {},
): Promise<Float32Array> {
  const { untrusted, start, duration, ...run } = opts;
  const args: string[] = untrusted ? untrustedInputArgs() : [];
  if (start !== undefined) args.push('-ss', String(start));
  args.push('-i', path);
  // an output duration: ffmpeg stops decoding there, whatever the container claims
  if (duration !== undefined) args.push('-t', String(duration));
  args.push('-vn', '-map', '0:a:0', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1');
  const buf = await ffmpeg(args, { ...untrustedRun(opts), ...run });
  // Copy into an aligned buffer: Buffer slices may start at any byte offset.
  const out = new Float32Array(Math.floor(buf.length / 4));
  new Uint8Array(out.buffer).set(buf.subarray(0, out.length * 4));
  return out;
}
