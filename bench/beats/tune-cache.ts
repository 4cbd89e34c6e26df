// Tuning aid: decodes every TUNE-set song once (first 120 s, 16 kHz), runs the frame analysis, and keeps
// what the grid tracker and its candidate features read (the onset envelopes of every band, the low bands'
// level, RMS, the harmonic bands' log power) with the song's reference beats, in one binary file per song
// under the system temp folder. Experiments (bench/beats/tune-selector.ts) then run in seconds, not minutes.
// Never reads the held-out set (round 4's audio set, heldout2, is tune data from round 5) unless
// `--with-heldout` (a second index, index-all.json); `--heldout7` caches the npm MIDI set alone
// (index-heldout7.json), `--heldout8` the eighth set alone (index-heldout8.json).
// Run: node --import tsx bench/beats/tune-cache.ts [--with-heldout | --heldout7 | --heldout8]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIO_SAMPLE_RATE } from '../../src/core/types.js';
import { analyzeFrames, HARMONIC_BANDS } from '../../src/features/audio/frames.js';
import { sanitizePcm } from '../../src/features/audio/extract.js';
import { decodePcm } from '../../src/media/ffmpeg.js';
import { benchSongs, heldout7BenchSongs, heldout8BenchSongs, referenceBeats, render, TUNE_SETS } from '../beats.bench.js';

export const TUNE_CACHE = join(tmpdir(), 'clipmatch-beats-tune-cache-v2');
const EVAL_SECONDS = 120;

export interface CachedSong {
  name: string;
  set: string;
  fps: number;
  /** time of frame 0, seconds */
  start: number;
  hopSeconds: number;
  onset: Float32Array;
  onsetLow: Float32Array;
  lowLevel: Float32Array;
  onsetMid: Float32Array;
  onsetHigh: Float32Array;
  rms: Float32Array;
  /** count * HARMONIC_BANDS (frames.ts harmonic) */
  harmonic: Float32Array;
  reference: number[];
}

function pack(c: CachedSong): Buffer {
  const head = Buffer.from(JSON.stringify({ name: c.name, set: c.set, fps: c.fps, start: c.start, hopSeconds: c.hopSeconds, reference: c.reference, count: c.onset.length }));
  const arrays = [c.onset, c.onsetLow, c.lowLevel, c.onsetMid, c.onsetHigh, c.rms, c.harmonic];
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return Buffer.concat([len, head, ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

export function unpack(b: Buffer): CachedSong {
  const hl = b.readUInt32LE(0);
  const h = JSON.parse(b.toString('utf8', 4, 4 + hl)) as Omit<CachedSong, 'onset' | 'onsetLow' | 'lowLevel' | 'onsetMid' | 'onsetHigh' | 'rms' | 'harmonic'> & { count: number };
  let off = 4 + hl;
  const take = (n: number) => {
    const a = new Float32Array(n);
    Buffer.from(a.buffer).set(b.subarray(off, off + n * 4));
    off += n * 4;
    return a;
  };
  const onset = take(h.count);
  const onsetLow = take(h.count);
  const lowLevel = take(h.count);
  const onsetMid = take(h.count);
  const onsetHigh = take(h.count);
  const rms = take(h.count);
  const harmonic = take(h.count * HARMONIC_BANDS);
  return { name: h.name, set: h.set, fps: h.fps, start: h.start, hopSeconds: h.hopSeconds, reference: h.reference, onset, onsetLow, lowLevel, onsetMid, onsetHigh, rms, harmonic };
}

/** Index files: the TUNE set; with the held-out set (heldout6) too, for tools that measure by leaving whole
 * sets out (a learned model) rather than by tuning on the TUNE set; the npm MIDI set (heldout7) alone; the
 * eighth set (heldout8) alone. */
const INDEX = { tune: 'index.json', all: 'index-all.json', heldout7: 'index-heldout7.json', heldout8: 'index-heldout8.json' } as const;
export type CacheSelection = keyof typeof INDEX;

/** The cached songs of a selection (`all`: cached by `--with-heldout`; `heldout7`: by `--heldout7`; `heldout8`: by
 * `--heldout8`). */
export function loadTuneCache(which: CacheSelection | boolean = 'tune'): CachedSong[] {
  const sel: CacheSelection = which === true ? 'all' : which === false ? 'tune' : which;
  const index = join(TUNE_CACHE, INDEX[sel]);
  if (!existsSync(index)) throw new Error('no tune cache: run node --import tsx bench/beats/tune-cache.ts');
  const names = JSON.parse(readFileSync(index, 'utf8')) as string[];
  return names.map((n) => unpack(readFileSync(join(TUNE_CACHE, `${n}.bin`))));
}

if (process.argv[1]?.endsWith('tune-cache.ts')) {
  mkdirSync(TUNE_CACHE, { recursive: true });
  const names: string[] = [];
  const sel: CacheSelection = process.argv.includes('--heldout8')
    ? 'heldout8'
    : process.argv.includes('--heldout7')
      ? 'heldout7'
      : process.argv.includes('--with-heldout')
        ? 'all'
        : 'tune';
  const songs =
    sel === 'heldout8' ? heldout8BenchSongs() : sel === 'heldout7' ? heldout7BenchSongs() : benchSongs({ heldout: sel === 'all' }).filter((s) => sel === 'all' || TUNE_SETS.includes(s.set));
  for (const song of songs) {
    const file = join(TUNE_CACHE, `${song.name}.bin`);
    names.push(song.name);
    if (existsSync(file)) continue;
    const wav = 'midi' in song ? await render(song) : await song.audio();
    const pcm = await decodePcm(wav, AUDIO_SAMPLE_RATE, { duration: EVAL_SECONDS });
    const fa = analyzeFrames(sanitizePcm(pcm), AUDIO_SAMPLE_RATE, false);
    const start = (fa.win - fa.hop / 2) / AUDIO_SAMPLE_RATE;
    const c: CachedSong = {
      name: song.name,
      set: song.set,
      fps: AUDIO_SAMPLE_RATE / fa.hop,
      start,
      hopSeconds: fa.hop / AUDIO_SAMPLE_RATE,
      onset: fa.onset,
      onsetLow: fa.onsetLow,
      lowLevel: fa.lowLevel,
      onsetMid: fa.onsetMid,
      onsetHigh: fa.onsetHigh,
      rms: fa.rms,
      harmonic: fa.harmonic,
      reference: referenceBeats(song, pcm, pcm.length / AUDIO_SAMPLE_RATE),
    };
    writeFileSync(file, pack(c));
    process.stderr.write(`  cached ${song.name}\n`);
  }
  writeFileSync(join(TUNE_CACHE, INDEX[sel]), JSON.stringify(names));
  process.stderr.write(`${names.length} songs in ${TUNE_CACHE}\n`);
}
