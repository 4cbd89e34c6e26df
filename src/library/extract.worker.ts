// Worker-thread entry: computes one clip's audio and raw visual descriptors from frames and PCM that the
// main thread decoded. Runs CNN inference and DSP off the main thread; one clip at a time per worker.
import { parentPort } from 'node:worker_threads';
import { audioExtractor } from '../features/audio/index.js';
import { rawVisualFromFrames } from '../features/visual/extract.js';
import type { FrameBatch } from '../features/types.js';
import type { CnnName } from '../features/visual/cnn-spec.js';
import type { Engine } from '../onnx/runtime.js';

export interface ExtractTask {
  /** the clip's frames at VISUAL_FPS, square CNN size */
  frames: FrameBatch;
  seconds: number;
  /** 16 kHz mono PCM of the clip, or null when the video has no audio */
  pcm: Float32Array | null;
  sampleRate: number;
  /** the frame CNN and what runs it, decided once by the main thread */
  cnn?: CnnName;
  engine?: Engine;
}
export interface ExtractResult {
  audio: Float32Array | null;
  cnn: Float32Array;
  cues: Float32Array;
}

parentPort?.on('message', (task: ExtractTask) => {
  void (async () => {
    try {
      const visual = await rawVisualFromFrames(task.frames, task.seconds, { ...(task.cnn ? { cnn: task.cnn } : {}), ...(task.engine ? { engine: task.engine } : {}) });
      const audio = task.pcm && task.pcm.length > 0 ? audioExtractor.extract(task.pcm, task.sampleRate) : null;
      const value: ExtractResult = { audio, cnn: visual.cnn, cues: visual.cues };
      const transfer = [...new Set([visual.cnn.buffer, visual.cues.buffer, ...(audio ? [audio.buffer] : [])])] as ArrayBuffer[];
      parentPort?.postMessage({ ok: true, value }, transfer);
    } catch (err) {
      parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
