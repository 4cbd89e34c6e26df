// Every visible cut on the beat: renders music videos of real songs from a library of real footage and
// counts the cuts a viewer sees (scene changes ffmpeg's select='gt(scene,0.3)' finds in the output) that
// fall within 70 ms of a beat of the song's beat grid (the grid the planner was given, from our tracker).
// "before" is the planner without footage knowledge (the old behaviour: offsets cycle through the clip),
// "after" fits each piece to the clip's stored shots and leaves flagged footage out. Without a trained
// model by default (the cold-start embedder); --model=DIR adds a run with that model.
//
//   npm run bench -- cuts [--library=/work/media/lib5] [--songs=a.ogg,b.ogg] [--model=DIR] [--seconds=N]
//
// The library is copied to a temp folder first (footage files of an older library are written on first
// use). Needs real media; without it the bench says so and measures nothing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { analyzeRhythm } from '../src/features/audio/index.js';
import { sceneChanges } from '../src/media/scan.js';
import { openLibraryContext, type LibraryContext } from '../src/services/match.service.js';
import { loadSong } from '../src/services/song.js';
import { visualize } from '../src/services/visualize.service.js';
import { tempDir } from '../tests/helpers/media.js';

const TOLERANCE = 0.07;
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function nearest(beats: readonly number[], t: number): number {
  let d = Infinity;
  for (const b of beats) d = Math.min(d, Math.abs(b - t));
  return d;
}

/** Share of the timeline within TOLERANCE of a beat: what cuts at random times would score. */
function chance(beats: readonly number[], duration: number): number {
  let covered = 0;
  let last = -Infinity;
  for (const b of beats) {
    const lo = Math.max(0, b - TOLERANCE, last);
    const hi = Math.min(duration, b + TOLERANCE);
    if (hi > lo) covered += hi - lo;
    last = Math.max(last, hi);
  }
  return covered / duration;
}

export async function run(): Promise<Record<string, unknown>> {
  const library = arg('library') ?? '/work/media/lib5';
  const songs = (arg('songs') ?? '/work/media/songs/wesnoth-frantic.ogg,/work/media/songs/freecol-tailwind.ogg').split(',');
  const model = arg('model');
  const seconds = arg('seconds') ? Number(arg('seconds')) : undefined;
  const missing = [library, ...songs, ...(model ? [model] : [])].filter((p) => !existsSync(p));
  if (missing.length) return { skipped: `needs real media; missing: ${missing.join(', ')}` };
  const t = tempDir('clipmatch-bench-cuts-');
  try {
    const lib = join(t.dir, 'lib');
    execFileSync('cp', ['-r', library, lib]);
    const rows: Array<Record<string, unknown>> = [];
    const models: Array<string | undefined> = [undefined, ...(model ? [model] : [])];
    for (const songPath of songs) {
      let song = songPath;
      if (seconds) {
        song = join(t.dir, `${basename(songPath)}.${seconds}s.wav`);
        execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', songPath, '-t', String(seconds), song]);
      }
      const decoded = await loadSong(song);
      const beats = analyzeRhythm(decoded.pcm, decoded.sampleRate).beats;
      for (const m of models) {
        const ctx = await openLibraryContext(lib, m);
        try {
          for (const variant of ['before', 'after'] as const) {
            const use: LibraryContext = variant === 'after' ? ctx : { ...ctx, footage: undefined, ensureFootage: undefined };
            const out = join(t.dir, `${basename(songPath)}-${m ? 'model' : 'cold'}-${variant}.mp4`);
            const load = loadavg()[0]!;
            const t0 = performance.now();
            const res = await visualize({ audioPath: song, libraryDir: lib, outPath: out, library: use, render: { maxHeight: 360, preset: 'ultrafast', quality: 'rule' } });
            const wall = (performance.now() - t0) / 1000;
            // At 0.04 s ffmpeg's score has no history and reads motion as a cut: the video's start is no cut.
            const cuts = (await sceneChanges(out, 0.3)).filter((x) => x > 0.1);
            const onBeat = cuts.filter((x) => nearest(beats, x) <= TOLERANCE).length;
            const planned = res.plan.slice(1).map((p) => p.start);
            rows.push({
              song: basename(songPath),
              seconds: round(res.duration, 1),
              model: m ? basename(m) : 'none (cold start)',
              variant,
              visibleCuts: cuts.length,
              onBeat,
              shareOnBeat: round(onBeat / Math.max(1, cuts.length)),
              plannedCuts: planned.length,
              plannedOnBeat: planned.filter((x) => nearest(beats, x) <= TOLERANCE).length,
              shotChangesInsidePieces: res.plan.reduce((s, p) => s + (p.shotChanges ? p.shotChanges.onBeat + p.shotChanges.offBeat : 0), 0),
              flaggedSecondsShown: round(res.plan.reduce((s, p) => s + (p.flaggedSeconds ?? 0), 0), 2),
              chanceShare: round(chance(beats, res.duration)),
              wallSeconds: round(wall, 1),
              loadAverage1m: round(load, 2),
            });
          }
        } finally {
          await ctx.close();
        }
      }
    }
    const share = (v: string) => {
      const r = rows.filter((x) => x.variant === v);
      const on = r.reduce((s, x) => s + (x.onBeat as number), 0);
      const all = r.reduce((s, x) => s + (x.visibleCuts as number), 0);
      return round(on / Math.max(1, all));
    };
    return {
      library,
      tolerance: TOLERANCE,
      beatGrid: "the song's beats from clipmatch's own tracker (the grid the planner cut to)",
      goal: 'shareOnBeat >= 0.9',
      pooledShareOnBeat: { before: share('before'), after: share('after') },
      runs: rows,
    };
  } finally {
    t.cleanup();
  }
}
