// clipmatch visualize <audio file or URL> -o out.mp4: one music video whose picture is library clips
// chosen per beat-aligned segment and whose sound is the song.
import { InvalidArgumentError, type Command } from 'commander';
import { env } from '../config.js';
import type { Aspect, VisualizeResult } from '../core/visualize.types.js';
import { CUTS_MODES, type CutsMode } from '../core/segments.js';
import { visualize } from '../services/visualize.service.js';
import { readPlanFile } from '../services/plan-file.js';
import { withSongInput } from './match.command.js';
import { cliProgressBars } from './progress.js';
import { addBeatOptions, gridCorrectionOf, type BeatCliOptions } from './beat-options.js';

interface VisualizeCliOptions extends BeatCliOptions {
  library: string;
  model?: string;
  output: string;
  aspect: Aspect;
  maxMb: number;
  seed?: number;
  keepFlagged?: boolean;
  plan?: string;
  planOut?: string;
  json?: boolean;
  cuts: CutsMode;
}

const parseCuts = (v: string): CutsMode => {
  if (!(CUTS_MODES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${CUTS_MODES.join(', ')}`);
  return v as CutsMode;
};
const parseSeed = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
};

const ASPECTS: readonly Aspect[] = ['16:9', '9:16', '1:1'];

const parseAspect = (v: string): Aspect => {
  if (!(ASPECTS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${ASPECTS.join(', ')}`);
  return v as Aspect;
};

const parseMb = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a size in MB > 0');
  return n;
};

function printResult(r: VisualizeResult): void {
  const videos = new Set(r.plan.map((p) => p.videoId ?? p.clipId)).size;
  const lines = [
    `wrote ${r.video}: ${r.duration.toFixed(1)} s, ${(r.sizeBytes / 1e6).toFixed(2)} MB, ${r.plan.length} segments from ${videos} source video(s)${r.tempo ? `, cut to ${Math.round(r.tempo)} BPM` : ''}`,
    ...(r.picture
      ? [`picture ${r.picture.width}x${r.picture.height} at ${r.picture.videoKbps} kb/s${r.picture.measured.length ? ` (SSIM ${r.picture.measured.map((m) => `${m.height}p ${m.ssim.toFixed(3)}`).join(', ')})` : ''}`]
      : []),
    ...r.plan.map((p) => `  ${p.start.toFixed(2).padStart(7)}-${p.end.toFixed(2).padEnd(7)} ${p.clipId} (+${p.clipOffset.toFixed(2)} s)  score ${p.score.toFixed(3)}${p.why ? `  ${p.why}` : ''}`),
    `contact sheet (closest/farthest to ${r.at.toFixed(0)}-${(r.at + 10).toFixed(0)} s): ${r.sheet}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerVisualize(program: Command): void {
  const cmd = program
    .command('visualize')
    .description('stitch library clips into a music video for a song (H.264/AAC mp4 under a size cap)')
    .argument('<audio>', 'audio file (or a video with sound) or an http(s) link')
    .requiredOption('-o, --output <file>', 'output mp4')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--model <dir>', 'trained model folder (default: CLIPMATCH_MODEL, else the untrained default)', env().CLIPMATCH_MODEL)
    .option('--aspect <ratio>', 'frame shape: 16:9, 9:16 or 1:1', parseAspect, '16:9' as Aspect)
    .option('--max-mb <mb>', 'size cap of the video file in MB', parseMb, 10)
    .option('--cuts <mode>', 'cut density: auto (follows section energy), beat, bar, 2bar or phrase (4 bars)', parseCuts, 'auto' as CutsMode)
    .option('--seed <n>', 'another take of the same song: each seed gives its own plan, the same seed the same one (default 0)', parseSeed)
    .option('--keep-flagged', 'also use footage flagged as black, blank, text (title cards, credits), fade or frozen')
    .option('--plan-out <file>', 'write the plan (segments, clip, offset, score, why) as JSON')
    .option('--plan <file>', 'render an edited plan file instead of analysing the song again (see README)')
    .option('--json', 'print the plan and output paths as JSON');
  addBeatOptions(cmd).action(async (audio: string, o: VisualizeCliOptions) => {
    const bars = cliProgressBars(!o.json && process.stderr.isTTY);
    const planIn = o.plan ? await readPlanFile(o.plan) : undefined;
    const grid = gridCorrectionOf(o);
    await withSongInput(
      audio,
      async (audioPath, signal) => {
        const result = await visualize(
          {
            audioPath,
            libraryDir: o.library,
            modelDir: o.model,
            outPath: o.output,
            aspect: o.aspect,
            maxMb: o.maxMb,
            cuts: o.cuts,
            signal,
            ...(o.seed !== undefined ? { seed: o.seed } : {}),
            ...(o.keepFlagged ? { keepFlagged: true } : {}),
            ...(planIn ? { planIn } : {}),
            ...(o.planOut ? { planOut: o.planOut } : {}),
            ...(grid ? { grid } : {}),
          },
          bars.report,
        );
        bars.stop();
        if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else printResult(result);
      },
      bars.stop,
    );
  });
}
