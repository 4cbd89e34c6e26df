// Worker-thread entry: computes one clip's audio and raw visual descriptors. Runs CNN inference and DSP
// off the main thread; one clip at a time per worker.
import { parentPort } from 'node:worker_threads';
import { audioExtractor } from '../features/audio/index.js';
import { extractRawVisual } from '../features/visual/extract.js';

export interface ExtractTask {
  clipPath: string;
  seconds: number;
  /** 16 kHz mono PCM of the clip, or null when the video has no audio */
  pcm: Float32Array | null;
  sampleRate: number;
}
export interface ExtractResult {
  audio: Float32Array | null;
  cnn: Float32Array;
  cues: Float32Array;
}

parentPort?.on('message', (task: ExtractTask) => {
  void (async () => {
    try {
      const visual = await extractRawVisual(task.clipPath, task.seconds);
      const audio = task.pcm ? audioExtractor.extract(task.pcm, task.sampleRate) : null;
      const value: ExtractResult = { audio, cnn: visual.cnn, cues: visual.cues };
      const transfer = [...new Set([visual.cnn.buffer, visual.cues.buffer, ...(audio ? [audio.buffer] : [])])] as ArrayBuffer[];
      parentPort?.postMessage({ ok: true, value }, transfer);
    } catch (err) {
      parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
