// clipmatch index: embeds every library clip's video features with a model and stores the vector index
// in the library (<library>/index/<model fingerprint>/). Re-running after an ingest embeds only the
// new clips; a different model gets its own index.
import type { Command } from 'commander';
import { env } from '../config.js';
import { buildLibraryIndex, type BuildSummary } from '../index/library-index.js';
import { cliProgressBars } from './progress.js';

interface IndexCliOptions {
  library: string;
  model?: string;
  force?: boolean;
  json?: boolean;
}

function describe(s: BuildSummary, fingerprint: string): string {
  const how = s.kind === 'hnsw' ? 'approximate (HNSW)' : 'exact';
  const what = s.mode === 'unchanged' ? 'already up to date' : s.mode === 'append' ? `added ${s.embedded} new clip(s)` : `built from ${s.embedded} clip(s)`;
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
      // Loaded on use: the model stack (tfjs) is heavy and other commands should not pay for it.
      const { loadEmbedder } = await import('../model/embedder.js');
      const embedder = await loadEmbedder(o.model);
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      try {
        const summary = await buildLibraryIndex(o.library, embedder, bars.report, { force: o.force ?? false, indexOptions: { threads: env().CLIPMATCH_THREADS } });
        bars.stop();
        if (o.json) process.stdout.write(`${JSON.stringify({ ...summary, model: embedder.fingerprint, embedder: embedder.kind }, null, 2)}\n`);
        else process.stdout.write(describe(summary, embedder.fingerprint));
      } finally {
        bars.stop();
      }
    });
}
