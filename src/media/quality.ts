// Chooses the frame size of a montage by a measured metric rather than a rule of thumb: a sample of the
// planned montage (a few seconds from several pieces) is rendered once as a near-lossless reference at
// the largest size allowed, then at each candidate size with the real bitrate; each candidate is scaled
// back up to the reference size and compared with ffmpeg's SSIM filter (libvmaf is not in Debian's
// ffmpeg). The size whose picture comes closest to the sources wins.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncodingPlan } from '../core/bitrate.js';
import { ffmpeg } from './ffmpeg.js';
import { renderSample, type RenderPiece } from './render.js';

export interface QualityChoice {
  encoding: EncodingPlan;
  /** mean SSIM (All) of each candidate against the reference, tallest first */
  measured: Array<{ width: number; height: number; ssim: number }>;
  sampleSeconds: number;
}

/** Mean SSIM (the All column) of `distorted`, scaled to the reference size, against `reference`. */
export async function ssim(distorted: string, reference: string, width: number, height: number, signal?: AbortSignal): Promise<number> {
  const out = await ffmpeg(
    ['-i', distorted, '-i', reference, '-lavfi', `[0:v]scale=${width}:${height}:flags=bicubic,setsar=1[d];[1:v]setsar=1[r];[d][r]ssim=stats_file=-`, '-f', 'null', '-'],
    { timeoutMs: 120_000, ...(signal ? { signal } : {}) },
  );
  const values = [...out.toString().matchAll(/All:([0-9.]+)/g)].map((m) => Number(m[1]));
  if (values.length === 0) throw new Error('ffmpeg printed no SSIM values');
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Up to `count` pieces spread over the montage, `seconds` each, re-timed to tile [0, total). */
export function samplePieces(pieces: readonly RenderPiece[], count = 4, seconds = 1.6): RenderPiece[] {
  if (pieces.length === 0) return [];
  const picks = new Set<number>();
  for (let i = 0; i < count; i++) picks.add(Math.min(pieces.length - 1, Math.floor(((i + 0.5) * pieces.length) / count)));
  let at = 0;
  return [...picks].sort((a, b) => a - b).map((i) => {
    const p = pieces[i]!;
    const len = Math.min(seconds, p.end - p.start);
    const piece = { path: p.path, offset: p.offset, start: at, end: at + len };
    at += len;
    return piece;
  });
}

/** The candidate with the best SSIM against a reference rendered at the first (largest) candidate's size. */
export async function chooseByQuality(
  pieces: readonly RenderPiece[],
  ladder: readonly EncodingPlan[],
  opts: { preset?: string; signal?: AbortSignal; /** finer sizes: the neighbours of the coarse winner are measured too */ refine?: readonly EncodingPlan[] } = {},
): Promise<QualityChoice> {
  if (ladder.length === 0) throw new RangeError('no candidate encodings');
  const sample = samplePieces(pieces);
  const sampleSeconds = sample.length ? sample[sample.length - 1]!.end : 0;
  if (ladder.length === 1 || sampleSeconds <= 0) return { encoding: ladder[0]!, measured: [], sampleSeconds: 0 };
  const work = await mkdtemp(join(tmpdir(), 'clipmatch-quality-'));
  try {
    const top = ladder[0]!;
    const reference = join(work, 'reference.mp4');
    await renderSample(sample, top, { crf: 8 }, reference, { preset: 'ultrafast', ...(opts.signal ? { signal: opts.signal } : {}) });
    const measured: QualityChoice['measured'] = [];
    const tried: EncodingPlan[] = [];
    const measure = async (enc: EncodingPlan) => {
      const file = join(work, `candidate-${tried.length}.mp4`);
      await renderSample(sample, enc, enc.videoKbps, file, { ...(opts.preset ? { preset: opts.preset } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      measured.push({ width: enc.width, height: enc.height, ssim: Math.round((await ssim(file, reference, top.width, top.height, opts.signal)) * 1e4) / 1e4 });
      tried.push(enc);
    };
    const bestIndex = () => measured.reduce((b, m, i) => (m.ssim > measured[b]!.ssim ? i : b), 0);
    for (const enc of ladder) await measure(enc);
    if (opts.refine && opts.refine.length > ladder.length) {
      const at = opts.refine.findIndex((e) => e.height === tried[bestIndex()]!.height);
      for (const j of [at - 1, at + 1]) {
        const enc = opts.refine[j];
        if (at >= 0 && enc && !tried.some((t) => t.height === enc.height)) await measure(enc);
      }
    }
    const order = measured.map((_, i) => i).sort((a, b) => tried[b]!.height - tried[a]!.height);
    const best = bestIndex();
    return { encoding: tried[best]!, measured: order.map((i) => measured[i]!), sampleSeconds };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
