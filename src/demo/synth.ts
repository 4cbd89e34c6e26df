// Generated footage whose sound and picture share a hidden cause, for the demo and for tests that must
// show a model learns something real: per block of a few seconds, a random pitch drives the hue, a random
// loudness drives the brightness and a random beat rate drives flashes (and the sound's pulses).
import { ffmpeg } from '../media/ffmpeg.js';
import { createRng } from '../core/random.js';

/** Visually distinct lavfi sources; each takes size, rate and duration options. */
export const SYNTH_SOURCES = ['mandelbrot', 'life', 'cellauto', 'gradients', 'sierpinski', 'testsrc2', 'smptehdbars', 'testsrc'] as const;
export type SynthSource = (typeof SYNTH_SOURCES)[number];

export interface SynthOptions {
  source: SynthSource;
  seconds: number;
  seed: number;
  /** seconds per block of constant hidden cause */
  block?: number;
  size?: string;
  rate?: number;
  timeoutMs?: number;
}

export interface HiddenBlock {
  start: number;
  /** Hz */
  pitch: number;
  /** 0..1 */
  loudness: number;
  /** beats per second */
  beatRate: number;
}

/** The hidden causes of a synthetic video, block by block. Deterministic for a seed. */
export function hiddenBlocks(seconds: number, seed: number, block = 5): HiddenBlock[] {
  const rng = createRng(seed);
  const out: HiddenBlock[] = [];
  for (let start = 0; start < seconds; start += block) {
    out.push({
      start,
      pitch: 110 * 2 ** (rng.next() * 3), // 110..880 Hz
      loudness: 0.15 + 0.85 * rng.next(),
      beatRate: 0.75 + 3.25 * rng.next(), // 45..240 BPM
    });
  }
  return out;
}

/** A piecewise ffmpeg expression of t over the blocks: `value` gives each block's constant or expression. */
function piecewise(blocks: HiddenBlock[], value: (b: HiddenBlock, i: number) => number | string, t = 't'): string {
  const v = (i: number) => {
    const x = value(blocks[i]!, i);
    return typeof x === 'number' ? x.toFixed(4) : x;
  };
  let expr = v(blocks.length - 1);
  for (let i = blocks.length - 2; i >= 0; i--) expr = `if(lt(${t},${blocks[i + 1]!.start}),${v(i)},${expr})`;
  return expr;
}

/**
 * Horizontal position (pixels) of a pan whose speed follows the beat rate: the integral of the
 * piecewise-constant speed, so the picture never jumps between blocks.
 */
function panPosition(blocks: HiddenBlock[], pxPerBeat: number): string {
  const offsets: number[] = [];
  let x = 0;
  blocks.forEach((b, i) => {
    offsets.push(x);
    const next = blocks[i + 1]?.start ?? b.start;
    x += b.beatRate * pxPerBeat * (next - b.start);
  });
  return piecewise(blocks, (b, i) => `(${offsets[i]!.toFixed(2)}+${(b.beatRate * pxPerBeat).toFixed(3)}*(t-${b.start}))`);
}

/** The filter graph and audio expression of a synthetic video (exposed for tests). */
export function synthGraph(opts: SynthOptions): { video: string; audio: string; blocks: HiddenBlock[] } {
  const { source, seconds, seed, block = 5, size = '320x240', rate = 15 } = opts;
  const blocks = hiddenBlocks(seconds, seed, block);
  const pitch = piecewise(blocks, (b) => b.pitch);
  const loud = piecewise(blocks, (b) => b.loudness);
  const beat = piecewise(blocks, (b) => b.beatRate);
  // Pitch -> hue angle (log-frequency around the colour wheel); loudness -> brightness; beats -> flashes
  // and the speed of a sideways pan. The source's own colours are damped and a fixed colour cast added
  // before the hue rotation, so every source (grey ones too) carries the pitch in its dominant hue; the
  // pan is what the motion cue sees, since flashes alias at the 2 frames per second features sample.
  const hueDeg = piecewise(blocks, (b) => (Math.log2(b.pitch / 110) / 3) * 300);
  const flash = `pow(max(0,cos(PI*${beat}*t)),16)`;
  const brightness = `(${loud})*0.5-0.3+0.35*${flash}`;
  const [w, h] = size.split('x').map(Number) as [number, number];
  const pan = panPosition(blocks, w / 10);
  // a triangle wave over the spare width keeps the window inside the doubled-width source
  const x = `${w}-abs(mod(${pan},${2 * w})-${w})`;
  // lavfi's random sources take a seed: without one every render differs and the demo cannot reproduce its figures.
  const seeded = source === 'life' || source === 'cellauto' || source === 'gradients' || source === 'sierpinski' ? `:seed=${seed}` : '';
  const extra = (source === 'life' ? ':mold=10:life_color=#ffcc33:death_color=#3355ff' : source === 'cellauto' ? ':rule=110:random_fill_ratio=0.5' : '') + seeded;
  const cast = (c: number) => `'128+0.35*(val-128)+${c}'`;
  const video =
    `${source}=size=${2 * w}x${h}:rate=${rate}${extra},format=yuv420p,crop=w=${w}:h=${h}:x='${x}':y=0,` +
    `lutyuv=u=${cast(-30)}:v=${cast(45)},hue=h='${hueDeg}':s=1.4,eq=brightness='${brightness}':eval=frame,trim=duration=${seconds}`;
  const pulse = `(0.55+0.45*pow(max(0,cos(PI*${beat}*t)),8))`;
  const audio = `aevalsrc='${'0.8'}*(${loud})*${pulse}*(0.7*sin(2*PI*${pitch}*t)+0.3*sin(4*PI*${pitch}*t)):s=16000:d=${seconds}'`;
  return { video, audio, blocks };
}

/** Renders a synthetic music video (H.264 + AAC mp4) to `path`. */
export async function makeSynthVideo(path: string, opts: SynthOptions): Promise<HiddenBlock[]> {
  const g = synthGraph(opts);
  await ffmpeg(
    [
      '-y', '-f', 'lavfi', '-i', g.video, '-f', 'lavfi', '-i', g.audio,
      '-t', String(opts.seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '26', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '96k', '-shortest', path,
    ],
    { timeoutMs: opts.timeoutMs ?? 120_000 },
  );
  return g.blocks;
}

/** A song that is not in any library: sections of different tempo, pitch and loudness with a kick. */
export async function makeSynthSong(path: string, seconds: number, seed = 99): Promise<void> {
  const blocks = hiddenBlocks(seconds, seed, 8);
  const pitch = piecewise(blocks, (b) => b.pitch);
  const loud = piecewise(blocks, (b) => b.loudness);
  const beat = piecewise(blocks, (b) => b.beatRate);
  // A decaying kick on every beat under a two-partial tone and its fifth.
  const phase = `mod(t*${beat},1)`;
  const kick = `0.6*exp(-18*${phase})*sin(2*PI*55*t)`;
  const tone = `(${loud})*(0.45*sin(2*PI*${pitch}*t)+0.2*sin(2*PI*1.5*${pitch}*t))*(0.6+0.4*exp(-4*${phase}))`;
  await ffmpeg(
    ['-y', '-f', 'lavfi', '-i', `aevalsrc='${kick}+${tone}:s=44100:d=${seconds}'`, '-t', String(seconds), '-c:a', 'libmp3lame', '-q:a', '4', path],
    { timeoutMs: 120_000 },
  );
}
