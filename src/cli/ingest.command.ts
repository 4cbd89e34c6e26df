// clipmatch ingest / clipmatch library stats
import type { Command } from 'commander';
import { DEFAULT_CLIP_SECONDS } from '../core/types.js';
import { env } from '../config.js';
import { ingest, type IngestSummary } from '../library/ingest.js';
import { openCatalog, type BatchSummary } from '../library/catalog.js';
import { UserError } from '../core/errors.js';
import { fetchVideoToFile } from '../media/fetch.js';
import { cliProgressBars } from './progress.js';
import { parseVisualOption, VISUAL_OPTION_HELP } from './visual-option.js';
import { FOOTAGE_FLAGS } from '../core/footage.js';
import { footageStats, type FootageStats } from '../library/footage-store.js';
import { libraryFootage } from '../library/footage-cache.js';

function footageLines(f: FootageStats, seconds: number): string[] {
  const removed = FOOTAGE_FLAGS.reduce((s, k) => s + f.flaggedSeconds[k], 0);
  const pct = (x: number) => (seconds > 0 ? `${((100 * x) / seconds).toFixed(1)}%` : '-');
  const lines = [
    `  shots    ${f.shotChanges} shot changes inside clips (${f.videosScanned} video(s) scanned)`,
    `  flagged  ${removed.toFixed(1)} s left out of montages (${pct(removed)}): ` + FOOTAGE_FLAGS.map((k) => `${k} ${f.flaggedSeconds[k].toFixed(1)} s`).join(', '),
  ];
  if (f.videosNotScanned > 0) lines.push(`  not scanned ${f.videosNotScanned} video(s): scanned on first use, or now with clipmatch library scan`);
  return lines;
}

function printSummary(s: IngestSummary): void {
  const hours = (x: number) => (x / 3600).toFixed(2);
  const lines = [
    `library ${s.library}: added ${s.added.length} video(s), ${s.clipsAdded} clips, ${hours(s.secondsAdded)} h ` +
      `in ${s.wallSeconds.toFixed(1)} s (${s.realtimeX.toFixed(1)}x real time)`,
  ];
  if (s.alreadyPresent.length) lines.push(`already in the library: ${s.alreadyPresent.length} video(s)`);
  if (s.skipped.length) {
    lines.push(`skipped ${s.skipped.length}:`);
    for (const k of s.skipped) lines.push(`  ${k.source}: ${k.reason}`);
  }
  if (s.pca.refitted) lines.push(`visual PCA fitted on ${s.pca.rows} seconds of footage (${s.pca.fingerprint})`);
  lines.push(`library now: ${s.library_totals.videos} videos, ${s.library_totals.clips} clips, ${hours(s.library_totals.seconds)} h`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('split videos (files, folders or http(s) links) into clips and compute their features')
    .argument('<inputs...>', 'video files, folders or http(s) URLs')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--clip-seconds <n>', 'clip length in seconds', (v) => Number(v), DEFAULT_CLIP_SECONDS)
    .option('--threads <n>', 'feature worker threads (0 = one per core)', (v) => Number(v), env().CLIPMATCH_THREADS)
    .option('--refit-pca', 'refit the visual PCA on the whole library (invalidates models trained before)')
    .option('--visual <cnn>', VISUAL_OPTION_HELP, parseVisualOption)
    .option('--json', 'print the summary as JSON')
    .option('--queue', 'queue one job per video for the workers (npm run worker) instead of ingesting here; needs Redis')
    .action(async (inputs: string[], o: { library: string; clipSeconds: number; threads: number; refitPca?: boolean; json?: boolean; queue?: boolean; visual?: ReturnType<typeof parseVisualOption> }) => {
      if (o.queue) {
        await queueBatch(inputs, o);
        return;
      }
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await ingest({
          libraryDir: o.library,
          inputs,
          clipSeconds: o.clipSeconds,
          threads: o.threads,
          refitPca: o.refitPca ?? false,
          ...(o.visual ? { visual: o.visual } : {}),
          progress: bars.report,
          signal: ac.signal,
          fetchUrl: (url, dir) => fetchVideoToFile(url, dir, ac.signal),
        });
        bars.stop();
        if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
        else printSummary(summary);
        // Nothing usable among the inputs is a failure for scripts, though each reason was reported.
        if (summary.skipped.length > 0 && summary.added.length === 0 && summary.alreadyPresent.length === 0) process.exitCode = 1;
      } finally {
        bars.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** `ingest --queue`: the batch goes to the workers; `library status` follows it. */
async function queueBatch(inputs: string[], o: { library: string; json?: boolean }): Promise<void> {
  const { createLibraryQueue, producerConnection } = await import('../jobs/queue.js');
  const { queueIngestBatch } = await import('../library/batch.js');
  const cfg = env();
  // BullMQ waits for a Redis that is down; one ping that gives up says so at once instead
  const { Redis } = await import('ioredis');
  const probe = new Redis({ ...producerConnection(cfg.REDIS_URL), lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    throw new UserError('UNREACHABLE', `the queue (Redis at ${cfg.REDIS_URL}) is not answering; start it or ingest without --queue`);
  } finally {
    probe.disconnect();
  }
  const catalog = await openCatalog(o.library, { create: true });
  const queue = createLibraryQueue(producerConnection(cfg.REDIS_URL), cfg.QUEUE_PREFIX);
  try {
    // files are read by the workers: absolute paths on the storage they all mount
    const b = await queueIngestBatch(inputs, { catalog, queue, attempts: cfg.BOT_JOB_ATTEMPTS });
    if (o.json) {
      process.stdout.write(JSON.stringify(b, null, 2) + '\n');
      return;
    }
    const lines = [`batch ${b.batchId}: queued ${b.queued.length} video(s) for the workers (npm run worker)`];
    if (b.alreadyQueued.length) lines.push(`already queued or running: ${b.alreadyQueued.length}`);
    if (b.alreadyPresent.length) lines.push(`already in the library: ${b.alreadyPresent.length}`);
    lines.push(`follow it with: clipmatch library status --library ${o.library}`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await queue.close().catch(() => undefined);
    await catalog.close();
  }
}

/** `library status`: each batch's videos by state with the reasons of those that did not make it. */
function statusLines(batches: BatchSummary[]): string[] {
  if (batches.length === 0) return ['no ingest batches yet (clipmatch ingest <videos> --queue)'];
  const lines: string[] = [];
  for (const b of batches) {
    const c = b.counts;
    const open = c.queued + c.running;
    lines.push(
      `batch ${b.batchId} (${b.createdAt.slice(0, 19).replace('T', ' ')}): ${b.total} video(s): ${c.queued} queued, ${c.running} running, ` +
        `${c.added} added (${b.clips} clips, ${(b.seconds / 60).toFixed(1)} min), ${c.present} already there, ${c.skipped} skipped, ${c.failed} failed${open === 0 ? ' · done' : ''}`,
    );
    for (const p of b.problems) lines.push(`  ${p.state}: ${p.source}: ${p.reason}`);
  }
  return lines;
}

export function registerLibrary(program: Command): void {
  const lib = program.command('library').description('inspect a clip library');
  lib
    .command('status')
    .description('ingest batches queued with --queue: videos queued, running, added, skipped and failed (with reasons)')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--limit <n>', 'newest batches to show', (v) => Number(v), 10)
    .option('--json', 'print JSON')
    .action(async (o: { library: string; limit: number; json?: boolean }) => {
      const catalog = await openCatalog(o.library, { readonly: true });
      try {
        const batches = await catalog.batches(o.limit);
        if (o.json) process.stdout.write(JSON.stringify({ batches }, null, 2) + '\n');
        else process.stdout.write(statusLines(batches).join('\n') + '\n');
      } finally {
        await catalog.close();
      }
    });
  lib
    .command('stats')
    .description('videos, clips, hours and feature extractors of a library')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--json', 'print JSON')
    .action(async (o: { library: string; json?: boolean }) => {
      const catalog = await openCatalog(o.library, { readonly: true });
      try {
        const stats = await catalog.stats();
        const skipped = await catalog.skipped();
        const pca = (await catalog.getMeta('pca_fingerprint')) ?? null;
        const footage = await footageStats(o.library, (await catalog.videos()).map((v) => v.videoId));
        if (o.json) {
          process.stdout.write(JSON.stringify({ ...stats, visualPca: pca, skippedSources: skipped, footage }, null, 2) + '\n');
          return;
        }
        const lines = [
          `library ${o.library}`,
          `  videos   ${stats.videos}`,
          `  clips    ${stats.clips} (${stats.clipsWithAudio} with audio)`,
          `  footage  ${(stats.seconds / 3600).toFixed(2)} h`,
          `  audio    ${Object.entries(stats.extractors.audio).map(([k, n]) => `${k} (${n} clips)`).join(', ') || '-'}`,
          `  visual   ${Object.entries(stats.extractors.visual).map(([k, n]) => `${k} (${n} clips)`).join(', ') || '-'}${pca ? `, PCA ${pca}` : ''}`,
        ];
        if (skipped.length) lines.push(`  skipped  ${skipped.length}: ${skipped.map((s) => `${s.source} (${s.reason})`).join('; ')}`);
        lines.push(...footageLines(footage, stats.seconds));
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        await catalog.close();
      }
    });
  lib
    .command('scan')
    .description('find shot changes and unusable footage (black, text, fades, frozen) in videos ingested before that existed')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--json', 'print JSON')
    .action(async (o: { library: string; json?: boolean }) => {
      const catalog = await openCatalog(o.library, { readonly: true });
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      try {
        const ids = (await catalog.videos()).map((v) => v.videoId);
        await libraryFootage(o.library, catalog).ensureFootage(ids, bars.report);
        bars.stop();
        const footage = await footageStats(o.library, ids);
        if (o.json) process.stdout.write(JSON.stringify(footage, null, 2) + '\n');
        else process.stdout.write([`library ${o.library}`, ...footageLines(footage, (await catalog.stats()).seconds)].join('\n') + '\n');
      } finally {
        bars.stop();
        await catalog.close();
      }
    });
}
