// Ingest throughput: seconds of video per wall second for splitting, for each extractor, and for the whole
// ingest (both cores), on a real video when present (openboard-common's wannaworktogether.mp4, or
// --video=<path>), else on a generated one.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIO_SAMPLE_RATE } from '../src/core/types.js';
import { clipWindows } from '../src/core/windows.js';
import { probe } from '../src/media/ffmpeg.js';
import { decodeTrack, splitVideo } from '../src/media/split.js';
import { audioExtractor } from '../src/features/audio/index.js';
import { extractRawVisual } from '../src/features/visual/extract.js';
import { ingest } from '../src/library/ingest.js';
import { makeSynthVideo } from '../src/demo/synth.js';
import { tempDir } from '../tests/helpers/media.js';

const CANDIDATES = ['/usr/share/openboard/library/videos/wannaworktogether.mp4', '/tmp/media/ob/usr/share/openboard/library/videos/wannaworktogether.mp4'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await fn();
  return [r, (performance.now() - t0) / 1000];
}

export async function run(): Promise<Record<string, unknown>> {
  const arg = process.argv.find((a) => a.startsWith('--video='))?.slice('--video='.length);
  const t = tempDir('clipmatch-bench-ingest-');
  try {
    let video = arg ?? CANDIDATES.find((p) => existsSync(p));
    let kind = video ? 'real' : 'generated';
    if (!video) {
      video = join(t.dir, 'generated.mp4');
      await makeSynthVideo(video, { source: 'mandelbrot', seconds: 60, seed: 1, size: '480x352', rate: 30 });
      kind = 'generated (mandelbrot 480x352, 30 fps, 60 s)';
    }
    const info = await probe(video);
    const duration = info.duration;
    const windows = clipWindows(duration, 10);

    const splitDir = join(t.dir, 'split');
    await mkdir(splitDir);
    const [clips, splitSec] = await timed(() => splitVideo(video, splitDir, { clipSeconds: 10, windows, hasAudio: !!info.audio, stem: (i) => `c${i}` }));
    const [track, decodeSec] = await timed(() => decodeTrack(video, AUDIO_SAMPLE_RATE));
    const audioRuns: number[] = [];
    for (let r = 0; r < 3; r++) audioRuns.push((await timed(async () => audioExtractor.extract(track, AUDIO_SAMPLE_RATE)))[1]);
    // Visual on one core: three clips, median per clip.
    const visRuns: number[] = [];
    for (const c of clips.slice(0, 3)) visRuns.push((await timed(() => extractRawVisual(c, 10)))[1]);

    const [summary, ingestSec] = await timed(() => ingest({ libraryDir: join(t.dir, 'lib'), inputs: [video], threads: 0 }));
    return {
      video: { kind, path: video, seconds: round(duration), width: info.video?.width, height: info.video?.height },
      splitRealtimeX: round(duration / splitSec),
      audioDecodeRealtimeX: round(duration / decodeSec),
      audioFeaturesRealtimeX: round(duration / median(audioRuns)),
      visualFeaturesOneCoreRealtimeX: round(10 / median(visRuns)),
      visualSecondsPerClipOneCore: round(median(visRuns), 2),
      ingestRealtimeX: round(summary.secondsAdded / ingestSec),
      ingestWallSeconds: round(ingestSec),
      ingestClips: summary.clipsAdded,
      goal: 'whole ingest >= 10x real time',
    };
  } finally {
    t.cleanup();
  }
}
