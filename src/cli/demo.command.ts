// clipmatch demo (npm run demo): the whole product on generated and Debian footage, no tokens, no Redis.
import type { Command } from 'commander';
import { relative } from 'node:path';
import { runDemo, type DemoResult } from '../demo/demo.js';
import { formatEpoch } from './train.command.js';
import { cliProgressBars } from './progress.js';

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '  n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

function report(r: DemoResult): string {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  const lines: string[] = ['', 'clipmatch demo: done in ' + r.seconds.toFixed(0) + ' s', ''];
  if (r.recall) {
    const { model, random, coldStart } = r.recall;
    lines.push(`Recall@K, audio -> video, held-out clips (${r.recall.queries} queries, galleries of ${r.recall.gallery}):`);
    lines.push('                 R@1     R@5     R@10    R@25   median rank');
    lines.push(`  trained     ${pct(model.r1)}  ${pct(model.r5)}  ${pct(model.r10)}  ${pct(model.r25)}   ${model.medianRank}`);
    if (coldStart) lines.push(`  cold start  ${pct(coldStart.r1)}  ${pct(coldStart.r5)}  ${pct(coldStart.r10)}  ${pct(coldStart.r25)}   ${coldStart.medianRank}`);
    lines.push(`  random      ${pct(random.r1)}  ${pct(random.r5)}  ${pct(random.r10)}  ${pct(random.r25)}`);
    lines.push('');
  }
  lines.push('Closest clips to the song\'s loudest 10 s:');
  for (const h of r.match.closest) lines.push(`  ${h.distance.toFixed(3)}  ${h.source} at ${h.start.toFixed(0)} s  (${h.clipId})`);
  lines.push('Farthest:');
  for (const h of r.match.farthest) lines.push(`  ${h.distance.toFixed(3)}  ${h.source} at ${h.start.toFixed(0)} s  (${h.clipId})`);
  lines.push('');
  lines.push(`library        ${rel(r.library)}  (${r.ingest.library_totals.videos} videos, ${r.ingest.library_totals.clips} clips)`);
  lines.push(`model          ${rel(r.model)}${r.trained ? '' : '  (reused)'}`);
  lines.push(`demo song      ${rel(r.song)}`);
  lines.push(`music video    ${rel(r.video.video)}  (${r.video.duration.toFixed(1)} s, ${(r.video.sizeBytes / 1e6).toFixed(1)} MB, ${r.video.plan.length} cuts)`);
  lines.push(`contact sheet  ${rel(r.match.sheet)}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  lines.push('');
  lines.push('Make one for your own song:');
  lines.push(`  npx clipmatch visualize path/to/song.mp3 --library ${rel(r.library)} --model ${rel(r.model)} -o my-video.mp4`);
  return lines.join('\n') + '\n';
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build a demo library, train a model and render a music video, all offline')
    .option('--dir <dir>', 'working folder of the demo', 'demo')
    .option('--model <dir>', 'model folder', 'models/demo')
    .option('--no-real-footage', 'use generated footage only (no Debian download)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { dir: string; model: string; realFootage: boolean; json?: boolean }) => {
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      const log = (line: string) => process.stderr.write(line + '\n');
      try {
        const r = await runDemo({
          dir: o.dir,
          modelDir: o.model,
          realFootage: o.realFootage,
          progress: bars.report,
          log: process.stderr.isTTY ? () => undefined : log,
          onEpoch: (e) => {
            if (!process.stderr.isTTY) log('     ' + formatEpoch(e, 60));
          },
        });
        bars.stop();
        process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : report(r));
      } finally {
        bars.stop();
      }
    });
}
