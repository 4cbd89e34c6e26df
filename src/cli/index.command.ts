// clipmatch index: embeds every library clip's video features with a model and publishes a new version
// of the vector index in the library (<library>/index/<model fingerprint>/v<N>/), through the same
// index job a queue worker runs (src/index/index-job.ts). Re-running after an ingest embeds only the
// new clips; a different model gets its own index.
import type { Command } from 'commander';
import { env } from '../config.js';
import type { BuildSummary } from '../index/library-index.js';
import { runIndexJob } from '../index/index-job.js';
import { cliProgressBars } from './progress.js';

interface IndexCliOptions {
  library: string;
  model?: string;
  force?: boolean;
  json?: boolean;
}

function describe(s: BuildSummary, fingerprint: string): string {
  const how = s.kind === 'hnsw' ? 'approximate (HNSW)' : 'exact';
  const what = s.mode === 'unchanged' ? `version ${s.version} already up to date` : s.mode === 'append' ? `version ${s.version}: added ${s.embedded} new clip(s)` : `version ${s.version}: built from ${s.embedded} clip(s)`;
  return `index for model ${fingerprint}: ${what}; ${s.clips} clips, ${s.dim}-d, ${how} search, ${s.seconds.toFixed(1)} s\n  ${s.dir}\n`;
}

export function registerIndex(program: Command): void {
  program
    .command('index')
    .description("build or update the library's vector index of clip embeddings for a model")
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--model <dir>', 'trained model folder (default: CLIPMATCH_MODEL, else the untrained cold-start embedder)', env().CLIPMATCH_MODEL)
    .option('--force', 'rebuild the whole index even when it is up to date')
    .option('--json', 'print the summary as JSON')
    .action(async (o: IndexCliOptions) => {
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      try {
        // one builder per library: a second `clipmatch index` (or an index job) fails at once with BUSY
        const summary = await runIndexJob({ libraryDir: o.library, modelDir: o.model, progress: bars.report, force: o.force ?? false, threads: env().CLIPMATCH_THREADS, wait: false });
        bars.stop();
        if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else process.stdout.write(describe(summary, summary.model));
      } finally {
        bars.stop();
      }
    });
}
