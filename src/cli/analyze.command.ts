// clipmatch analyze <song> [--json] [--png out.png]: the tempo, beat grid, bar lines and sections the
// montage is cut to, as text, JSON or a picture.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { analyzeSong, type SongAnalysis } from '../features/audio/song-analysis.js';
import type { GridCorrection } from '../core/grid-correction.js';
import { writeAnalysisPng } from '../media/analysis-png.js';
import { loadSong, MAX_SONG_SECONDS } from '../services/song.js';
import { withSongInput } from './match.command.js';
import { addBeatOptions, gridCorrectionOf, type BeatCliOptions } from './beat-options.js';

interface AnalyzeCliOptions extends BeatCliOptions {
  json?: boolean;
  png?: string;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** The JSON `analyze --json` prints: times in seconds, rounded to the millisecond. */
export function analysisJson(a: SongAnalysis): Record<string, unknown> {
  return {
    duration: r3(a.duration),
    tempo: Math.round(a.tempo * 10) / 10,
    beatsPerBar: a.beatsPerBar,
    beats: a.beats.map(r3),
    downbeats: a.downbeats.map(r3),
    sections: a.sections.map((s) => ({ start: r3(s.start), end: r3(s.end), label: s.label, energy: s.energy })),
  };
}

const clock = (t: number) => `${Math.floor(t / 60)}:${(t % 60).toFixed(1).padStart(4, '0')}`;

/** How the grid was corrected, for the summary line: '' when it was not. */
function correctionText(c: GridCorrection | undefined): string {
  const parts = [...(c?.level ? [`${c.level} tempo`] : []), ...(c?.phase ? [`moved ${c.phase} of a beat later`] : [])];
  return parts.length ? ` (grid corrected: ${parts.join(', ')})` : '';
}

function printAnalysis(a: SongAnalysis, png?: string, grid?: GridCorrection): void {
  const lines = [
    a.tempo > 0 ? `tempo ${a.tempo.toFixed(1)} BPM, ${a.beatsPerBar} beats a bar${correctionText(grid)}` : 'no steady beat found',
    `${a.beats.length} beats, ${a.downbeats.length} bars, ${a.sections.length} section(s) over ${clock(a.duration)}`,
    ...a.sections.map((s) => `  ${s.label}  ${clock(s.start).padStart(6)} - ${clock(s.end).padEnd(6)}  energy ${s.energy.toFixed(2)}`),
  ];
  if (png) lines.push(`picture: ${png}`);
  process.stdout.write(lines.join('\n') + '\n');
}

export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('tempo, beats, downbeats and sections of a song (text, --json, or a --png picture)')
    .argument('<audio>', 'audio file (or a video with sound) or an http(s) link')
    .option('--json', 'print {tempo, beats, downbeats, sections} as JSON')
    .option('--png <file>', 'draw beats, downbeats and sections on the waveform and onset envelope');
  addBeatOptions(cmd).action(async (audio: string, o: AnalyzeCliOptions) => {
    if (o.png !== undefined && !/\.png$/i.test(o.png)) throw new UserError('BAD_INPUT', '--png needs a file name ending in .png');
    if (o.png !== undefined && !(existsSync(dirname(o.png)) && statSync(dirname(o.png)).isDirectory())) throw new UserError('BAD_INPUT', `the folder of ${basename(o.png)} does not exist`);
    await withSongInput(audio, async (path, signal) => {
      const song = await loadSong(path, { maxSeconds: MAX_SONG_SECONDS, signal });
      const grid = gridCorrectionOf(o);
      const a = analyzeSong(song.pcm, song.sampleRate, grid ? { grid } : {});
      if (o.png) {
        await writeAnalysisPng({ ...a, pcm: song.pcm, sampleRate: song.sampleRate, title: basename(audio).slice(0, 60) }, o.png, { signal });
      }
      if (o.json) process.stdout.write(JSON.stringify(analysisJson(a)) + '\n');
      else printAnalysis(a, o.png, grid);
    });
  });
}
