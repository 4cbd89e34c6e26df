// The tracker-independent reference check (check-reference.ts: the onset envelope at the reference beats against
// shifted grids and cross pulses, and the lag where it peaks in each half; the verdict of check-reference3.ts) on
// every song of the tune set and held-out 6, over the first 120 s the bench scores. Held-out 3 to 8 were checked so
// before they were scored (and the songs that failed left out); the first sets (synthetic, real, held-out 1, extra)
// never were, and held-out 2 only for lags. Here all are checked the same way, to tell songs whose notated grid is
// not where the audio's onsets are from songs a tracker gets wrong. Nothing is left out of any set by this script.
// It never runs the beat tracker.
// Run: node --import tsx bench/beats/check-reference-tune.ts [--json] [--only NAME,...]
import { pathToFileURL } from 'node:url';
import { AUDIO_SAMPLE_RATE } from '../../src/core/types.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import { benchSongs, referenceBeats, render } from '../beats.bench.js';
import { checkCli, checkReference, type ReferenceCheck } from './check-reference.js';
import { suspicion } from './check-reference3.js';
import { medianBpm } from './heldout7.js';

const EVAL_SECONDS = 120;

export interface ReferenceCheckTune extends ReferenceCheck {
  set: string;
  /** mean envelope at the beats over that at the beats shifted by half a beat */
  ratioHalf: number;
  suspect: string | null;
}

export async function run(only?: readonly string[]): Promise<{ checks: ReferenceCheckTune[]; leftOut: { name: string; reason: string }[] }> {
  const checks: ReferenceCheckTune[] = [];
  for (const song of benchSongs({ heldout: true }).filter((s) => !only || only.includes(s.name))) {
    process.stderr.write(`  check: ${song.name}\n`);
    const t0 = performance.now();
    const wav = 'midi' in song ? await render(song) : await song.audio();
    const renderMs = performance.now() - t0;
    const pcm = await decodePcm(wav, AUDIO_SAMPLE_RATE, { duration: EVAL_SECONDS });
    const seconds = pcm.length / AUDIO_SAMPLE_RATE;
    const reference = referenceBeats(song, pcm, seconds);
    const c = checkReference(pcm, AUDIO_SAMPLE_RATE, reference);
    checks.push({
      name: song.name,
      set: song.set,
      source: 'midi' in song ? 'MIDI' : 'audio',
      bpm: Math.round(medianBpm(reference) * 100) / 100,
      seconds: Math.round(seconds * 10) / 10,
      beats: reference.length,
      ...c,
      renderMs: Math.round(renderMs),
      ratioHalf: Math.round((c.at['0']! / Math.max(1e-9, c.at['0.5 beat']!)) * 100) / 100,
      suspect: suspicion(c),
    });
  }
  return { checks, leftOut: [] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await checkCli(run, (checks) => {
    const sets = [...new Set(checks.map((c) => c.set))];
    return [
      '| set | songs | suspect | of which: half-beat shift higher | a cross pulse as high | peak lag |',
      '|---|---:|---:|---:|---:|---:|',
      ...sets.map((s) => {
        const cs = checks.filter((c) => c.set === s);
        const has = (w: string) => cs.filter((c) => c.suspect?.includes(w)).length;
        return `| ${s} | ${cs.length} | ${cs.filter((c) => c.suspect).length} | ${has('half-beat')} | ${has('pulse')} | ${has('peak lag')} |`;
      }),
      '',
      '| song | set | BPM | 0 / ½ | suspect |',
      '|---|---|---:|---:|---|',
      ...checks.filter((c) => c.suspect).map((c) => `| ${c.name} | ${c.set} | ${c.bpm} | ${c.ratioHalf.toFixed(2)} | ${c.suspect} |`),
    ];
  });
}
