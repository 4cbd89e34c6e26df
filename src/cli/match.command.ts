// clipmatch match <audio file or URL>: the three closest and three farthest library clips for a 10-s
// window of a song, with a contact sheet PNG of all six.
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { env } from '../config.js';
import type { ClipHit, MatchResult } from '../core/visualize.types.js';
import { match } from '../services/match.service.js';
import { resolveSongInput } from '../services/song.js';
import { cliProgressBars } from './progress.js';

interface MatchCliOptions {
  library: string;
  model?: string;
  at?: number;
  sheet?: string;
  keepFlagged?: boolean;
  json?: boolean;
}

export const parseSeconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds >= 0');
  return n;
};

/** Default output name beside the working directory, from the song's file name (or "song" for links). */
export const stemOf = (input: string): string => {
  const name = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? 'song' : basename(input).replace(/\.[^.]+$/, '');
  return name.replace(/[^\w.-]+/g, '_') || 'song';
};

/** Aborts on Ctrl-C / SIGTERM so services remove their temp files; returns the undo. */
export function abortOnSignals(ac: AbortController): () => void {
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * The command-line frame around one song: Ctrl-C / SIGTERM abort `run`'s signal, a link is fetched to a file first
 * (under the bot's size and time limits), and the fetched file and the signal handlers are gone afterwards, also
 * on failure. `done` runs first on the way out (a progress display stopping).
 */
export async function withSongInput<T>(audio: string, run: (path: string, signal: AbortSignal) => Promise<T>, done: () => void = () => undefined): Promise<T> {
  const ac = new AbortController();
  const undo = abortOnSignals(ac);
  try {
    const input = await resolveSongInput(audio, { maxBytes: env().BOT_MAX_AUDIO_MB * 1_000_000, timeoutMs: env().BOT_FETCH_TIMEOUT_S * 1000, signal: ac.signal });
    try {
      return await run(input.path, ac.signal);
    } finally {
      done();
      await input.cleanup();
    }
  } finally {
    undo();
  }
}

function printHits(title: string, hits: ClipHit[]): string[] {
  return [title, ...hits.map((h, i) => `  ${i + 1}. ${h.clipId}  distance ${h.distance.toFixed(4)}  ${h.source} @ ${h.start.toFixed(1)} s`)];
}

function printMatch(r: MatchResult): void {
  const lines = [`window ${r.at.toFixed(1)}-${(r.at + 10).toFixed(1)} s`, ...printHits('closest:', r.closest), ...printHits('farthest:', r.farthest), `contact sheet: ${r.sheet}`];
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerMatch(program: Command): void {
  program
    .command('match')
    .description('find the 3 closest and 3 farthest library clips for 10 s of a song, with a contact sheet')
    .argument('<audio>', 'audio file (or a video with sound) or an http(s) link')
    .option('--library <dir>', 'library folder', env().CLIPMATCH_LIBRARY)
    .option('--model <dir>', 'trained model folder (default: CLIPMATCH_MODEL, else the untrained default)', env().CLIPMATCH_MODEL)
    .option('--at <seconds>', 'start of the 10-s window (default: the most energetic 10 s)', parseSeconds)
    .option('--sheet <path>', 'where to write the contact sheet PNG (default: <song>.sheet.png)')
    .option('--keep-flagged', 'also answer clips that are mostly title cards, credits, black, fades or frozen frames')
    .option('--json', 'print the result as JSON')
    .action(async (audio: string, o: MatchCliOptions) => {
      const bars = cliProgressBars(!o.json && process.stderr.isTTY);
      await withSongInput(
        audio,
        async (audioPath, signal) => {
          const result = await match(
            { audioPath, libraryDir: o.library, modelDir: o.model, at: o.at, sheetPath: o.sheet ?? `${stemOf(audio)}.sheet.png`, keepFlagged: o.keepFlagged ?? false, signal },
            bars.report,
          );
          bars.stop();
          if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
          else printMatch(result);
        },
        bars.stop,
      );
    });
}
