// Which frames are not footage worth showing: black, blank (one flat colour), frozen, fades to or from
// black, and text-heavy frames (title cards, credits, logo screens). Cheap rules over the per-frame table
// of shots.ts; each frame gets at most one flag, the first that applies in FLAG_ORDER, so the seconds
// each flag removes add up. The flag names are core/footage.ts's FOOTAGE_FLAGS.
import type { FlaggedSpan, FootageFlag } from '../../core/footage.js';
import { VISIBLE_SCENE as VISIBLE, type FrameTable } from './shots.js';


export interface UsableOptions {
  /** share of black pixels for a black frame (blackdetect's picture threshold) */
  blackShare?: number;
  /** share of the frame in the dominant colour for a blank frame */
  blankFlat?: number;
  /** mean absolute frame difference (0..255) below which a frame repeats the previous one */
  frozenMafd?: number;
  /** seconds a picture must stand still to count as frozen */
  frozenSeconds?: number;
  /** seconds text must stay on screen to count as a card (a sign in a moving shot flickers in and out) */
  textSeconds?: number;
  /** luma change (0..255) a fade must cover */
  fadeDepth?: number;
}

/** Smallest luma step per frame (0..255) that continues a fade; a still picture does not. */
const RAMP_STEP = 0.25;

/** Luma standard deviation (0..255) under which a flat frame has no visible texture. */
const BLANK_STD = 5;

const DEFAULTS: Required<UsableOptions> = {
  blackShare: 0.98,
  blankFlat: 0.97,
  frozenMafd: 0.15,
  frozenSeconds: 1.5,
  textSeconds: 0.6,
  fadeDepth: 24,
};

/**
 * A text-like frame: a flat background filling much of the picture, sharp edges on it, little else than
 * edges where it is not background (strokes of letters, not the textured inside of an object), and those
 * edges in lines and columns with gaps between them rather than spread over the whole frame like texture.
 */
export function isTextLike(t: FrameTable, i: number): boolean {
  const flat = t.flat[i]!;
  const edges = t.edges[i]!;
  if (!(flat >= 0.45 && edges >= 0.006 && edges <= 0.25)) return false;
  const ratio = t.edgeRatio[i]!;
  const spread = t.edgeSpread[i]!;
  // Large text on a plain card; or small lines of credits on a textured but almost uniform background.
  return (ratio >= 0.3 && spread <= 0.6) || (flat >= 0.8 && ratio >= 0.08 && spread <= 0.12 && t.lineShare[i]! >= 0.6);
}

/** Frame index runs [a, b) where `pred` holds, closing gaps of up to `gap` frames. */
function runs(n: number, pred: (i: number) => boolean, gap = 0): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = -1;
  let lastTrue = -1;
  for (let i = 0; i < n; i++) {
    if (pred(i)) {
      if (start < 0) start = i;
      else if (i - lastTrue - 1 > gap) {
        out.push([start, lastTrue + 1]);
        start = i;
      }
      lastTrue = i;
    }
  }
  if (start >= 0) out.push([start, lastTrue + 1]);
  return out;
}

/** Per-frame flag (or null) for a scanned table. */
export function frameFlags(t: FrameTable, opts: UsableOptions = {}): Array<FootageFlag | null> {
  const o = { ...DEFAULTS, ...opts };
  const n = t.count;
  const flags: Array<FootageFlag | null> = new Array<FootageFlag | null>(n).fill(null);
  const set = (a: number, b: number, f: FootageFlag) => {
    for (let i = Math.max(0, a); i < Math.min(n, b); i++) flags[i] ??= f;
  };
  const black = (i: number) => t.dark[i]! >= o.blackShare;
  for (const [a, b] of runs(n, black)) set(a, b, 'black');
  // Text: a run of text-like frames lasting textSeconds, with one-frame dropouts closed. Before blank:
  // a card of a few words on a plain background is almost all background.
  const minText = Math.round(o.textSeconds * t.fps);
  for (const [a, b] of runs(n, (i) => isTextLike(t, i), 2)) if (b - a >= minText) set(a, b, 'text');
  // Blank: one flat colour with no texture (a dark but detailed scene is flat in colour, not in luma).
  const minBlank = Math.max(1, Math.round(0.2 * t.fps));
  for (const [a, b] of runs(n, (i) => !black(i) && t.flat[i]! >= o.blankFlat && t.lumaStd[i]! < BLANK_STD)) if (b - a >= minBlank) set(a, b, 'blank');
  // Fades: a steady luma ramp into a black run or out of one.
  const minRamp = Math.max(3, Math.round(0.2 * t.fps));
  for (const [a, b] of runs(n, black)) {
    // Fade out: walk back from the black run while each earlier frame is brighter (a steady ramp).
    let i = a - 1;
    while (i > 0 && t.luma[i - 1]! - t.luma[i]! > RAMP_STEP && t.scene[i]! < VISIBLE) i--;
    if (a >= 1 && a - i >= minRamp && t.luma[i]! - t.luma[a - 1]! >= o.fadeDepth) set(i, a, 'fade');
    // Fade in: walk forward from it while each later frame is brighter.
    let j = b;
    while (j + 1 < n && t.luma[j + 1]! - t.luma[j]! > RAMP_STEP && t.scene[j + 1]! < VISIBLE) j++;
    if (b < n && j + 1 - b >= minRamp && t.luma[j]! - t.luma[b]! >= o.fadeDepth) set(b, j + 1, 'fade');
  }
  // Frozen: the picture does not change for frozenSeconds (the first frame of the run is still live).
  const minFrozen = Math.round(o.frozenSeconds * t.fps);
  for (const [a, b] of runs(n, (i) => i > 0 && t.mafd[i]! < o.frozenMafd)) if (b - a >= minFrozen) set(a - 1, b, 'frozen');
  return flags;
}

/** The flagged frames as time spans (merged runs of one flag). */
export function flaggedSpans(t: FrameTable, opts: UsableOptions = {}): FlaggedSpan[] {
  const flags = frameFlags(t, opts);
  const out: FlaggedSpan[] = [];
  for (let i = 0; i < flags.length; ) {
    const f = flags[i];
    let j = i + 1;
    while (j < flags.length && flags[j] === f) j++;
    if (f) out.push({ flag: f, start: i / t.fps, end: j / t.fps });
    i = j;
  }
  return out;
}
