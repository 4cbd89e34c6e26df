// Beat-tracking accuracy as MIREX scores it (mir_eval.beat.f_measure): an estimated beat is a hit when it
// lies within ±70 ms of a reference beat, each reference beat matched at most once; beats in the first
// 5 s are ignored on both sides (the convention, since listeners need a few beats to lock on).

export interface BeatScore {
  f: number;
  precision: number;
  recall: number;
  hits: number;
  reference: number;
  estimated: number;
}

export const MIREX_WINDOW = 0.07;
export const MIREX_SKIP = 5;

/** One-to-one matches within `window` (greedy on sorted lists, which is optimal for a window narrower
 * than half the smallest inter-beat gap). */
export function beatFMeasure(reference: readonly number[], estimated: readonly number[], window = MIREX_WINDOW, skip = MIREX_SKIP): BeatScore {
  const ref = reference.filter((t) => t >= skip).sort((a, b) => a - b);
  const est = estimated.filter((t) => t >= skip).sort((a, b) => a - b);
  let i = 0;
  let j = 0;
  let hits = 0;
  while (i < ref.length && j < est.length) {
    const d = est[j]! - ref[i]!;
    if (Math.abs(d) <= window) {
      hits++;
      i++;
      j++;
    } else if (d < 0) j++;
    else i++;
  }
  const precision = est.length ? hits / est.length : 0;
  const recall = ref.length ? hits / ref.length : 0;
  const f = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  // mir_eval: both empty is a perfect score
  if (ref.length === 0 && est.length === 0) return { f: 1, precision: 1, recall: 1, hits: 0, reference: 0, estimated: 0 };
  return { f, precision, recall, hits, reference: ref.length, estimated: est.length };
}

/** The reference at other metrical levels: off-beat, double tempo, and half tempo on either phase. */
export function metricalVariants(reference: readonly number[]): Record<'offbeat' | 'double' | 'halfOdd' | 'halfEven', number[]> {
  const ref = [...reference].sort((a, b) => a - b);
  const mids = ref.slice(1).map((t, i) => (t + ref[i]!) / 2);
  const double = [...ref, ...mids].sort((a, b) => a - b);
  return { offbeat: mids, double, halfEven: ref.filter((_, i) => i % 2 === 0), halfOdd: ref.filter((_, i) => i % 2 === 1) };
}

/** The best F-measure over the notated level and its metrical variants (the idea of MIREX's AMLt, scored
 * as an F-measure): how often the tracker found the pulse, whatever level or phase it tapped. */
export function anyLevelFMeasure(reference: readonly number[], estimated: readonly number[]): number {
  let best = beatFMeasure(reference, estimated).f;
  for (const v of Object.values(metricalVariants(reference))) best = Math.max(best, beatFMeasure(v, estimated).f);
  return best;
}
