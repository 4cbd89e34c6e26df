// Chooses the output encoding so a rendered video of a song's length stays under a size cap (Discord's and
// Slack's previews are the reason for the default 10 MB): the byte budget, minus container overhead and
// a safety margin for the encoder's rate-control error, is split between AAC audio and H.264 video, and
// the frame size steps down until the video gets enough bits per pixel to look like something.
import type { Aspect } from './visualize.types.js';
import { UserError } from './errors.js';

export interface EncodingPlan {
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
  audioKbps: number;
  audioChannels: 1 | 2;
  /** AAC below 64 kb/s sounds better at a lower sample rate */
  audioSampleRate: number;
  /** bytes the finished file must not exceed */
  maxBytes: number;
}

export interface EncodingOptions {
  fps?: number;
  /** largest frame height (the short side for 9:16) to consider; smaller renders faster */
  maxHeight?: number;
  /** share of the budget kept in reserve for rate-control overshoot */
  margin?: number;
}

/** Bytes in the "MB" of --max-mb: decimal, the smaller reading, so a "10 MB" limit holds either way. */
export const BYTES_PER_MB = 1_000_000;

const HEIGHTS = [720, 540, 360, 270, 180] as const;
const AUDIO_KBPS = [128, 96, 64, 48, 32] as const;
/** Below this many bits per pixel per frame x264 turns to mush; above the upper one it wastes bytes. */
const MIN_BPP = 0.045;
const MAX_BPP = 0.12;
const MIN_VIDEO_KBPS = 24;
const MIN_AUDIO_KBPS = 32;
const MIN_HEIGHT = 180;

/** Frame size for an aspect at a given short side; dimensions stay even for yuv420p. */
export function frameSize(aspect: Aspect, shortSide: number): { width: number; height: number } {
  const even = (x: number) => 2 * Math.round(x / 2);
  switch (aspect) {
    case '16:9':
      return { width: even((shortSide * 16) / 9), height: shortSide };
    case '9:16':
      return { width: shortSide, height: even((shortSide * 16) / 9) };
    case '1:1':
      return { width: shortSide, height: shortSide };
  }
}

/** Muxing overhead of an mp4 with faststart: sample tables grow with the number of frames and packets. */
export function containerOverheadBytes(durationSec: number, fps: number): number {
  const aacPacketsPerSec = 44100 / 1024;
  return 24_000 + Math.ceil(durationSec * (fps + aacPacketsPerSec) * 12);
}

export function chooseEncoding(durationSec: number, maxMb: number, aspect: Aspect, opts: EncodingOptions = {}): EncodingPlan {
  const { fps = 25, maxHeight = 720, margin = 0.08 } = opts;
  if (!(durationSec > 0) || !Number.isFinite(durationSec)) throw new RangeError(`duration must be positive, got ${durationSec}`);
  if (!(maxMb > 0) || !Number.isFinite(maxMb)) throw new UserError('BAD_INPUT', `--max-mb must be a positive number, got ${maxMb}`);
  const maxBytes = Math.floor(maxMb * BYTES_PER_MB);
  const usable = maxBytes * (1 - margin) - containerOverheadBytes(durationSec, fps);
  const totalKbps = (usable * 8) / durationSec / 1000;
  // Audio gets at most 30% of the budget: the picture needs the bits more than the ear does.
  const audioKbps: number = AUDIO_KBPS.find((k) => k <= totalKbps * 0.3) ?? MIN_AUDIO_KBPS;
  const videoBudget = totalKbps - audioKbps;
  if (videoBudget < MIN_VIDEO_KBPS) {
    const needMb = ((MIN_VIDEO_KBPS + audioKbps) * 1000 * durationSec) / 8 / (1 - margin) / BYTES_PER_MB + containerOverheadBytes(durationSec, fps) / BYTES_PER_MB;
    throw new UserError(
      'TOO_LARGE',
      `--max-mb ${maxMb} is too small for ${Math.round(durationSec)} s of video; allow at least ${Math.ceil(needMb * 10) / 10} MB`,
    );
  }
  const heights: number[] = HEIGHTS.filter((h) => h <= maxHeight);
  if (heights.length === 0) heights.push(MIN_HEIGHT);
  const bpp = (h: number) => {
    const { width, height } = frameSize(aspect, h);
    return (videoBudget * 1000) / (width * height * fps);
  };
  const shortSide = heights.find((h) => bpp(h) >= MIN_BPP) ?? heights[heights.length - 1] ?? MIN_HEIGHT;
  const { width, height } = frameSize(aspect, shortSide);
  const videoKbps = Math.floor(Math.min(videoBudget, (MAX_BPP * width * height * fps) / 1000));
  return { width, height, fps, videoKbps, audioKbps, audioChannels: audioKbps >= 96 ? 2 : 1, audioSampleRate: audioKbps >= 64 ? 44100 : 24000, maxBytes };
}

/** A lower video bitrate after a render came out `actualBytes` against a cap of `maxBytes`. */
export function retryVideoKbps(plan: EncodingPlan, actualBytes: number, durationSec: number): number {
  const audioBytes = (plan.audioKbps * 1000 * durationSec) / 8;
  const videoBytes = Math.max(1, actualBytes - audioBytes - containerOverheadBytes(durationSec, plan.fps));
  const allowed = plan.maxBytes * 0.9 - audioBytes - containerOverheadBytes(durationSec, plan.fps);
  const factor = Math.min(0.9, allowed / videoBytes);
  return Math.max(MIN_VIDEO_KBPS, Math.floor(plan.videoKbps * factor));
}

/** Frame heights tried when the picture is chosen by measurement (media/quality.ts). */
export const QUALITY_HEIGHTS = [720, 630, 576, 540, 504, 468, 432, 396, 360, 324, 288, 270, 234, 180] as const;

/**
 * The same byte budget at other frame sizes, for choosing by a measured metric: every frame size from the
 * smallest that still gets MIN_BPP / 4 bits per pixel up to `maxHeight` and never above `sourceHeight`
 * (the tallest source the montage shows, so nothing is upscaled past its best footage). The bitrate stays
 * the budget's; only the split of bits over pixels changes. Sorted tallest first.
 */
export function encodingLadder(plan: EncodingPlan, aspect: Aspect, opts: { maxHeight?: number; sourceHeight?: number; maxRungs?: number } = {}): EncodingPlan[] {
  const top = Math.min(opts.maxHeight ?? 720, opts.sourceHeight ?? Infinity);
  const rungs = QUALITY_HEIGHTS.filter((h) => h <= top);
  if (rungs.length === 0) rungs.push(Math.max(MIN_HEIGHT, Math.min(plan.height, 2 * Math.floor(top / 2))) as (typeof QUALITY_HEIGHTS)[number]);
  const usable = rungs.filter((h) => {
    const { width, height } = frameSize(aspect, h);
    return (plan.videoKbps * 1000) / (width * height * plan.fps) >= MIN_BPP / 4;
  });
  const all = usable.length ? usable : [rungs[rungs.length - 1]!];
  // Bits enough for the tallest size: there is nothing to trade.
  const tallest = frameSize(aspect, all[0]!);
  const capped = (h: number): EncodingPlan => {
    const size = frameSize(aspect, h);
    return { ...plan, ...size, videoKbps: Math.min(plan.videoKbps, Math.floor((MAX_BPP * size.width * size.height * plan.fps) / 1000)) };
  };
  if ((plan.videoKbps * 1000) / (tallest.width * tallest.height * plan.fps) >= 0.1) return [capped(all[0]!)];
  // Evenly spaced rungs, the tallest and the shortest always among them.
  const k = Math.max(1, Math.min(all.length, opts.maxRungs ?? all.length));
  const picked = k === 1 ? [all[0]!] : [...new Set(Array.from({ length: k }, (_, i) => all[Math.round((i * (all.length - 1)) / (k - 1))]!))];
  return picked.map(capped);
}

/** The tallest short side an output of `aspect` can have from a width x height source without upscaling it. */
export function noUpscaleShortSide(aspect: Aspect, width: number, height: number): number {
  switch (aspect) {
    case '16:9':
      return Math.min(height, (width * 9) / 16);
    case '9:16':
      return Math.min(width, (height * 9) / 16);
    case '1:1':
      return Math.min(width, height);
  }
}
