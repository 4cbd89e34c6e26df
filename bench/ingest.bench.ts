// Ingest throughput, both runtimes side by side: what each stage costs in CPU seconds per 10 s of video
// (split encode, audio decode and features, frame decode, the CNN on tfjs and on onnxruntime), then the
// whole ingest per runtime on a long real video and on a set of short real files (start-up and the PCA fit
// weigh on those), as wall-clock x real time and as x real time per core (CPU seconds, which a loaded
// machine does not inflate). Real footage from /work/media/footage when present (--video=<path> for the
// long one), else generated. Run alone: node --import tsx bench/ingest.bench.ts
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AUDIO_SAMPLE_RATE } from '../src/core/types.js';
import { clipWindows } from '../src/core/windows.js';
import { probe } from '../src/media/ffmpeg.js';
import { decodeFrames } from '../src/media/frames.js';
import { decodeTrack, splitVideo } from '../src/media/split.js';
import { audioExtractor } from '../src/features/audio/index.js';
import { rawVisualFromFrames } from '../src/features/visual/extract.js';
import { ingest } from '../src/library/ingest.js';
import { resolveEngine, type Engine } from '../src/onnx/runtime.js';
import { makeSynthVideo } from '../src/demo/synth.js';
import { tempDir } from '../tests/helpers/media.js';

const FOOTAGE = '/work/media/footage';
const LONG = [join(FOOTAGE, 'openboard-wannaworktogether.mp4'), '/usr/share/openboard/library/videos/wannaworktogether.mp4'];

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** CPU seconds of reaped child processes (ffmpeg), from /proc/self/stat cutime + cstime. */
function childCpu(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/** Wall seconds, this process's CPU seconds (all threads) and its children's. */
async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number; child: number }> {
  const c0 = process.cpuUsage(), k0 = childCpu(), t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, child: childCpu() - k0 };
}

export async function run(): Promise<Record<string, unknown>> {
  const arg = process.argv.find((a) => a.startsWith('--video='))?.slice('--video='.length);
  const t = tempDir('clipmatch-bench-ingest-');
  const cores = availableParallelism();
  try {
    let video = arg ?? LONG.find((p) => existsSync(p));
    let kind = video ? 'real' : 'generated';
    if (!video) {
      video = join(t.dir, 'generated.mp4');
      await makeSynthVideo(video, { source: 'mandelbrot', seconds: 60, seed: 1, size: '480x352', rate: 30 });
      kind = 'generated (mandelbrot 480x352, 30 fps, 60 s)';
    }
    const short = existsSync(FOOTAGE) ? readdirSync(FOOTAGE).filter((f) => /^planetblupi-play1\d\d\.mkv$/.test(f)).slice(0, 6).map((f) => join(FOOTAGE, f)) : [];
    const info = await probe(video);
    const duration = info.duration;
    const per10 = (cpu: number) => round((cpu * 10) / duration, 2);
    const engine = await resolveEngine();
    const engines: Engine[] = engine === 'onnx' ? ['tfjs', 'onnx'] : ['tfjs'];

    // Stages, one at a time (CPU seconds per 10 s of video).
    const splitDir = join(t.dir, 'split');
    await mkdir(splitDir);
    const windows = clipWindows(duration, 10);
    const split = await measure(() => splitVideo(video, splitDir, { clipSeconds: 10, windows, hasAudio: !!info.audio, stem: (i) => `c${i}` }));
    const track = await measure(() => decodeTrack(video, AUDIO_SAMPLE_RATE));
    const audio = await measure(async () => audioExtractor.extract(track.value, AUDIO_SAMPLE_RATE));
    const frames = await measure(() => decodeFrames(video, { fps: 2, width: 224, height: 224, threads: 1, skipNonRef: true }));
    const seconds = Math.floor(frames.value.count / 2);
    const visual: Record<string, number> = {};
    for (const e of engines) {
      await rawVisualFromFrames(frames.value, 10, { engine: e }); // warm-up: load, graph build or cache
      const v = await measure(() => rawVisualFromFrames(frames.value, seconds, { engine: e }));
      visual[e] = round((v.cpu * 10) / seconds, 2);
    }
    const stages = {
      splitEncode: per10(split.child),
      audioDecode: per10(track.child),
      audioFeatures: per10(audio.cpu),
      frameDecode: per10(frames.child),
      cnnAndCues: visual,
    };

    // Whole ingest per runtime: a fresh library each, both cores.
    const whole = async (inputs: string[], total: number) => {
      const out: Record<string, unknown> = {};
      for (const e of engines) {
        const before = loadavg();
        const m = await measure(() => ingest({ libraryDir: join(t.dir, `lib-${e}-${Math.random().toString(36).slice(2)}`), inputs, threads: 0, engine: e }));
        const cpu = m.cpu + m.child;
        out[e] = {
          wallSeconds: round(m.wall, 1),
          realtimeX: round(m.value.secondsAdded / m.wall),
          cpuSeconds: round(cpu, 1),
          realtimeXPerCore: round(m.value.secondsAdded / cpu),
          realtimeXOnFreeCores: round((m.value.secondsAdded / cpu) * cores),
          clips: m.value.clipsAdded,
          loadavgBefore: before,
          loadavgAfter: loadavg(),
        };
      }
      return { inputs: inputs.length, seconds: round(total), ...out };
    };
    const shortSeconds = (await Promise.all(short.map((p) => probe(p)))).reduce((s, i) => s + i.duration, 0);
    return {
      video: { kind, path: video, seconds: round(duration), width: info.video?.width, height: info.video?.height },
      cores,
      note: 'stage costs are CPU seconds per 10 s of video; realtimeXOnFreeCores = realtimeXPerCore x cores, what the machine gives when nothing else runs',
      stageCpuSecondsPer10s: stages,
      longVideo: await whole([video], duration),
      ...(short.length ? { shortFiles: await whole(short, shortSeconds) } : {}),
      goal: 'whole ingest >= 20x real time on this machine',
    };
  } finally {
    t.cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + '\n');
}
