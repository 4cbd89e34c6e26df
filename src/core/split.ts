// Train/test splits of a clip list, deterministic for a seed. "clip": 80:20 over clips, as in the
// reference protocol (clips of one video land on both sides). "video": whole videos go to one side, so
// no clip of a test video is seen in training - the honest measure for new footage.
import { createRng, shuffle } from './random.js';

export type SplitMode = 'clip' | 'video';
export const SPLIT_MODES: readonly SplitMode[] = ['clip', 'video'];

export interface Split {
  mode: SplitMode;
  seed: number;
  /** indices into the clip list, ascending */
  train: number[];
  test: number[];
}

export interface SplitOptions {
  mode: SplitMode;
  seed: number;
  /** share of clips (or videos) held out; 0.2 by default */
  testFraction?: number;
}

/** Splits `clips` (only videoId is read). Both sides are non-empty whenever there are >= 2 units. */
export function splitClips(clips: readonly { videoId: string }[], opts: SplitOptions): Split {
  const frac = opts.testFraction ?? 0.2;
  if (!(frac > 0 && frac < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${frac}`);
  const rng = createRng(opts.seed);
  const train: number[] = [];
  const test: number[] = [];
  switch (opts.mode) {
    case 'clip': {
      const order = shuffle(clips.map((_, i) => i), rng);
      const nTest = holdOut(order.length, frac);
      order.forEach((clip, pos) => (pos < nTest ? test : train).push(clip));
      break;
    }
    case 'video': {
      // Sort the ids first so the split does not depend on the order clips were listed in.
      const videos = shuffle([...new Set(clips.map((c) => c.videoId))].sort(), rng);
      const nTest = holdOut(videos.length, frac);
      const testVideos = new Set(videos.slice(0, nTest));
      clips.forEach((c, i) => (testVideos.has(c.videoId) ? test : train).push(i));
      break;
    }
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  return { mode: opts.mode, seed: opts.seed, train, test };
}

function holdOut(units: number, frac: number): number {
  if (units < 2) return 0;
  return Math.min(units - 1, Math.max(1, Math.round(units * frac)));
}
