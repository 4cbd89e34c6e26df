// The eighth held-out beat set (bench set 'heldout8'; kept UNSEEN by the tracker until the lead scores it
// once): real music from Debian packages that no other set reads, each with a grid from its own data.
// - Tracker modules (.xm, .mod, .s3m, .it) of Debian games that heldout5/6's MODULE_DIRS does not hold
//   (MODULE_DIRS8: fb-music-high (Frozen Bubble's main theme), flobopuyo, rockdodger, solarwolf, dodgindiamond2,
//   gweled, ceferino-data, cuyo-data; tuxtype-data's three are tuxmath's files again), through heldout5's
//   pipeline (heldout5.ts moduleSetSongs: rendered by openmpt123, the reference from the pattern data by
//   modules.ts, the same filters: no tempo slides, pattern loops or F00; song length confirmed by openmpt123
//   --info; 30 s or more; 60-180 BPM; rows per beat from the IT highlight or the 24-tick convention), a file
//   whose SHA-1 is one of MODULE_DIRS' files left out. Licences: GPL-2 (fb-music-high, flobopuyo, rockdodger,
//   ceferino-data, cuyo-data), GPL-2+ (dodgindiamond2, gweled), LGPL-2.1 (solarwolf), per their copyright files.
// - TSE3's demo songs (package libtse3-dev, /usr/share/doc/libtse3-dev/songs: Pete Goodliffe's TSE3MDL songs,
//   GPL), turned into MIDI by tse3play (package tse3play: `tse3play -np -stream -omidi x.mid song.tse3`),
//   and midge's example songs (package midge, /usr/share/doc/midge/examples: David Riley's text-to-MIDI songs,
//   GPL-2+; the `orig` songs and the tutorial), compiled by midge with a fixed seed (MIDGE_SEED: its %choose and
//   %chain blocks pick notes at random, never the timing). Both are cached beside the renders, played by
//   TiMidity++ with freepats (heldout3.ts timiditySpec), the reference their notated grid (heldout3.ts
//   midiReference); heldout7's MIDI filters (midiProblem7: quantised (smf.ts quantisedShare >= 0.85), 30 s or
//   more of notes, a reference beat of 40-200 BPM), a file whose SHA-1 is another set's MIDI left out.
// Then, for both, the onset check's verdicts (CHECK_LEFT_OUT8, from bench/beats/check-reference8.ts, which
// looks only at onset envelopes against the reference) and at most SONGS_PER_PACKAGE8 songs of one package
// (modules: the composer's highlight first, then the longest; MIDI: the longest, then by name).
// 16 songs of 60 files listed (2026-12). Nothing here runs the beat tracker.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AudioSongSpec, type LeftOut, onPath, sha, slug } from './heldout.js';
import { admitMidis, CACHE, FREEPATS_CFG, noteSpanSeconds, RENDER_SECONDS, timiditySpec } from './heldout3.js';
import { moduleSetSongs, type RowsPerBeatSource } from './heldout5.js';
import { midiProblem7 } from './heldout7.js';

export { CACHE };

/** Debian packages with tracker modules that heldout5's MODULE_DIRS does not hold: [package, folder] */
export const MODULE_DIRS8: readonly (readonly [string, string])[] = [
  ['ceferino-data', '/usr/share/games/ceferino/music'],
  ['cuyo-data', '/usr/share/games/cuyo/sounds'],
  ['dodgindiamond2', '/usr/share/games/dodgindiamond2'],
  ['fb-music-high', '/usr/share/games/frozen-bubble/snd'],
  ['flobopuyo', '/usr/share/games/flobopuyo/sfx'],
  ['gweled', '/usr/share/sounds/gweled'],
  ['rockdodger', '/usr/share/rockdodger'],
  ['solarwolf', '/usr/share/games/solarwolf/data/music'],
  ['tuxtype-data', '/usr/share/tuxtype/sounds'],
];
/** TSE3's demo songs (TSE3MDL, gzipped) */
export const TSE3_SONG_DIR = '/usr/share/doc/libtse3-dev/songs';
/** midge's example songs: [name prefix, folder] */
export const MIDGE_DIRS: readonly (readonly [string, string])[] = [
  ['midge_', '/usr/share/doc/midge/examples/orig'],
  ['midge_tutorial_', '/usr/share/doc/midge/examples/tutorial'],
];
/** midge's random seed (`-s`): the same MIDI on every machine */
export const MIDGE_SEED = 1;
export const SONGS_PER_PACKAGE8 = 4;

/** a heldout8 song: an AudioSongSpec with where it comes from */
export type AudioSongSpec8 = AudioSongSpec & {
  package: string;
  /** the song's length (s): a module's played length, a MIDI file's note span */
  seconds: number;
  /** a module's rows per beat and where they come from */
  rowsPerBeat?: number;
  rowsPerBeatFrom?: RowsPerBeatSource;
  format?: string;
  /** a midge tutorial example rather than one of its songs (capped after them) */
  tutorial?: boolean;
};

// ---------------------------------------------------------------- TSE3 and midge into MIDI

/** Runs `convert(dir, input)` on a copy of `bytes` named `fileName` in a temp folder; it must write
 * `dir/out.mid`. The MIDI is cached under `cache` as `<prefix>-<key>.mid`. */
function cachedMidi(cache: string, prefix: string, key: string, fileName: string, bytes: Buffer, convert: (dir: string, input: string) => void, tool: string): Buffer {
  mkdirSync(cache, { recursive: true });
  const mid = join(cache, `${prefix}-${key.slice(0, 16)}.mid`);
  if (existsSync(mid)) return readFileSync(mid);
  const dir = mkdtempSync(join(tmpdir(), `clipmatch-${prefix}-`));
  try {
    writeFileSync(join(dir, fileName), bytes);
    convert(dir, join(dir, fileName));
    if (!existsSync(join(dir, 'out.mid'))) throw new Error(`${tool} wrote no MIDI for ${fileName}`);
    renameSync(join(dir, 'out.mid'), `${mid}.${process.pid}.part`);
    renameSync(`${mid}.${process.pid}.part`, mid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return readFileSync(mid);
}

/** the file's bytes, gunzipped where its name ends in .gz, and its name without the .gz */
export function readMaybeGz(file: string): { name: string; bytes: Buffer } {
  const raw = readFileSync(file);
  return file.endsWith('.gz') ? { name: basename(file).slice(0, -3), bytes: gunzipSync(raw) } : { name: basename(file), bytes: raw };
}

/** tse3play's MIDI export of a TSE3MDL (or TSE2) song, cached under `cache` by the song's bytes */
export function tse3Midi(file: string, cache: string): Buffer {
  const { name, bytes } = readMaybeGz(file);
  return cachedMidi(cache, 'tse3', sha('tse3play -omidi', bytes), name, bytes, (dir, input) => execFileSync('tse3play', tse3playArgs(input, join(dir, 'out.mid')), { cwd: dir, timeout: 120_000, stdio: 'ignore' }), 'tse3play');
}

/** tse3play args: no playback (the stream scheduler, no MIDI device), the song written as a MIDI file */
export function tse3playArgs(input: string, out: string): string[] {
  return ['-np', '-stream', '-omidi', out, input];
}

/** midge's MIDI of a song, with MIDGE_SEED, cached under `cache` by the song's bytes */
export function midgeMidi(file: string, cache: string, seed = MIDGE_SEED): Buffer {
  const { name, bytes } = readMaybeGz(file);
  return cachedMidi(cache, 'midge', sha('midge -s', String(seed), bytes), name, bytes, (dir, input) => execFileSync('midge', midgeArgs(input, join(dir, 'out.mid'), seed), { cwd: dir, timeout: 120_000, stdio: 'ignore' }), 'midge');
}

/** midge args: quiet, a fixed random seed, the MIDI written to `out` */
export function midgeArgs(input: string, out: string, seed = MIDGE_SEED): string[] {
  return ['-q', '-s', String(seed), '-o', out, input];
}

// ---------------------------------------------------------------- candidates

/** a MIDI candidate: a song file and how it becomes MIDI */
export interface MidiCandidate8 {
  name: string;
  pkg: string;
  source: 'tse3' | 'midge';
  file: string;
  midi: () => Buffer;
  tutorial?: boolean;
}

/** The song files of a folder whose names match `re` (gzipped or not), sorted, named `prefix` + their stem. */
export function songFiles(dir: string, re: RegExp, prefix: string): { name: string; file: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => re.test(f.replace(/\.gz$/, '')))
    .sort()
    .map((f) => ({ name: `${prefix}${slug(f.replace(/\.gz$/, '').replace(/\.[^.]+$/, ''))}`, file: join(dir, f) }));
}

/** TSE3's songs and midge's examples as candidates (`toMidi` turns one into MIDI), and the sources left out:
 * a package not installed, a converter missing. */
export function midiCandidates8(
  cache: string,
  opts: { tse3Dir?: string; midgeDirs?: readonly (readonly [string, string])[]; tse3?: (file: string) => Buffer; midge?: (file: string) => Buffer } = {},
): { candidates: MidiCandidate8[]; leftOut: LeftOut[] } {
  const candidates: MidiCandidate8[] = [];
  const leftOut: LeftOut[] = [];
  const tse3Dir = opts.tse3Dir ?? TSE3_SONG_DIR;
  if (!existsSync(tse3Dir)) leftOut.push({ name: 'tse3_*', reason: 'not installed (apt-get install libtse3-dev)' });
  else if (!opts.tse3 && !onPath('tse3play')) leftOut.push({ name: 'tse3_*', reason: 'the tse3play program is not installed (apt-get install tse3play)' });
  else {
    const toMidi = opts.tse3 ?? ((f: string) => tse3Midi(f, cache));
    for (const s of songFiles(tse3Dir, /\.tse[23]$/i, 'tse3_')) {
      // Demo.tse2 and Demo.tse3 are one song in TSE3's two formats: the older one gets its own name
      const name = /\.tse2(\.gz)?$/i.test(s.file) ? `${s.name}_tse2` : s.name;
      candidates.push({ name, pkg: 'libtse3-dev', source: 'tse3', file: s.file, midi: () => toMidi(s.file) });
    }
  }
  const midgeDirs = opts.midgeDirs ?? MIDGE_DIRS;
  if (!midgeDirs.some(([, d]) => existsSync(d))) leftOut.push({ name: 'midge_*', reason: 'not installed (apt-get install midge)' });
  else if (!opts.midge && !onPath('midge')) leftOut.push({ name: 'midge_*', reason: 'the midge program is not installed (apt-get install midge)' });
  else {
    const toMidi = opts.midge ?? ((f: string) => midgeMidi(f, cache));
    for (const [prefix, dir] of midgeDirs)
      for (const s of songFiles(dir, /\.mg$/i, prefix))
        candidates.push({ name: s.name, pkg: 'midge', source: 'midge', file: s.file, midi: () => toMidi(s.file), ...(/tutorial/.test(prefix) ? { tutorial: true } : {}) });
  }
  return { candidates, leftOut };
}

/** At most `cap` songs of a package: its songs before its tutorial examples, the longest first (up to
 * RENDER_SECONDS), then by name. */
export function capPerPackage<T extends { name: string; package: string; seconds: number; tutorial?: boolean }>(songs: readonly T[], cap = SONGS_PER_PACKAGE8): { kept: T[]; leftOut: LeftOut[] } {
  const ordered = [...songs].sort(
    (a, b) => Number(!!a.tutorial) - Number(!!b.tutorial) || Math.min(RENDER_SECONDS, b.seconds) - Math.min(RENDER_SECONDS, a.seconds) || a.name.localeCompare(b.name),
  );
  const count = new Map<string, number>();
  const kept: T[] = [];
  const leftOut: LeftOut[] = [];
  for (const s of ordered) {
    if ((count.get(s.package) ?? 0) >= cap) leftOut.push({ name: s.name, reason: `${cap} songs of ${s.package} already (its songs before its tutorial, the longest first)` });
    else {
      count.set(s.package, (count.get(s.package) ?? 0) + 1);
      kept.push(s);
    }
  }
  return { kept, leftOut };
}

// ---------------------------------------------------------------- the set

/** Songs whose reference failed the onset check (bench/beats/check-reference8.ts, which never runs the
 * tracker), left out with the reason before the caps. */
export const CHECK_LEFT_OUT8: Readonly<Record<string, string>> = {
  midge_techno: 'the half-beat shift scores higher (0 / ½ = 0.41); a 3/4 pulse across the beat scores as high as the beats (3/4 at 136 BPM)',
  midge_tutorial_time_choose: 'the half-beat shift scores higher (0 / ½ = 0.95)',
  midge_under_the_sun: 'the half-beat shift scores higher (0 / ½ = 0.42); a 3/4 pulse across the beat scores as high as the beats (80 BPM)',
  mod_cuyo_cuyo: 'the half-beat shift scores higher; a 3/4 pulse across the beat scores as high as the beats (4 rows per beat, convention, 125 BPM)',
  mod_rockdodger_front_1: 'the half-beat shift scores higher (8 rows per beat, convention, 93.8 BPM)',
  mod_solarwolf_arg: 'convention grid not clear: 0 / ½ = 1.11 (< 1.15) (8 rows per beat, convention, 128.1 BPM)',
  mod_solarwolf_aster2_sw: 'convention grid not clear: 0 / ½ = 1.10 (< 1.15) (8 rows per beat, convention, 120 BPM)',
};

export interface Heldout8Options {
  /** the onset check's verdicts to apply (default CHECK_LEFT_OUT8) */
  checkLeftOut?: Readonly<Record<string, string>>;
  /** the most songs of one package (default SONGS_PER_PACKAGE8) */
  perPackage?: number;
  /** SHA-1s of the module files other sets read (heldout5/6's MODULE_DIRS): a match is left out */
  otherModules?: ReadonlySet<string>;
  /** SHA-1s of the MIDI files other sets read: a match is left out */
  otherMidis?: ReadonlySet<string>;
  moduleDirs?: readonly (readonly [string, string])[];
  /** stand-in for openmpt123 --info (tests) */
  moduleLength?: (file: string) => number | null;
  tse3Dir?: string;
  midgeDirs?: readonly (readonly [string, string])[];
  /** stand-ins for tse3play and midge (tests) */
  tse3?: (file: string) => Buffer;
  midge?: (file: string) => Buffer;
  /** whether TiMidity++ and freepats may be taken as there (tests; default: looked for) */
  timidity?: boolean;
}

/** Every heldout8 song whose package is installed, and the ones left out with the reason. Runs openmpt123
 * --info, and tse3play and midge where their MIDI is not cached yet; renders nothing. */
export function heldout8Songs(cache = CACHE, opts: Heldout8Options = {}): { songs: AudioSongSpec8[]; leftOut: LeftOut[] } {
  const checkLeftOut = opts.checkLeftOut ?? CHECK_LEFT_OUT8;
  const cap = opts.perPackage ?? SONGS_PER_PACKAGE8;
  const leftOut: LeftOut[] = [];
  const songs: AudioSongSpec8[] = [];
  const mods = moduleSetSongs('heldout8 mod_*', opts.moduleDirs ?? MODULE_DIRS8, {
    checkLeftOut,
    perPackage: cap,
    ...(opts.otherModules ? { otherSets: opts.otherModules } : {}),
    ...(opts.moduleLength ? { lengthOf: opts.moduleLength } : {}),
  });
  leftOut.push(...mods.leftOut);
  for (const s of mods.songs) songs.push({ ...s, seconds: s.songSeconds });
  const { candidates, leftOut: missing } = midiCandidates8(cache, opts);
  leftOut.push(...missing);
  if (candidates.length && !(opts.timidity ?? (onPath('timidity') && existsSync(FREEPATS_CFG)))) {
    leftOut.push({ name: 'tse3_*, midge_*', reason: 'timidity or freepats is not installed (apt-get install timidity freepats)' });
  } else {
    const admitted: AudioSongSpec8[] = [];
    admitMidis(
      candidates,
      (c, midi) => (opts.otherMidis?.has(sha(midi)) ? 'the same file as a song of another set' : (checkLeftOut[c.name] ?? midiProblem7(midi))),
      (c, midi) => ({ ...timiditySpec(c.name, midi, c.source), package: c.pkg, seconds: noteSpanSeconds(midi), ...(c.tutorial ? { tutorial: true } : {}) }),
      admitted,
      leftOut,
    );
    const { kept, leftOut: capped } = capPerPackage(admitted, cap);
    songs.push(...kept);
    leftOut.push(...capped);
  }
  songs.sort((a, b) => a.name.localeCompare(b.name));
  return { songs, leftOut };
}
