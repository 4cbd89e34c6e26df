// The plan file (--plan-out / --plan): the song's segments and beat grid and, per segment, the clip, its
// offset and why it was chosen. Editing it and rendering with --plan skips the song analysis: a segment
// keeps its clip and offset unless its clipId is set to null (choose again), its clip is left out by
// `exclude` (clip ids, video ids or source titles), or `pin` puts a given clip there. Documented in README
// ("Making a video"); validated here so a hand-edited file gets a clear message, never a stack trace.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { Segment } from '../core/segments.js';
import type { SongPlan } from './visualize.service.js';

const num = z.number().finite();

const SegmentSchema = z.object({
  start: num.nonnegative(),
  end: num.positive(),
  /** null: let the planner choose this segment again */
  clipId: z.string().min(1).nullable(),
  /** seconds into the clip; null or absent: fitted to the clip's shots again */
  offset: num.nonnegative().nullable().optional(),
  length: num.optional(),
  videoId: z.string().optional(),
  score: num.optional(),
  why: z.string().optional(),
});

export const PlanFileSchema = z
  .object({
    format: z.literal('clipmatch-plan'),
    version: z.literal(1),
    song: z.object({ path: z.string().optional(), duration: num.positive(), tempo: num.nonnegative().optional() }),
    seed: z.number().int().optional(),
    keepFlagged: z.boolean().optional(),
    beats: z.array(num.nonnegative()),
    segments: z.array(SegmentSchema).min(1),
    pin: z.array(z.object({ segment: z.number().int().nonnegative(), clipId: z.string().min(1), offset: num.nonnegative().optional() })).default([]),
    exclude: z.array(z.string().min(1)).default([]),
  })
  .superRefine((p, ctx) => {
    const eps = 1e-3;
    if (Math.abs(p.segments[0]!.start) > eps) ctx.addIssue({ code: 'custom', path: ['segments', 0, 'start'], message: 'the first segment must start at 0' });
    p.segments.forEach((s, i) => {
      if (!(s.end > s.start)) ctx.addIssue({ code: 'custom', path: ['segments', i], message: 'a segment must end after it starts' });
      if (i > 0 && Math.abs(s.start - p.segments[i - 1]!.end) > eps) ctx.addIssue({ code: 'custom', path: ['segments', i, 'start'], message: 'each segment must start where the previous one ends' });
    });
    if (Math.abs(p.segments[p.segments.length - 1]!.end - p.song.duration) > 0.05) {
      ctx.addIssue({ code: 'custom', path: ['segments'], message: 'the segments must end where the song ends' });
    }
    for (let i = 1; i < p.beats.length; i++) {
      if (p.beats[i]! < p.beats[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['beats', i], message: 'beats must be in ascending order' });
        break;
      }
    }
    p.pin.forEach((pin, i) => {
      if (pin.segment >= p.segments.length) ctx.addIssue({ code: 'custom', path: ['pin', i, 'segment'], message: `there are only ${p.segments.length} segments (numbered from 0)` });
      if (p.exclude.includes(pin.clipId)) ctx.addIssue({ code: 'custom', path: ['pin', i, 'clipId'], message: 'a clip cannot be both pinned and excluded' });
    });
  });

export type PlanFile = z.infer<typeof PlanFileSchema>;

/** Reads and validates a plan file; every problem is a UserError naming the field. */
export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError('BAD_INPUT', `cannot read the plan file ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError('BAD_INPUT', `the plan file ${path} is not valid JSON`);
  }
  const parsed = PlanFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new UserError('BAD_INPUT', `the plan file ${path} is not a clipmatch plan: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** What a plan file tells the planner: fixed segments and beats, clips kept or pinned, sources left out. */
export function planFileOptions(plan: PlanFile | undefined): {
  given?: { segments: Segment[]; beats: number[]; tempo: number };
  fixed?: Array<{ clipId: string; offset?: number } | undefined>;
  exclude?: Set<string>;
} {
  if (!plan) return {};
  const exclude = new Set(plan.exclude);
  const pins = new Map(plan.pin.map((p) => [p.segment, p]));
  const fixed = plan.segments.map((s, i) => {
    const pin = pins.get(i);
    if (pin) return { clipId: pin.clipId, ...(pin.offset !== undefined ? { offset: pin.offset } : {}) };
    if (s.clipId === null || exclude.has(s.clipId) || (s.videoId !== undefined && exclude.has(s.videoId))) return undefined;
    return { clipId: s.clipId, ...(s.offset !== null && s.offset !== undefined ? { offset: s.offset } : {}) };
  });
  return {
    given: { segments: plan.segments.map((s) => ({ start: s.start, end: s.end })), beats: plan.beats, tempo: plan.song.tempo ?? 0 },
    fixed,
    exclude,
  };
}

export function planFileOf(planned: SongPlan, meta: { songPath: string; duration: number; seed: number; keepFlagged: boolean; previous?: PlanFile }): PlanFile {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    format: 'clipmatch-plan',
    version: 1,
    song: { path: meta.songPath, duration: r3(meta.duration), tempo: Math.round(planned.tempo * 100) / 100 },
    seed: meta.seed,
    keepFlagged: meta.keepFlagged,
    beats: planned.beats.map(r3),
    segments: planned.plan.map((p) => ({
      start: r3(p.start),
      end: r3(p.end),
      clipId: p.clipId,
      offset: p.clipOffset,
      length: r3(p.end - p.start),
      ...(p.videoId !== undefined ? { videoId: p.videoId } : {}),
      score: p.score,
      ...(p.why !== undefined ? { why: p.why } : {}),
    })),
    pin: meta.previous?.pin ?? [],
    exclude: meta.previous?.exclude ?? [],
  };
}

/** Writes the plan atomically (complete or absent). */
export async function writePlanFile(path: string, plan: PlanFile): Promise<void> {
  const part = `${path}.${process.pid}.part`;
  try {
    await writeFile(part, JSON.stringify(plan, null, 2) + '\n');
    await rename(part, path);
  } catch (err) {
    await rm(part, { force: true });
    throw new UserError('BAD_INPUT', `cannot write the plan file ${path}${err instanceof Error && 'code' in err ? ` (${String((err as NodeJS.ErrnoException).code)})` : ''}`);
  }
}
