// clipmatch eval: Recall@K and median rank of a model (and of the untrained cold-start default) on
// the held-out split of a library, beside the random baseline.
import type { Command } from 'commander';
import { env } from '../config.js';
import type { DirectionScores, RetrievalReport } from '../core/recall.js';
import { SPLIT_MODES } from '../core/split.js';
import type { SplitMode } from '../core/split.js';
import { UserError } from '../core/errors.js';
import { loadDataset } from '../library/dataset.js';
import { coldStartEmbedder, loadEmbedder } from '../model/embedder.js';
import type { Embedder } from '../model/embedder.js';
import { checkExtractors, readManifest } from '../model/manifest.js';
import { clipListHash, datasetSplit, evalOptionsFor, evaluateEmbedder, VIDEO_SPLIT_PER_VIDEO } from '../model/pipeline.js';
import { compareMethods, formatSummaries, parseSeeds } from '../model/compare.js';
import type { Method } from '../model/compare.js';
import { ARCHS } from '../model/models.js';
import type { Arch } from '../model/models.js';
import { parseChoice, parseIntOption } from './train.command.js';

interface EvalCliOptions {
  library: string;
  model?: string;
  split?: string;
  seed?: number;
  seeds?: string;
  arch: string;
  epochs: number;
  patience: number;
  gallery?: string;
  draws: number;
  json?: boolean;
}

/** `eval --seeds`: every method trained and scored on each seed's split; mean and 95% interval. */
async function evalSeeds(o: EvalCliOptions): Promise<void> {
  let seeds: number[];
  try {
    seeds = parseSeeds(o.seeds as string);
  } catch (err) {
    throw new UserError('BAD_INPUT', `--seeds: ${(err as Error).message}`);
  }
  const split = o.split ? parseChoice<SplitMode>('--split', o.split, SPLIT_MODES) : 'clip';
  if (o.gallery !== undefined && o.gallery !== 'all' && o.gallery !== '100') throw new UserError('BAD_INPUT', `--gallery must be 100 or all (got "${o.gallery}")`);
  const archs = o.arch.split(',').map((a) => parseChoice<Arch | 'auto'>('--arch', a.trim(), ['auto', ...ARCHS]));
  const ds = await loadDataset(o.library, { audioOnly: true });
  const methods: Method[] = [...archs.map((a) => ({ name: a, arch: a })), { name: 'cold-start', arch: 'cold-start' }, { name: 'random', arch: 'random' }];
  process.stderr.write(`${split} split, seeds ${seeds.join(',')}: ${methods.map((m) => m.name).join(', ')} on ${ds.clips.length} clips\n`);
  const rows = await compareMethods(ds, methods, {
    split,
    seeds,
    epochs: o.epochs,
    patience: o.patience,
    gallery: o.gallery === '100' ? 100 : 'all',
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ split, seeds, clips: ds.clips.length, methods: rows }, null, 2)}\n`);
    return;
  }
  const first = rows[0]?.seeds[0];
  process.stdout.write(`${split} split, ${seeds.length} seeds, gallery ${first?.gallery ?? '?'}${split === 'video' ? ` (at most ${VIDEO_SPLIT_PER_VIDEO} clips per video)` : ''}, audio-to-video\n${formatSummaries(rows)}\n`);
}

interface Row {
  name: string;
  fingerprint: string;
  report: RetrievalReport;
}

const f3 = (x: number) => x.toFixed(3);

function table(rows: Row[]): string {
  const out = ['model         direction  gallery  R@1    R@5    R@10   R@25   median  own-video@5'];
  const line = (name: string, dir: string, g: number, s: Omit<DirectionScores, 'ownVideoTop5'> & { ownVideoTop5: number }) =>
    `${name.padEnd(13)} ${dir.padEnd(10)} ${String(g).padEnd(8)} ${f3(s.r1)}  ${f3(s.r5)}  ${f3(s.r10)}  ${f3(s.r25)}  ${String(+s.medianRank.toFixed(1)).padEnd(7)} ${f3(s.ownVideoTop5)}`;
  for (const r of rows) {
    out.push(line(r.name, 'a->v', r.report.gallery, r.report.audioToVideo));
    out.push(line(r.name, 'v->a', r.report.gallery, r.report.videoToAudio));
  }
  const first = rows[0];
  if (first) out.push(line('random', 'either', first.report.gallery, first.report.random));
  return out.join('\n');
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('Recall@1/5/10/25 and median rank on the held-out split, with the random baseline and the cold-start default')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--model <dir>', 'trained model folder (without it only the cold-start default is scored)')
    .option('--split <mode>', 'clip | video (default: the split the model was trained with)')
    .option('--seed <n>', 'split seed (default: the model\'s)', parseIntOption('--seed', 0))
    .option('--seeds <list>', 'train and score on each of these seeds (e.g. 1-10): mean and 95% interval per method')
    .option('--arch <list>', 'with --seeds: architectures to train, comma-separated', 'auto,cca')
    .option('--epochs <n>', 'with --seeds: maximum epochs', parseIntOption('--epochs', 1), 50)
    .option('--patience <n>', 'with --seeds: early-stopping patience', parseIntOption('--patience', 1), 5)
    .option('--gallery <size>', '100 (random galleries averaged over draws) or all (the whole test split); default both, 100 in --json')
    .option('--draws <n>', 'random galleries per score', parseIntOption('--draws', 1), 50)
    .option('--json', 'print JSON on stdout')
    .action(async (o: EvalCliOptions) => {
      if (o.seeds !== undefined) {
        if (o.model) throw new UserError('BAD_INPUT', '--seeds trains a model per seed; it cannot be combined with --model');
        return evalSeeds(o);
      }
      const trained = o.model ? await readManifest(o.model) : undefined;
      // A model that carries its visual basis embeds this library's raw CNN features with it.
      const model = o.model ? await loadEmbedder(o.model) : undefined;
      const ds = await loadDataset(o.library, model?.visualBasis ? { basis: model.visualBasis } : {});
      if (o.model && model) checkExtractors(o.model, model.extractors, ds.extractors);
      // Trained here (on all clips, or on those with audio as the demo does) or on another library?
      const foreign = trained !== undefined && ![clipListHash(ds), clipListHash({ clips: ds.clips.filter((c) => c.hasAudio) })].includes(trained.training.clipListHash as string);
      const trainedSplit = trained?.training.split as SplitMode | undefined;
      const trainedSeed = trained?.training.seed as number | undefined;
      const split = o.split ? parseChoice<SplitMode>('--split', o.split, SPLIT_MODES) : (trainedSplit ?? 'clip');
      const seed = o.seed ?? trainedSeed ?? 1;
      if (foreign) {
        process.stderr.write('the model was trained on another library: every clip of this one is unseen, all are scored\n');
      } else if (trained && (split !== trainedSplit || seed !== trainedSeed)) {
        process.stderr.write(`warning: the model was trained on the ${trainedSplit} split with seed ${trainedSeed}; this test split may contain its training clips\n`);
      }
      if (o.gallery !== undefined && o.gallery !== 'all' && o.gallery !== '100') throw new UserError('BAD_INPUT', `--gallery must be 100 or all (got "${o.gallery}")`);
      const rows = foreign ? ds.clips.flatMap((c, i) => (c.hasAudio ? [i] : [])) : datasetSplit(ds, split, seed).test;
      if (rows.length < 2) throw new UserError('NO_LIBRARY', `the ${split} split of ${o.library} leaves ${rows.length} test clip(s) with audio; add more footage`);
      const rules: { perVideo?: number } = foreign ? {} : evalOptionsFor(split, 'all');
      // With 100 test clips or fewer, a gallery of 100 is the whole split: one table says it all.
      const both: (100 | 'all')[] = rows.length > 100 ? [100, 'all'] : ['all'];
      const galleries: (100 | 'all')[] = o.gallery === 'all' ? ['all'] : o.gallery === '100' || o.json ? [100] : both;
      const embedders: { name: string; e: Embedder }[] = [];
      if (model) embedders.push({ name: model.kind, e: model });
      embedders.push({ name: 'cold-start', e: coldStartEmbedder(ds.extractors, ds.seconds) });
      const results = galleries.map((g) => ({
        g,
        rows: embedders.map(({ name, e }) => ({ name, fingerprint: e.fingerprint, report: evaluateEmbedder(e, ds, rows, { ...rules, gallery: g, draws: o.draws, seed }) })),
      }));
      if (o.json) {
        const [main, cold] = [results[0]?.rows[0] as Row, results[0]?.rows.find((r) => r.name === 'cold-start') as Row];
        const { report } = main;
        process.stdout.write(
          `${JSON.stringify(
            {
              split: foreign ? 'all (another library)' : split,
              seed,
              gallery: report.gallery,
              ...(rules.perVideo !== undefined ? { perVideo: rules.perVideo } : {}),
              queries: report.queries,
              draws: report.draws,
              testClips: rows.length,
              model: { kind: main.name, fingerprint: main.fingerprint, dir: o.model ?? null },
              audioToVideo: report.audioToVideo,
              videoToAudio: report.videoToAudio,
              random: report.random,
              coldStart: { audioToVideo: cold.report.audioToVideo, videoToAudio: cold.report.videoToAudio },
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      process.stdout.write(foreign ? `another library's model: all ${rows.length} clips scored\n` : `${split} split (seed ${seed}): ${rows.length} test clips${rules.perVideo !== undefined ? `, galleries with at most ${rules.perVideo} clips per video` : ''}\n`);
      for (const r of results) process.stdout.write(`\n${table(r.rows)}\n`);
    });
}
