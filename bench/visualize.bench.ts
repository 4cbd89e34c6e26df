// Visualize at library scale: a generated 3-minute song against 10,000 clips. Embeddings are synthetic
// (a fixed random projection of the song's real audio features; random unit vectors for the clips, 128-d
// like the siamese model) and searched by the real vector index; rendering uses real 720p30 H.264 clip
// files, a handful reused across the 10,000 entries. Reports wall time per stage from the service's own
// progress events, CPU seconds (this process and its ffmpeg children, from /proc), the load average
// (the machine may be shared), and the plan's objective against the greedy baseline's.
// One run by default (a run takes most of a minute); --runs=3 gives medians.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { greedyPlan } from '../src/core/plan.js';
import type { ClipRecord } from '../src/core/types.js';
import { createIndex } from '../src/index/vector-index.js';
import type { LibraryContext } from '../src/services/match.service.js';
import { loadSong } from '../src/services/song.js';
import { planSong, visualize } from '../src/services/visualize.service.js';
import { tempDir } from '../tests/helpers/media.js';
import { mulberry32 as rng } from '../src/core/random.js';

const CLIPS = 10_000;
const CLIPS_PER_VIDEO = 20;
const DIM = 128;
const REAL_FILES = 8;
const SONG_SECONDS = 180;
const STAGES = ['decode', 'analyse', 'embed', 'search', 'plan', 'match', 'encode-quality', 'render'] as const;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;


const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const s = n > 0 ? 1 / Math.sqrt(n) : 0;
  return v.map((x) => x * s);
}

/** CPU seconds of this process and of its finished children (ffmpeg), from /proc/self/stat. */
function cpuSeconds(): { self: number; children: number } {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // Fields 14-17 of stat(5) (utime, stime, cutime, cstime) are 11-14 here, after pid and comm; 100 Hz ticks.
  return { self: (f[11]! + f[12]!) / 100, children: (f[13]! + f[14]!) / 100 };
}

function makeClipFiles(dir: string): string[] {
  const sources = ['testsrc2', 'smptehdbars', 'rgbtestsrc', 'testsrc'];
  return Array.from({ length: REAL_FILES }, (_, i) => {
    const path = join(dir, `clip-${i}.mp4`);
    // As ingest stores them: at most 720p30, H.264, one key frame per clip.
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `${sources[i % sources.length]}=size=1280x720:rate=30`,
      '-f', 'lavfi', '-i', `sine=frequency=${300 + 40 * i}:sample_rate=44100`, '-t', '10', '-vf', `hue=h=${i * 45}`,
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', '300', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-movflags', '+faststart', path]);
    return `clip-${i}.mp4`;
  });
}

function makeSong(path: string): void {
  // 120 bpm kick, a hi-hat that doubles in the busy middle minute, and a bass line changing every bar.
  const expr =
    "0.5*sin(2*PI*60*t)*exp(-12*mod(t,0.5))" +
    "+0.25*sin(2*PI*(110+55*mod(floor(t/2),4))*t)" +
    "+0.15*sin(2*PI*6000*t+sin(2*PI*7919*t))*exp(-40*mod(t,if(between(t,60,120),0.125,0.25)))";
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc='${expr}':s=44100:d=${SONG_SECONDS}`, '-c:a', 'libmp3lame', '-b:a', '192k', path]);
}

function syntheticLibrary(root: string, files: string[]): LibraryContext {
  const r = rng(42);
  const proj = Float32Array.from({ length: DIM * 1280 }, () => gauss(r) / Math.sqrt(1280));
  const index = createIndex(DIM, CLIPS);
  const vecs = new Float32Array(CLIPS * DIM);
  for (let c = 0; c < CLIPS; c++) vecs.set(unit(Float32Array.from({ length: DIM }, () => gauss(r))), c * DIM);
  index.add(vecs, CLIPS);
  const clips: ClipRecord[] = Array.from({ length: CLIPS }, (_, c) => {
    const v = Math.floor(c / CLIPS_PER_VIDEO);
    const i = c % CLIPS_PER_VIDEO;
    const file = files[c % files.length]!;
    return { clipId: `v${v}-${i}`, videoId: `v${v}`, index: i, start: i * 10, duration: 10, hasAudio: true, videoPath: file, audioPath: file };
  });
  const rowOf = new Map(clips.map((c, row) => [c.clipId, row]));
  const hits = (res: { indices: Int32Array; distances: Float32Array }) => Array.from(res.indices, (row, i) => ({ clipId: clips[row]!.clipId, distance: res.distances[i]! }));
  return {
    root,
    embedder: {
      dim: DIM,
      embedAudio: (feats, n) => {
        const out = new Float32Array(n * DIM);
        for (let k = 0; k < n; k++) {
          const x = feats.subarray(k * 1280, (k + 1) * 1280);
          const y = new Float32Array(DIM);
          for (let d = 0; d < DIM; d++) {
            let s = 0;
            for (let j = 0; j < 1280; j++) s += proj[d * 1280 + j]! * x[j]!;
            y[d] = s;
          }
          out.set(unit(y), k * DIM);
        }
        return out;
      },
    },
    index: {
      size: CLIPS,
      nearest: (q, k) => hits(index.search(q, k)),
      farthest: (q, k) => hits(index.farthest(q, k)),
      embeddingOf: (id) => {
        const row = rowOf.get(id);
        return row === undefined ? undefined : index.vector(row);
      },
    },
    clip: (id) => {
      const row = rowOf.get(id);
      return row === undefined ? undefined : clips[row];
    },
    videoTitle: (v) => `video ${v}`,
    close: () => undefined,
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const runs = Math.max(1, Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 1));
  const t = tempDir('clipmatch-bench-visualize-');
  try {
    const root = join(t.dir, 'lib');
    await mkdir(root);
    const songPath = join(t.dir, 'song.mp3');
    makeSong(songPath);
    const lib = syntheticLibrary(root, makeClipFiles(root));

    const totals: number[] = [];
    const perStage: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
    const cpu: Array<{ self: number; children: number }> = [];
    let last: Awaited<ReturnType<typeof visualize>> | undefined;
    const load: number[] = [];
    for (let i = 0; i < runs; i++) {
      const first = new Map<string, number>();
      const lastAt = new Map<string, number>();
      const c0 = cpuSeconds();
      load.push(loadavg()[0]!);
      const t0 = performance.now();
      last = await visualize({ audioPath: songPath, libraryDir: root, outPath: join(t.dir, `out-${i}.mp4`), library: lib }, (stage) => {
        const now = performance.now();
        if (!first.has(stage)) first.set(stage, now);
        lastAt.set(stage, now);
      });
      totals.push((performance.now() - t0) / 1000);
      const c1 = cpuSeconds();
      cpu.push({ self: c1.self - c0.self, children: c1.children - c0.children });
      for (const s of STAGES) perStage[s]!.push(((lastAt.get(s) ?? 0) - (first.get(s) ?? 0)) / 1000);
    }
    // The plan's quality against the greedy baseline, on the same candidates.
    const song = await loadSong(songPath);
    const planned = await planSong(song, lib, {});
    const greedy = greedyPlan(planned.input, {});
    const lens = planned.segments.map((s) => s.end - s.start);
    const res = last!;
    return {
      runs,
      note: runs === 1 ? 'one run; pass --runs=3 for medians' : `median of ${runs} runs`,
      song: { seconds: SONG_SECONDS, format: 'mp3 192k, generated' },
      library: { clips: CLIPS, videos: CLIPS / CLIPS_PER_VIDEO, dim: DIM, realClipFiles: REAL_FILES, clipFormat: '1280x720 30 fps H.264, 10 s' },
      totalSeconds: round(median(totals)),
      goalSeconds: 60,
      stagesSeconds: Object.fromEntries(STAGES.map((s) => [s, round(median(perStage[s]!))])),
      cpuSeconds: { node: round(median(cpu.map((c) => c.self))), ffmpeg: round(median(cpu.map((c) => c.children))) },
      loadAverage1m: round(median(load)),
      output: { sizeBytes: res.sizeBytes, durationSeconds: res.duration, segments: res.plan.length },
      plan: {
        segments: planned.segments.length,
        segmentSeconds: {
          min: round(Math.min(...lens)),
          mean: round(mean(lens)),
          max: round(Math.max(...lens)),
          // the song's middle minute has twice the hi-hats: its segments should be shorter
          busyMiddleMean: round(mean(planned.segments.filter((x) => x.start >= 60 && x.end <= 120).map((x) => x.end - x.start))),
          calmMean: round(mean(planned.segments.filter((x) => x.end <= 60 || x.start >= 120).map((x) => x.end - x.start))),
        },
        window: planned.output.window,
        videoCap: planned.output.videoCap,
        capRelaxed: planned.output.capRelaxed,
        objective: round(planned.output.objective, 3),
        greedyObjective: round(greedy.objective, 3),
      },
    };
  } finally {
    t.cleanup();
  }
}
