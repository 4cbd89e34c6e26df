// Visual extraction speed on one core: frame decoding, the CNN per frame on both runtimes side by side
// (onnxruntime with one intra-op thread, tfjs wasm; batch sizes; the plain Keras graph; InceptionV3 too),
// the cues, the whole extractRawVisual on 10-s clips per runtime, and the library PCA. Medians of wall time, with CPU time beside them because the 2-core box is shared
// (ffmpeg's CPU is read from /proc as this process's reaped children).
// Run alone: node --import tsx bench/visual.bench.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeFrames, sliceFrames } from '../src/media/frames.js';
import { initBackend, tf } from '../src/model/backend.js';
import { CNN_DIM, embedFrames, loadCnn } from '../src/features/visual/cnn.js';
import { embedFramesOnnx, loadOnnxCnn } from '../src/features/visual/cnn-onnx.js';
import { providerInUse, resolveEngine, type Engine } from '../src/onnx/runtime.js';
import type { KerasModelJson } from '../src/features/visual/cnn-plan.js';
import { computeCues } from '../src/features/visual/cues.js';
import { VISUAL_FPS, extractRawVisual, rawVisualFromFrames } from '../src/features/visual/extract.js';
import { fitPca, projectPca } from '../src/features/visual/pca.js';

const CLIP_SECONDS = 10;
/** Library clips as src/media/split.ts writes them: at most 720p/30 fps, x264 veryfast crf 23. */
const SPLIT_ARGS = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-an'];
const OPENBOARD = ['/work/media/footage/openboard-wannaworktogether.mp4', '/usr/share/openboard/library/videos/wannaworktogether.mp4'];

const median = (x: number[]): number => {
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** CPU seconds of reaped child processes (ffmpeg), from /proc/self/stat cutime + cstime. */
function childCpu(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

interface Timed {
  wall: number;
  cpu: number;
  childCpu: number;
}

async function timeRuns(runs: number, fn: () => Promise<unknown>): Promise<Timed> {
  await fn(); // warm-up: model load, JIT, ffmpeg page cache
  const wall: number[] = [], cpu: number[] = [], child: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage(), k0 = childCpu(), t0 = performance.now();
    await fn();
    wall.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    child.push(childCpu() - k0);
  }
  return { wall: median(wall), cpu: median(cpu), childCpu: median(child) };
}

function makeClip(dir: string, name: string, input: string[]): string {
  const path = join(dir, name);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...input, '-t', String(CLIP_SECONDS), '-vf', "scale='min(1280,iw)':'min(720,ih)':force_original_aspect_ratio=decrease,setsar=1", '-fpsmax', '30', ...SPLIT_ARGS, path]);
  return path;
}

/** The unfused reference: the same network as a tf.LayersModel truncated at out_relu. */
async function kerasReference(size: number): Promise<tf.LayersModel> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  const json = require(join(dir, 'model.min.js')) as KerasModelJson;
  const b64 = require(join(dir, 'group1-shard1of1.min.js')) as string;
  const topo = structuredClone(json.modelTopology) as unknown as { model_config: { config: { layers: Array<{ name?: string; config: Record<string, unknown> }>; output_layers: unknown } } };
  const cfg = topo.model_config.config;
  cfg.layers = cfg.layers.slice(0, cfg.layers.findIndex((l) => l.config.name === 'out_relu') + 1);
  cfg.layers[0]!.config.batch_input_shape = [null, size, size, 3];
  cfg.output_layers = [['out_relu', 0, 0]];
  const bytes = Buffer.from(b64, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const handler = tf.io.fromMemory({ modelTopology: topo, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData });
  return tf.loadLayersModel(handler, { strict: false });
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-visual-bench-'));
  try {
    const clips: Record<string, string> = {
      'testsrc2-720p30': makeClip(dir, 'testsrc2.mp4', ['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30']),
    };
    const source = OPENBOARD.find(existsSync);
    if (source) for (const start of [20, 80, 140]) clips[`openboard-480x352-at${start}s`] = makeClip(dir, `ob${start}.mp4`, ['-ss', String(start), '-i', source]);
    const main = clips['testsrc2-720p30']!;

    // Decode only.
    const decode: Record<string, unknown> = {};
    for (const skipNonRef of [false, true]) {
      const t = await timeRuns(5, () => decodeFrames(main, { fps: VISUAL_FPS, width: 224, height: 224, duration: CLIP_SECONDS, threads: 1, skipNonRef }));
      const frames = VISUAL_FPS * CLIP_SECONDS;
      decode[skipNonRef ? 'skipNonRef' : 'allFrames'] = { msPer10sClip: Math.round(t.wall * 1000), framesPerSecond: r2(frames / t.wall), ffmpegCpuSeconds: r2(t.childCpu) };
    }

    // CNN per frame.
    const frames = await decodeFrames(main, { fps: VISUAL_FPS, width: 224, height: 224, duration: CLIP_SECONDS });
    const cnn: Record<string, unknown> = {};
    const model = await loadCnn(224);
    const engine = await resolveEngine();
    const onnxModel = engine === 'onnx' ? await loadOnnxCnn('mobilenet-v2', 224, { threads: 1 }) : undefined;
    for (const batch of [1, 10, 20]) {
      const t = await timeRuns(3, () => embedFrames(model, frames.rgb, frames.count, batch));
      const row: Record<string, unknown> = { tfjs: { msPerFrame: r2((t.wall * 1000) / frames.count), cpuMsPerFrame: r2((t.cpu * 1000) / frames.count) } };
      if (onnxModel) {
        const o = await timeRuns(3, () => embedFramesOnnx(onnxModel, frames.rgb, frames.count, batch));
        row.onnx = { msPerFrame: r2((o.wall * 1000) / frames.count), cpuMsPerFrame: r2((o.cpu * 1000) / frames.count) };
        row.speedupByCpu = r2(t.cpu / o.cpu);
      }
      cnn[`mobilenetv2_224_batch${batch}`] = row;
    }
    // InceptionV3 at 299 on a handful of frames (tfjs wasm needs ~1 s of a core per frame).
    {
      const big = await decodeFrames(main, { fps: VISUAL_FPS, width: 299, height: 299, duration: 2 });
      const inc = await loadCnn(299, 'inception-v3');
      const t = await timeRuns(1, () => embedFrames(inc, big.rgb, big.count, big.count));
      const row: Record<string, unknown> = { frames: big.count, tfjs: { msPerFrame: r2((t.wall * 1000) / big.count), cpuMsPerFrame: r2((t.cpu * 1000) / big.count) } };
      if (engine === 'onnx') {
        const om = await loadOnnxCnn('inception-v3', 299, { threads: 1 });
        const o = await timeRuns(3, () => embedFramesOnnx(om, big.rgb, big.count, big.count));
        row.onnx = { msPerFrame: r2((o.wall * 1000) / big.count), cpuMsPerFrame: r2((o.cpu * 1000) / big.count) };
        row.speedupByCpu = r2(t.cpu / o.cpu);
      }
      cnn.inceptionv3_299 = row;
    }
    const keras = await kerasReference(224);
    const input = tf.tensor4d(Float32Array.from(frames.rgb.subarray(0, 10 * 224 * 224 * 3)), [10, 224, 224, 3]);
    const tk = await timeRuns(3, async () => {
      const y = tf.tidy(() => (keras.predict(input.div(255)) as tf.Tensor).mean([1, 2]));
      await y.data();
      y.dispose();
    });
    cnn.kerasLayersModel224_batch10 = { msPerFrame: r2((tk.wall * 1000) / 10), cpuMsPerFrame: r2((tk.cpu * 1000) / 10) };
    input.dispose();
    keras.dispose();

    // Cues on the same 20 frames.
    const tc = await timeRuns(5, () => Promise.resolve(computeCues(frames, CLIP_SECONDS)));
    const cues = { msPer10sClip: r2(tc.wall * 1000) };

    // The whole per-clip extraction, as ingest calls it, on each runtime.
    const extract: Record<string, unknown> = {};
    const engines: Engine[] = engine === 'onnx' ? ['tfjs', 'onnx'] : ['tfjs'];
    for (const [name, path] of Object.entries(clips)) {
      const row: Record<string, unknown> = {};
      for (const e of engines) {
        const t = await timeRuns(3, () => extractRawVisual(path, CLIP_SECONDS, { engine: e }));
        row[e] = {
          secondsPerClip: r2(t.wall),
          realtimeFactor: r2(CLIP_SECONDS / t.wall),
          nodeCpuSeconds: r2(t.cpu),
          ffmpegCpuSeconds: r2(t.childCpu),
          realtimeFactorPerCore: r2(CLIP_SECONDS / (t.cpu + t.childCpu)),
        };
      }
      extract[name] = row;
    }

    // One decode per source video feeding every clip (rawVisualFromFrames on slices), as an
    // alternative to one ffmpeg run per clip file.
    let perVideo: Record<string, unknown> | undefined;
    if (source) {
      const c0 = process.cpuUsage(), k0 = childCpu(), t0 = performance.now();
      const all = await decodeFrames(source, { fps: VISUAL_FPS, width: 224, height: 224, threads: 1, skipNonRef: true });
      const decodeWall = (performance.now() - t0) / 1000;
      const videoSeconds = Math.floor(all.count / VISUAL_FPS);
      for (let start = 0; start + CLIP_SECONDS <= videoSeconds; start += CLIP_SECONDS) {
        await rawVisualFromFrames(sliceFrames(all, start, CLIP_SECONDS), CLIP_SECONDS);
      }
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1e6 + childCpu() - k0;
      const covered = Math.floor(videoSeconds / CLIP_SECONDS) * CLIP_SECONDS;
      perVideo = { videoSeconds, decodeSeconds: r2(decodeWall), totalSeconds: r2(wall), realtimeFactor: r2(covered / wall), realtimeFactorByCpu: r2(covered / cpu) };
    }

    // Library PCA on synthetic rows (a 1000-clip library has 10k rows).
    const n = 2000;
    const rows = new Float32Array(n * CNN_DIM);
    let s = 1;
    for (let i = 0; i < rows.length; i++) rows[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296) * (1 + (i % CNN_DIM) / 64);
    const tp = await timeRuns(1, () => Promise.resolve(fitPca(rows, n, CNN_DIM, 120)));
    const pca = fitPca(rows, n, CNN_DIM, 120);
    const tj = await timeRuns(3, () => Promise.resolve(projectPca(pca, rows, 100)));
    const pcaResult = { fitRows: n, fitSeconds: r2(tp.wall), fitCpuSeconds: r2(tp.cpu), projectMsPerRow: r2((tj.wall * 1000) / 100) };

    return {
      backend,
      wasmSimd: simd,
      onnxruntime: engine === 'onnx' ? { provider: await providerInUse(), intraOpThreads: 1 } : 'unavailable',
      loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
      note: 'one core per clip (ffmpeg -threads 1, single-threaded wasm, one onnxruntime thread); 224x224 (Inception 299x299) centre crop, 2 fps; per core = CPU seconds, so a loaded machine does not skew it',
      clips: Object.keys(clips),
      decode,
      cnn,
      cues,
      extract,
      ...(perVideo ? { perVideoDecodeOpenboard: perVideo } : {}),
      pca: pcaResult,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + '\n');
}
