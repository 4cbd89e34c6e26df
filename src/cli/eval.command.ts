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
import { readManifest } from '../model/manifest.js';
import { datasetSplit, evaluateEmbedder } from '../model/pipeline.js';
import { parseChoice, parseIntOption } from './train.command.js';

interface EvalCliOptions {
  library: string;
  model?: string;
  split?: string;
  seed?: number;
  gallery?: string;
  draws: number;
  json?: boolean;
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
    .option('--gallery <size>', '100 (random galleries averaged over draws) or all (the whole test split); default both, 100 in --json')
    .option('--draws <n>', 'random galleries per score', parseIntOption('--draws', 1), 50)
    .option('--json', 'print JSON on stdout')
    .action(async (o: EvalCliOptions) => {
      const ds = await loadDataset(o.library);
      const trained = o.model ? await readManifest(o.model) : undefined;
      const trainedSplit = trained?.training.split as SplitMode | undefined;
      const trainedSeed = trained?.training.seed as number | undefined;
      const split = o.split ? parseChoice<SplitMode>('--split', o.split, SPLIT_MODES) : (trainedSplit ?? 'clip');
      const seed = o.seed ?? trainedSeed ?? 1;
      if (trained && (split !== trainedSplit || seed !== trainedSeed)) {
        process.stderr.write(`warning: the model was trained on the ${trainedSplit} split with seed ${trainedSeed}; this test split may contain its training clips\n`);
      }
      if (o.gallery !== undefined && o.gallery !== 'all' && o.gallery !== '100') throw new UserError('BAD_INPUT', `--gallery must be 100 or all (got "${o.gallery}")`);
      const rows = datasetSplit(ds, split, seed).test;
      if (rows.length < 2) throw new UserError('NO_LIBRARY', `the ${split} split of ${o.library} leaves ${rows.length} test clip(s) with audio; add more footage`);
      // With 100 test clips or fewer, a gallery of 100 is the whole split: one table says it all.
      const both: (100 | 'all')[] = rows.length > 100 ? [100, 'all'] : ['all'];
      const galleries: (100 | 'all')[] = o.gallery === 'all' ? ['all'] : o.gallery === '100' || o.json ? [100] : both;
      const embedders: { name: string; e: Embedder }[] = [];
      if (o.model) {
        const e = await loadEmbedder(o.model, ds.extractors);
        embedders.push({ name: e.kind, e });
      }
      embedders.push({ name: 'cold-start', e: coldStartEmbedder(ds.extractors, ds.seconds) });
      const results = galleries.map((g) => ({
        g,
        rows: embedders.map(({ name, e }) => ({ name, fingerprint: e.fingerprint, report: evaluateEmbedder(e, ds, rows, { gallery: g, draws: o.draws, seed }) })),
      }));
      if (o.json) {
        const [main, cold] = [results[0]?.rows[0] as Row, results[0]?.rows.find((r) => r.name === 'cold-start') as Row];
        const { report } = main;
        process.stdout.write(
          `${JSON.stringify(
            {
              split,
              seed,
              gallery: report.gallery,
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
      process.stdout.write(`${split} split (seed ${seed}): ${rows.length} test clips\n`);
      for (const r of results) process.stdout.write(`\n${table(r.rows)}\n`);
    });
}
