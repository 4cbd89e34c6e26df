// The montage plan: which library clip plays in each segment. Chosen globally by a K-best Viterbi search
// over segments x candidate clips, maximising
//   sum  w.match * match(s, c)                      how well the clip fits the segment's audio
//      + w.continuity * cos(visual(prev), visual(c)) neighbours that look alike cut smoothly
//      - w.sameVideo  * [video(prev) == video(c)]    but not the same footage twice in a row
//      - w.videoUse   * (uses of video(c) so far) / segments
//      - w.reuse      * (uses of c so far)
// subject to two hard constraints carried in each path's state:
//   1. no clip repeats within `window` consecutive segments;
//   2. no source video fills more than `maxVideoShare` of the segments when the candidates span at least
//      `minVideosForCap` videos.
// A plain Viterbi keeps one path per (segment, clip); with path-dependent constraints that can discard the
// path that would have stayed feasible, so each (segment, clip) keeps its K best paths instead.
//
// Exact guarantee: constraint 1 always holds for the returned plan, with the window reduced to the size of
// the smallest candidate list when that is smaller than asked (a path bans at most window - 1 clips, so a
// list of >= window distinct clips always leaves a choice); the effective window is returned. A segment
// with a single candidate is fixed: it is exempt from the window and does not reduce it. Constraint 2
// holds unless, at some segment, no kept path can extend within the cap; then that segment alone may exceed
// it and `capRelaxed` counts such segments. The search is exact for the objective when K >= the number of
// distinct histories that matter, and otherwise a beam approximation.

export interface Candidate {
  /** the clip's row (any integer id, unique per clip) */
  clip: number;
  /** the clip's source video (any integer id) */
  video: number;
  /** match score, higher is better (e.g. cosine similarity of embeddings) */
  score: number;
}

export interface PlanWeights {
  match: number;
  continuity: number;
  sameVideo: number;
  videoUse: number;
  reuse: number;
}

export interface PlanOptions {
  window?: number;
  maxVideoShare?: number;
  minVideosForCap?: number;
  /** paths kept per (segment, clip) */
  keep?: number;
  weights?: Partial<PlanWeights>;
}

export interface PlanInput {
  /** per segment, the clips that may play there */
  candidates: readonly (readonly Candidate[])[];
  /** visual similarity of two clips in [-1, 1]; omitted = no continuity term */
  continuity?: (a: number, b: number) => number;
}

export interface PlanOutput {
  choices: Candidate[];
  objective: number;
  /** the no-repeat window actually guaranteed */
  window: number;
  /** per-video segment cap, or Infinity when too few videos exist for a cap */
  videoCap: number;
  capRelaxed: number;
}

const OVER_CAP_PENALTY = 2;

export const DEFAULT_WEIGHTS: PlanWeights = { match: 1, continuity: 0.2, sameVideo: 0.1, videoUse: 0.5, reuse: 0.05 };

interface Node {
  cand: Candidate;
  parent: Node | undefined;
  total: number;
  videoUses: Map<number, number>;
  clipUses: Map<number, number>;
}

interface Resolved {
  window: number;
  cap: number;
  keep: number;
  w: PlanWeights;
  segments: number;
}

function resolve(input: PlanInput, opts: PlanOptions): Resolved {
  const segments = input.candidates.length;
  if (input.candidates.some((list) => list.length === 0)) throw new RangeError('every segment needs at least one candidate clip');
  // A segment with a single candidate is fixed (a pin, a kept piece of an edited plan): it does not shrink
  // the window the other segments keep.
  const minDistinct = input.candidates.reduce((m, list) => (list.length > 1 ? Math.min(m, new Set(list.map((c) => c.clip)).size) : m), Infinity);
  const window = Math.max(1, Math.min(opts.window ?? 8, minDistinct === Infinity ? 1 : minDistinct));
  const videos = new Set<number>();
  for (const list of input.candidates) for (const c of list) videos.add(c.video);
  const share = opts.maxVideoShare ?? 0.4;
  const cap = videos.size >= (opts.minVideosForCap ?? 3) ? Math.max(1, Math.floor(share * segments + 1e-9)) : Infinity;
  return { window, cap, keep: Math.max(1, opts.keep ?? 4), w: { ...DEFAULT_WEIGHTS, ...opts.weights }, segments };
}

/** True when `clip` appears among the last `window - 1` choices of the path ending at `node`. */
function inWindow(node: Node | undefined, clip: number, window: number): boolean {
  for (let i = 0, n = node; i < window - 1 && n; i++, n = n.parent) if (n.cand.clip === clip) return true;
  return false;
}

function gain(prev: Node | undefined, c: Candidate, cont: number, r: Resolved): number {
  const { w } = r;
  let g = w.match * c.score;
  if (prev) {
    g += w.continuity * cont;
    if (prev.cand.video === c.video) g -= w.sameVideo;
    g -= (w.videoUse * (prev.videoUses.get(c.video) ?? 0)) / Math.max(1, r.segments);
    g -= w.reuse * (prev.clipUses.get(c.clip) ?? 0);
  }
  return g;
}

function extend(parent: Node | undefined, cand: Candidate, total: number): Node {
  const videoUses = new Map(parent?.videoUses);
  videoUses.set(cand.video, (videoUses.get(cand.video) ?? 0) + 1);
  const clipUses = new Map(parent?.clipUses);
  clipUses.set(cand.clip, (clipUses.get(cand.clip) ?? 0) + 1);
  return { cand, parent, total, videoUses, clipUses };
}

function unwind(node: Node | undefined): Candidate[] {
  const out: Candidate[] = [];
  for (let n = node; n; n = n.parent) out.push(n.cand);
  return out.reverse();
}

/** The globally best plan under the hard constraints (see the file comment for the exact guarantee). */
export function planMontage(input: PlanInput, opts: PlanOptions = {}): PlanOutput {
  const r = resolve(input, opts);
  let capRelaxed = 0;
  let beams: Node[] = [];
  for (let s = 0; s < input.candidates.length; s++) {
    const list = input.candidates[s]!;
    const parents: Array<Node | undefined> = s === 0 ? [undefined] : beams;
    // Continuity per (previous clip, candidate) pair, computed once per segment.
    const contCache = new Map<number, Map<number, number>>();
    const cont = (a: number, b: number): number => {
      if (!input.continuity) return 0;
      let row = contCache.get(a);
      if (!row) contCache.set(a, (row = new Map()));
      let v = row.get(b);
      if (v === undefined) row.set(b, (v = input.continuity(a, b)));
      return v;
    };
    let next: Node[] = [];
    for (const enforceCap of [true, false]) {
      // Per candidate: its K best (total, parent) extensions, kept sorted best first.
      const best = list.map(() => [] as Array<{ total: number; parent: Node | undefined }>);
      for (const p of parents) {
        for (let j = 0; j < list.length; j++) {
          const c = list[j]!;
          if (list.length > 1 && inWindow(p, c.clip, r.window)) continue;
          if (enforceCap && (p?.videoUses.get(c.video) ?? 0) >= r.cap) continue;
          let total = (p?.total ?? 0) + gain(p, c, p ? cont(p.cand.clip, c.clip) : 0, r);
          // Past the cap, each further use costs more than any match can gain, so relaxed paths still
          // prefer the histories that stayed closest to the cap.
          if (!enforceCap) total -= OVER_CAP_PENALTY * Math.max(0, (p?.videoUses.get(c.video) ?? 0) + 1 - r.cap);
          const slot = best[j]!;
          if (slot.length === r.keep && total <= slot[slot.length - 1]!.total) continue;
          let at = slot.length;
          while (at > 0 && slot[at - 1]!.total < total) at--;
          slot.splice(at, 0, { total, parent: p });
          if (slot.length > r.keep) slot.pop();
        }
      }
      next = best.flatMap((slot, j) => slot.map((e) => extend(e.parent, list[j]!, e.total)));
      if (next.length > 0) break;
      capRelaxed++;
    }
    if (next.length === 0) {
      // Cannot happen while every list holds >= window distinct clips; kept as a loud failure.
      throw new Error(`no feasible clip for segment ${s}`);
    }
    beams = next;
  }
  let top: Node | undefined;
  for (const n of beams) if (!top || n.total > top.total) top = n;
  return { choices: unwind(top), objective: top?.total ?? 0, window: r.window, videoCap: r.cap, capRelaxed };
}

/**
 * The baseline a global plan must beat: per segment, in order, the best-matching clip that keeps the same
 * hard constraints (nearest clip per segment, made legal). Returns the same shape, scored by the same
 * objective so the two are comparable.
 */
export function greedyPlan(input: PlanInput, opts: PlanOptions = {}): PlanOutput {
  const r = resolve(input, opts);
  let node: Node | undefined;
  let capRelaxed = 0;
  for (let s = 0; s < input.candidates.length; s++) {
    const list = [...input.candidates[s]!].sort((a, b) => b.score - a.score);
    const free = (c: Candidate) => list.length === 1 || !inWindow(node, c.clip, r.window);
    let pick = list.find((c) => free(c) && (node?.videoUses.get(c.video) ?? 0) < r.cap);
    if (!pick) {
      capRelaxed++;
      pick = list.find(free);
    }
    if (!pick) throw new Error(`no feasible clip for segment ${s}`);
    const cont = node && input.continuity ? input.continuity(node.cand.clip, pick.clip) : 0;
    node = extend(node, pick, (node?.total ?? 0) + gain(node, pick, cont, r));
  }
  return { choices: unwind(node), objective: node?.total ?? 0, window: r.window, videoCap: r.cap, capRelaxed };
}

/** The objective of any sequence of choices, as planMontage scores it. */
export function scorePlan(choices: readonly Candidate[], input: PlanInput, opts: PlanOptions = {}): number {
  const r = resolve(input, opts);
  let node: Node | undefined;
  for (const c of choices) {
    const cont = node && input.continuity ? input.continuity(node.cand.clip, c.clip) : 0;
    node = extend(node, c, (node?.total ?? 0) + gain(node, c, cont, r));
  }
  return node?.total ?? 0;
}

/** Smallest distance, in segments, between two uses of the same clip (Infinity when none repeats). */
export function minRepeatGap<T>(clips: readonly T[]): number {
  const last = new Map<T, number>();
  let gap = Infinity;
  clips.forEach((c, i) => {
    const p = last.get(c);
    if (p !== undefined) gap = Math.min(gap, i - p);
    last.set(c, i);
  });
  return gap;
}
