// Progress bars for long CLI work: one bar per stage, with ETA, on stderr (stdout stays for results).
// Off when stderr is not a terminal or with --json, where a short line per finished stage is logged.
import cliProgress from 'cli-progress';
import type { ProgressFn } from '../core/types.js';

export interface CliProgress {
  report: ProgressFn;
  stop(): void;
}

export function cliProgressBars(enabled = process.stderr.isTTY): CliProgress {
  if (!enabled) {
    const lastPct = new Map<string, number>();
    return {
      report: (stage, done, total) => {
        // Non-interactive: one line each 25% so logs show movement without flooding.
        if (total <= 0) return;
        const pct = Math.floor((done / total) * 4) * 25;
        if (pct !== lastPct.get(stage) && (pct > 0 || done === 0)) {
          lastPct.set(stage, pct);
          process.stderr.write(`${stage}: ${done}/${total} (${pct}%)\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {stage} |{bar}| {value}/{total} | {percentage}% | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    report: (stage, done, total) => {
      let bar = bars.get(stage);
      if (!bar) {
        bar = multi.create(Math.max(total, 1), 0, { stage: stage.padEnd(14) });
        bars.set(stage, bar);
      }
      if (total > 0) bar.setTotal(total);
      bar.update(done, { stage: stage.padEnd(14) });
    },
    stop: () => multi.stop(),
  };
}
