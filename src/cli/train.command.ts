// clipmatch train: fit a matching model on a library, evaluate it on the held-out split, save it.
import type { Command } from 'commander';
import { env } from '../config.js';
import { UserError } from '../core/errors.js';
import { SPLIT_MODES } from '../core/split.js';
import type { SplitMode } from '../core/split.js';
import { loadDataset } from '../library/dataset.js';
import { ARCHS } from '../model/models.js';
import type { Arch, Hyper } from '../model/models.js';
import { saveRun, trainOnDataset } from '../model/pipeline.js';
import type { EpochReport } from '../model/train.js';
import { cliProgressBars } from './progress.js';

interface TrainCliOptions {
  library: string;
  model: string;
  arch: string;
  split: string;
  epochs: number;
  seed: number;
  patience: number;
  dropRate?: number;
  json?: boolean;
}

export function parseChoice<T extends string>(what: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UserError('BAD_INPUT', `${what} must be one of ${choices.join(', ')} (got "${value}")`);
  return value as T;
}

export function parseIntOption(what: string, min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UserError('BAD_INPUT', `${what} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '  n/a' : x.toFixed(3));

export function formatEpoch(e: EpochReport, total: number): string {
  return `epoch ${e.epoch}/${total}  loss ${e.loss.toFixed(4)}${e.penalty > 0 ? ` (+${e.penalty.toFixed(3)} reg)` : ''}  val R@5 ${pct(e.valR5)}${e.best ? ' *best' : ''}  ${e.seconds.toFixed(1)} s  ${e.pairsPerSecond.toFixed(0)} pairs/s`;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a matching model on a library, evaluate it on the held-out split and save it')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .requiredOption('--model <dir>', 'model folder to write, e.g. models/two-tower')
    .option('--arch <arch>', `model: auto | ${ARCHS.join(' | ')} (auto = chosen by cross-validation on the training side; cca = the linear baseline, siamese = the reference, regression = the regression baseline)`, 'auto')
    .option('--split <mode>', 'hold out 20% by clip (reference protocol) or by video', 'clip')
    .option('--epochs <n>', 'maximum epochs', parseIntOption('--epochs', 1), 50)
    .option('--patience <n>', 'stop after this many epochs without a better validation R@5', parseIntOption('--patience', 1), 5)
    .option('--seed <n>', 'seed of the split, the initial weights and the sampling', parseIntOption('--seed', 0), 1)
    .option('--drop-rate <x>', 'dropout drop rate (siamese default 0.1: the reference\'s "dropout .9" read as keep_prob 0.9)', (v) => {
      const x = Number(v);
      if (!(x >= 0 && x < 1)) throw new UserError('BAD_INPUT', `--drop-rate must be in [0, 1) (got "${v}")`);
      return x;
    })
    .option('--json', 'print the training summary as JSON on stdout')
    .action(async (o: TrainCliOptions) => {
      const arch = parseChoice<Arch | 'auto'>('--arch', o.arch, ['auto', ...ARCHS]);
      const split = parseChoice<SplitMode>('--split', o.split, SPLIT_MODES);
      const ds = await loadDataset(o.library);
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      const hyper: Partial<Hyper> = o.dropRate !== undefined ? { dropRate: o.dropRate } : {};
      process.stderr.write(`training ${arch} on ${ds.clips.length} clips (${split} split, seed ${o.seed})\n`);
      let run;
      try {
        run = await trainOnDataset(ds, {
          arch,
          split,
          seed: o.seed,
          epochs: o.epochs,
          patience: o.patience,
          hyper,
          progress: bars.report,
          onEpoch: (e) => process.stderr.write(`${formatEpoch(e, o.epochs)}\n`),
          log: (line) => process.stderr.write(`${line}\n`),
        });
      } finally {
        bars.stop();
      }
      const manifest = await saveRun(o.model, ds, run, o.library);
      const r = run.eval?.gallery100;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ model: o.model, arch: manifest.arch, requested: arch, split, seed: o.seed, backend: run.backend, training: manifest.training, eval: manifest.eval ?? null }, null, 2)}\n`);
        return;
      }
      const chosen = run.auto ? `auto chose ${run.auto.chosen}` : manifest.arch;
      const lines = [
        `saved ${o.model} (${chosen}, backend ${run.backend}): best epoch ${run.result.bestEpoch} of ${run.result.history.length}, ${run.result.seconds.toFixed(1)} s`,
        ...(run.auto ? [`why: ${run.auto.reason}`] : []),
        `clips: ${run.split.train.length} train, ${run.split.val.length} validation, ${run.split.test.length} test`,
      ];
      if (r) lines.push(`test, gallery ${r.gallery}: audio->video R@1 ${pct(r.audioToVideo.r1)} R@5 ${pct(r.audioToVideo.r5)} R@10 ${pct(r.audioToVideo.r10)} median rank ${r.audioToVideo.medianRank} (random R@5 ${pct(r.random.r5)})`);
      else lines.push('too few test clips to evaluate');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
