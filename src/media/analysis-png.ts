// The picture of `clipmatch analyze`: sections as coloured bands (letter and energy on top), the waveform
// (min/max per pixel column) and the onset envelope below it, downbeats as bright lines and beats as faint
// ticks. The raster is drawn here with pngjs; the text goes on with ffmpeg's drawtext, as on the contact
// sheet, and is left off (the picture still drawn) without the DejaVu font.
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PNG } from 'pngjs';
import { ffmpeg } from './ffmpeg.js';
import { SHEET_FONT } from './sheet.js';

export interface AnalysisPlotInput {
  pcm: Float32Array;
  sampleRate: number;
  onsetEnvelope: ArrayLike<number>;
  hopSeconds: number;
  startSeconds: number;
  tempo: number;
  beats: readonly number[];
  downbeats: readonly number[];
  sections: readonly { start: number; end: number; label: string; energy: number }[];
  title?: string;
}

const W = 1600;
const HEAD = 34;
const WAVE = 200;
const ENV = 120;
const AXIS = 22;
const H = HEAD + WAVE + ENV + AXIS;
const PALETTE: [number, number, number][] = [
  [52, 101, 164],
  [196, 120, 36],
  [78, 154, 6],
  [164, 0, 96],
  [117, 80, 123],
  [0, 140, 140],
  [160, 60, 40],
];
const SAFE_PATH = /^[\w/.-]+$/;

/** Pixels of the plot, RGBA, and the text to put on it. */
export function drawAnalysis(a: AnalysisPlotInput): { png: PNG; labels: { x: number; y: number; text: string; size: number }[] } {
  const png = new PNG({ width: W, height: H });
  const px = png.data;
  const duration = a.pcm.length / a.sampleRate || 1;
  const xOf = (t: number) => Math.max(0, Math.min(W - 1, Math.round((t / duration) * (W - 1))));
  const set = (x: number, y: number, r: number, g: number, b: number, alpha = 1) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = (y * W + x) * 4;
    px[i] = Math.round(px[i]! * (1 - alpha) + r * alpha);
    px[i + 1] = Math.round(px[i + 1]! * (1 - alpha) + g * alpha);
    px[i + 2] = Math.round(px[i + 2]! * (1 - alpha) + b * alpha);
    px[i + 3] = 255;
  };
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) set(x, y, 18, 18, 22);
  const letters = [...new Set(a.sections.map((s) => s.label))];
  const labels: { x: number; y: number; text: string; size: number }[] = [];
  // section bands: colour by letter, brightness by energy
  for (const s of a.sections) {
    const c = PALETTE[letters.indexOf(s.label) % PALETTE.length]!;
    const k = 0.25 + 0.45 * s.energy;
    for (let x = xOf(s.start); x <= xOf(s.end); x++) {
      for (let y = 0; y < HEAD; y++) set(x, y, c[0], c[1], c[2], 0.9);
      for (let y = HEAD; y < HEAD + WAVE + ENV; y++) set(x, y, c[0], c[1], c[2], k * 0.45);
    }
    for (let y = 0; y < HEAD + WAVE + ENV; y++) set(xOf(s.start), y, 240, 240, 240, 0.8);
    labels.push({ x: xOf(s.start) + 6, y: 8, text: `${s.label}  ${s.energy.toFixed(2)}`, size: 16 });
  }
  // waveform, min/max per column
  const mid = HEAD + WAVE / 2;
  let peak = 0;
  for (let i = 0; i < a.pcm.length; i++) peak = Math.max(peak, Math.abs(a.pcm[i]!));
  const per = a.pcm.length / W;
  for (let x = 0; x < W; x++) {
    let lo = 0;
    let hi = 0;
    for (let i = Math.floor(x * per); i < Math.min(a.pcm.length, Math.floor((x + 1) * per)); i++) {
      const v = a.pcm[i]! / (peak || 1);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    for (let y = Math.round(mid - hi * (WAVE / 2 - 6)); y <= Math.round(mid - lo * (WAVE / 2 - 6)); y++) set(x, y, 200, 205, 215);
  }
  // onset envelope, max per column
  const env = a.onsetEnvelope;
  let emax = 0;
  for (let i = 0; i < env.length; i++) emax = Math.max(emax, env[i]!);
  const base = HEAD + WAVE + ENV - 4;
  for (let x = 0; x < W; x++) {
    const t0 = (x / W) * duration;
    const t1 = ((x + 1) / W) * duration;
    let m = 0;
    for (let f = Math.max(0, Math.floor((t0 - a.startSeconds) / a.hopSeconds)); f < Math.min(env.length, Math.ceil((t1 - a.startSeconds) / a.hopSeconds)); f++) m = Math.max(m, env[f]!);
    const h = Math.round((m / (emax || 1)) * (ENV - 10));
    for (let y = base - h; y <= base; y++) set(x, y, 250, 190, 60);
  }
  // beats and downbeats
  for (const b of a.beats) for (let y = HEAD; y < HEAD + WAVE + ENV; y++) set(xOf(b), y, 120, 220, 255, 0.35);
  for (const d of a.downbeats) for (let y = HEAD; y < HEAD + WAVE + ENV; y++) set(xOf(d), y, 255, 80, 80, 0.85);
  // time axis: a tick every 10 s
  for (let t = 0; t <= duration; t += 10) {
    for (let y = H - AXIS; y < H - AXIS + 6; y++) set(xOf(t), y, 200, 200, 200);
    if (t % 30 === 0) labels.push({ x: Math.min(W - 40, xOf(t) + 3), y: H - AXIS + 5, text: `${Math.floor(t / 60)}:${String(Math.round(t % 60)).padStart(2, '0')}`, size: 13 });
  }
  labels.push({ x: W - 420, y: HEAD + 6, text: `${a.title ? a.title + '  ' : ''}${a.tempo > 0 ? a.tempo.toFixed(1) + ' BPM' : 'no steady beat'}`, size: 15 });
  labels.push({ x: 8, y: HEAD + WAVE + 4, text: 'onset strength (red: downbeats, blue: beats)', size: 13 });
  return { png, labels };
}

/** Writes the analysis picture to outPath (whole or not at all). Returns whether text was drawn. */
export async function writeAnalysisPng(a: AnalysisPlotInput, outPath: string, opts: { font?: string; signal?: AbortSignal } = {}): Promise<{ labelled: boolean }> {
  const font = opts.font ?? SHEET_FONT;
  const { png, labels } = drawAnalysis(a);
  const partial = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(4).toString('hex')}.part`);
  const work = await mkdtemp(join(tmpdir(), 'clipmatch-analysis-'));
  const labelled = existsSync(font) && SAFE_PATH.test(font) && SAFE_PATH.test(work);
  try {
    const raw = join(work, 'raw.png');
    await writeFile(labelled ? raw : partial, PNG.sync.write(png));
    if (labelled) {
      const filters: string[] = [];
      for (const [i, l] of labels.entries()) {
        const file = join(work, `t${i}.txt`);
        await writeFile(file, l.text.replace(/[\r\n]+/g, ' '));
        filters.push(`drawtext=fontfile=${font}:textfile=${file}:expansion=none:fontsize=${l.size}:fontcolor=white:x=${l.x}:y=${l.y}`);
      }
      await ffmpeg(['-i', raw, '-vf', filters.join(','), '-frames:v', '1', '-f', 'image2', '-c:v', 'png', '-y', partial], { timeoutMs: 60_000, signal: opts.signal });
    }
    await rename(partial, outPath);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { labelled };
}
