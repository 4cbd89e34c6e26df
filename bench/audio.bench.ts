// Audio throughput: seconds of audio processed per wall-clock second (one core, this process), median
// over repeated runs on 60 s of the synthetic music-like loop; plus rhythm analysis of a 15-minute song.
// Run alone: node --import tsx bench/audio.bench.ts
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { audioExtractor } from '../src/features/audio/index.js';
import { analyzeRhythm } from '../src/features/audio/rhythm.js';
import { musicLike } from '../src/features/audio/synth.js';
import { AUDIO_SAMPLE_RATE } from '../src/core/types.js';

const median = (x: number[]): number => {
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Timing {
  wall: number[];
  cpu: number[];
}

/** Wall and CPU seconds per run. CPU time is reported too because the 2-core box is shared. */
function timeRuns(runs: number, fn: () => void): Timing {
  fn(); // warm-up: JIT and the cached filterbanks
  const t: Timing = { wall: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    t.wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    t.cpu.push((c.user + c.system) / 1e6);
  }
  return t;
}

export async function run(): Promise<Record<string, unknown>> {
  const sr = AUDIO_SAMPLE_RATE;
  const seconds = 60;
  const pcm = musicLike(seconds, sr);
  const runs = 7;
  const extractWall = timeRuns(runs, () => void audioExtractor.extract(pcm, sr));
  const rhythmWall = timeRuns(runs, () => void analyzeRhythm(pcm, sr));
  // a 15-minute song: built by tiling the minute, which costs the analysis the same as fresh audio
  const longSeconds = 900;
  const long = new Float32Array(longSeconds * sr);
  for (let o = 0; o < long.length; o += pcm.length) long.set(pcm.subarray(0, Math.min(pcm.length, long.length - o)), o);
  const longWall = timeRuns(3, () => void analyzeRhythm(long, sr));
  return {
    audioSeconds: seconds,
    runs,
    audioExtractRealtimeX: seconds / median(extractWall.wall),
    audioExtractMedianMs: median(extractWall.wall) * 1000,
    audioExtractCpuRealtimeX: seconds / median(extractWall.cpu),
    rhythmRealtimeX: seconds / median(rhythmWall.wall),
    rhythmMedianMs: median(rhythmWall.wall) * 1000,
    rhythmCpuRealtimeX: seconds / median(rhythmWall.cpu),
    rhythm15minMedianMs: median(longWall.wall) * 1000,
    rhythm15minRealtimeX: longSeconds / median(longWall.wall),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
