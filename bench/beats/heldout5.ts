// The fifth held-out beat set (bench set 'heldout5'; kept UNSEEN by the tracker until it is scored once): real
// songs from tracker modules (.it, .s3m, .xm, .mod) that Debian's games ship as their music, rendered by
// libopenmpt's openmpt123 (its first subsong, from order 0 row 0, with no lead-in; mono 48 kHz, then cut to
// the first RENDER_SECONDS and resampled to a mono 22.05 kHz float wav). The reference is the module's own
// timing (bench/beats/modules.ts): every row timed from the pattern data as the player times it (row = speed
// ticks, a tick = floor(48000 * 2.5 / tempo) samples, speed/tempo effects, jumps, breaks, pattern delays),
// and a beat on every `rowsPerBeat`-th row of each pattern. Rows per beat: the composer's row highlight stored
// in an IT file where it is not Impulse Tracker's default (4 rows per beat, 16 per measure); else the
// trackers' convention of a beat every 24 ticks (4 rows at speed 4 to 8, 8 rows at speed 2 or 3, 2 rows at
// speed 9 to 12, twice as many where that is faster than 180 BPM; 'convention'), taken only where bench/beats/check-reference5.ts finds the onset envelope
// clearly on that grid. Left out: songs with tempo slides, pattern loops or an F00 stop; songs whose timing
// openmpt123 --info does not confirm (song length off by more than 50 ms); beats that change more than 3 %
// (speed or tempo changes) or patterns left or entered off the beat; songs under 30 s; a beat outside
// 60-180 BPM; more than SONGS_PER_PACKAGE songs of one package (the composer's highlight first, then the
// longest songs). Nothing here runs the beat tracker.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { type AudioSongSpec, type LeftOut, onPath, sha, slug } from './heldout.js';
import { CACHE, RENDER_SECONDS, renderThenTrim } from './heldout3.js';
import { moduleReference, parseModule, playRows, type Playback, type TrackerModule } from './modules.js';

const run$ = promisify(execFile);

export { CACHE };
/** openmpt123 renders at this rate; the reference times ticks at it (libopenmpt rounds a tick down to samples) */
export const RENDER_RATE = 48000;
export const MIN_SONG_SECONDS = 30;
export const SONGS_PER_PACKAGE = 2;
export const MIN_BPM = 60;
export const MAX_BPM = 180;
/** the song length openmpt123 --info reports may differ from the reference's this much (s) */
export const MAX_LENGTH_DIFF = 0.05;

/** Debian packages whose music is tracker modules: [package, folder] (every .it/.s3m/.xm/.mod in it, sorted) */
export const MODULE_DIRS: readonly (readonly [string, string])[] = [
  ['bb', '/usr/share/bb'],
  ['biniax2-data', '/usr/share/games/biniax2/music'],
  ['bomberclone-data', '/usr/share/games/bomberclone/music'],
  ['circuslinux-data', '/usr/share/games/circuslinux/data/music'],
  ['criticalmass-data', '/usr/share/games/criticalmass'],
  ['freedroid-data', '/usr/share/games/freedroid/sound'],
  ['gemdropx', '/usr/share/games/gemdropx/sounds'],
  ['gl-117-data', '/usr/share/games/gl-117/music'],
  ['gltron', '/usr/share/games/gltron/music'],
  ['heroes-sound-tracks', '/usr/share/games/heroes/mod'],
  ['ironseed-data', '/usr/share/games/ironseed/sound'],
  ['madbomber-data', '/usr/share/games/madbomber/music'],
  ['monsterz-data', '/usr/share/games/monsterz/sound'],
  ['njam-data', '/usr/share/games/njam/data'],
  ['open-invaders-data', '/usr/share/open-invaders'],
  ['pachi-data', '/usr/share/pachi/music'],
  ['pekka-kana-2-data', '/usr/share/games/pekka-kana-2/data/music'],
  ['penguin-command', '/usr/share/games/penguin-command/sound'],
  ['pingus-data', '/usr/share/games/pingus/data/music'],
  ['rafkill-data', '/usr/share/games/rafkill/music'],
  ['ri-li-data', '/usr/share/games/ri-li/Ri-li/Sounds'],
  ['tecnoballz-data', '/usr/share/games/tecnoballz/musics'],
  ['tomatoes-data', '/usr/share/tomatoes/music'],
  ['tuxmath-data', '/usr/share/tuxmath/sounds'],
  ['vectoroids', '/usr/share/games/vectoroids/music'],
  ['vodovod', '/usr/share/games/vodovod'],
];

/** where a song's rows per beat come from */
export type RowsPerBeatSource = 'highlight' | 'convention';

/** a heldout5 song: an AudioSongSpec with what its grid rests on */
export type AudioSongSpec5 = AudioSongSpec & {
  package: string;
  format: string;
  rowsPerBeat: number;
  rowsPerBeatFrom: RowsPerBeatSource;
  /** beats per measure from the IT highlight, when stored */
  meter?: string;
  songSeconds: number;
};

/** the speed (ticks per row) that lasts longest over the played rows */
export function mainSpeed(p: Playback): number {
  const d = new Map<number, number>();
  for (const r of p.rows) d.set(r.speed, (d.get(r.speed) ?? 0) + r.duration);
  return [...d].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 6;
}

/** Rows per beat: the IT highlight where it is stored and not Impulse Tracker's default 4/16, else a beat every
 * 24 ticks at the main speed (4 rows at speed 4-8, 8 rows at 2-3, 2 rows at 9-12), else null. */
export function rowsPerBeat(m: TrackerModule, speed: number): { rows: number; from: RowsPerBeatSource; meter?: string } | null {
  const h = m.highlight;
  if (h && h.beat > 0 && !(h.beat === 4 && h.measure === 16)) {
    const meter = h.measure > 0 && h.measure % h.beat === 0 ? `${h.measure / h.beat} beats` : undefined;
    return { rows: h.beat, from: 'highlight', ...(meter ? { meter } : {}) };
  }
  if (speed >= 4 && speed <= 8) return { rows: 4, from: 'convention' };
  if (speed === 2 || speed === 3) return { rows: 8, from: 'convention' };
  if (speed >= 9 && speed <= 12) return { rows: 2, from: 'convention' };
  return null;
}

const lengths = new Map<string, number | null>();

/** the song length (s) of the first subsong as openmpt123 --info reports it, or null */
export function openmptLength(file: string): number | null {
  // one openmpt123 run a file and process: the bench lists heldout5 and heldout6 from the same files
  if (!lengths.has(file)) {
    const info = execFileSync('openmpt123', ['--info', '--subsong', '0', file], { encoding: 'utf8', timeout: 60_000 });
    const d = /Duration\.+: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)/.exec(info);
    lengths.set(file, d ? Number(d[1] ?? 0) * 3600 + Number(d[2]) * 60 + Number(d[3]) : null);
  }
  return lengths.get(file)!;
}

/** openmpt123 args: the first subsong, mono, RENDER_RATE, float wav, a second past RENDER_SECONDS */
export function openmptArgs(file: string, out: string): string[] {
  return ['--batch', '-q', '--subsong', '0', '--samplerate', String(RENDER_RATE), '--channels', '1', '--end-time', String(RENDER_SECONDS + 1), '-o', out, '--', file];
}

export interface ModuleCandidate {
  name: string;
  pkg: string;
  file: string;
}

/** The reference and what it rests on, or why the song is left out. */
export function moduleSong(bytes: Uint8Array, lengthFromOpenmpt: number | null):
  | { problem: string }
  | { problem: null; module: TrackerModule; reference: number[]; bpm: number; rowsPerBeat: number; from: RowsPerBeatSource; meter?: string; songSeconds: number } {
  let m: TrackerModule;
  try {
    m = parseModule(bytes);
  } catch (e) {
    return { problem: (e as Error).message };
  }
  const whole = playRows(m, Infinity, RENDER_RATE);
  if (whole.problems.length) return { problem: `timing effects the reference does not follow: ${whole.problems.join(', ')}` };
  if (whole.end < MIN_SONG_SECONDS) return { problem: `${whole.end.toFixed(1)} s of song (under ${MIN_SONG_SECONDS} s)` };
  if (lengthFromOpenmpt === null) return { problem: 'openmpt123 --info reports no duration' };
  if (Math.abs(lengthFromOpenmpt - whole.end) > MAX_LENGTH_DIFF) return { problem: `song length ${whole.end.toFixed(3)} s, openmpt123 says ${lengthFromOpenmpt.toFixed(3)} s` };
  const speed = mainSpeed(playRows(m, RENDER_SECONDS, RENDER_RATE));
  const rpb = rowsPerBeat(m, speed);
  if (!rpb) return { problem: `main speed ${speed}: no rows-per-beat convention` };
  let grid = moduleReference(whole, rpb.rows, RENDER_SECONDS);
  // a convention grid faster than MAX_BPM (4 rows at speed 4, 8 at speed 2): the beat is twice as many rows
  if (rpb.from === 'convention' && !grid.problem && grid.bpm > MAX_BPM) {
    rpb.rows *= 2;
    grid = moduleReference(whole, rpb.rows, RENDER_SECONDS);
  }
  if (grid.problem) return { problem: `${rpb.rows} rows per beat (${rpb.from}): ${grid.problem}` };
  if (grid.bpm < MIN_BPM || grid.bpm > MAX_BPM) return { problem: `${rpb.rows} rows per beat (${rpb.from}) at speed ${speed} gives ${grid.bpm.toFixed(1)} BPM` };
  return { problem: null, module: m, reference: grid.beats, bpm: grid.bpm, rowsPerBeat: rpb.rows, from: rpb.from, ...(rpb.meter ? { meter: rpb.meter } : {}), songSeconds: whole.end };
}


/** the module files of the installed packages, in MODULE_DIRS order, each folder's files sorted */
export function moduleCandidates(dirs = MODULE_DIRS): { candidates: ModuleCandidate[]; leftOut: LeftOut[] } {
  const candidates: ModuleCandidate[] = [];
  const leftOut: LeftOut[] = [];
  for (const [pkg, dir] of dirs) {
    const short = slug(pkg.replace(/-(data|sound-tracks)$/, ''));
    if (!existsSync(dir)) {
      leftOut.push({ name: `mod_${short}_*`, reason: `not installed (apt-get install ${pkg})` });
      continue;
    }
    for (const f of readdirSync(dir).filter((x) => /\.(it|s3m|xm|mod|mptm)$/i.test(x)).sort())
      candidates.push({ name: `mod_${short}_${slug(basename(f).replace(/\.[^.]+$/, ''))}`, pkg, file: join(dir, f) });
  }
  return { candidates, leftOut };
}

/** Songs whose reference failed the onset check (bench/beats/check-reference5.ts), left out with the reason. */
export const CHECK_LEFT_OUT5: Readonly<Record<string, string>> = {
  mod_bomberclone_cinderella_clown: "convention grid not clear: 0 / ½ = 1.09 (< 1.15) (4 rows per beat, convention, 166.7 BPM)",
  mod_bomberclone_mario_is_a_weenie: "peak lag -100 / -100 ms; the half-beat shift scores higher (4 rows per beat, convention, 112 BPM)",
  mod_circuslinux_hiscore: "the half-beat shift scores higher (4 rows per beat, convention, 125 BPM)",
  mod_freedroid_anarchymenu1: "convention grid not clear: 0 / cross pulse = 1.14 (< 1.15) (4 rows per beat, convention, 107.1 BPM)",
  mod_freedroid_the_last_v8: "the half-beat shift scores higher; a 3/4 pulse across the beat scores as high as the beats (8 rows per beat, convention, 93.8 BPM)",
  mod_freedroid_android_commando_hiscore: "the half-beat shift scores higher (4 rows per beat, convention, 93.8 BPM)",
  mod_gl_117_ambient: "the half-beat shift scores higher (8 rows per beat, convention, 125 BPM)",
  mod_gl_117_standby: "the half-beat shift scores higher (4 rows per beat, convention, 125 BPM)",
  mod_heroes_endscroll: "convention grid not clear: 0 / ½ = 1.11 (< 1.15) (4 rows per beat, convention, 111.4 BPM)",
  mod_heroes_heroes01: "the half-beat shift scores higher (8 rows per beat, convention, 132 BPM)",
  mod_heroes_heroes02: "the half-beat shift scores higher (8 rows per beat, convention, 149.1 BPM)",
  mod_heroes_heroes03: "the half-beat shift scores higher (8 rows per beat, convention, 145.1 BPM)",
  mod_heroes_heroes09: "the half-beat shift scores higher (8 rows per beat, convention, 140 BPM)",
  mod_ironseed_guild: "the half-beat shift scores higher; a 3/4 pulse across the beat scores as high as the beats (8 rows per beat, convention, 93.8 BPM)",
  mod_ironseed_icon: "convention grid not clear: 0 / ½ = 1.02 (< 1.15) (4 rows per beat, convention, 134.5 BPM)",
  mod_ironseed_phador: "the half-beat shift scores higher (8 rows per beat, convention, 96.1 BPM)",
  mod_ironseed_probe: "peak lag -16 / -16 ms; the half-beat shift scores higher; a 3/4 pulse across the beat scores as high as the beats; a 1/3 or 2/3 beat shift scores as high (4 rows per beat, convention, 125 BPM)",
  mod_ironseed_psyeval: "the half-beat shift scores higher (8 rows per beat, convention, 93.8 BPM)",
  mod_ironseed_quai: "convention grid not clear: 0 / cross pulse = 1.11 (< 1.15) (4 rows per beat, convention, 125 BPM)",
  mod_ironseed_sector: "peak lag 0 / -48 ms (4 rows per beat, convention, 107.1 BPM)",
  mod_ironseed_titarian: "convention grid not clear: 0 / ½ = 1.08, cross pulse = 1.13 (< 1.15) (8 rows per beat, convention, 136.1 BPM)",
  mod_ironseed_victory: "convention grid not clear: 0 / cross pulse = 1.13 (< 1.15) (4 rows per beat, convention, 125 BPM)",
  mod_ironseed_void: "convention grid not clear: 0 / ½ = 1.07 (< 1.15) (8 rows per beat, convention, 134.1 BPM)",
  mod_madbomber_bizjung: "convention grid not clear: 0 / ½ = 1.08 (< 1.15) (4 rows per beat, convention, 125 BPM)",
  mod_open_invaders_gamesong: "convention grid not clear: 0 / ½ = 1.05 (< 1.15) (4 rows per beat, convention, 160 BPM)",
  mod_open_invaders_hiscore: "peak lag 16 / 0 ms (4 rows per beat, convention, 150 BPM)",
  mod_pachi_stage4: "peak lag 16 / 16 ms; the half-beat shift scores higher (8 rows per beat, convention, 93.8 BPM)",
  mod_pekka_kana_2_map: "peak lag 8 / 32 ms; the half-beat shift scores higher (2 rows per beat, convention, 166.7 BPM)",
  mod_pekka_kana_2_song03: "a 3/4 pulse across the beat scores as high as the beats (4 rows per beat, convention, 93.8 BPM)",
  mod_pekka_kana_2_song06: "the half-beat shift scores higher (4 rows per beat, convention, 93.8 BPM)",
  mod_pekka_kana_2_song07: "peak lag 16 / 16 ms (4 rows per beat, convention, 150 BPM)",
  mod_pekka_kana_2_song09: "convention grid not clear: 0 / ½ = 1.14 (< 1.15) (4 rows per beat, convention, 115.4 BPM)",
  mod_pekka_kana_2_song10: "the half-beat shift scores higher (4 rows per beat, convention, 120 BPM)",
  mod_pekka_kana_2_song13: "the half-beat shift scores higher (4 rows per beat, convention, 107.1 BPM)",
  mod_pingus_gd_giirm: "a 2/3 pulse across the beat scores as high as the beats; a 4/3 pulse across the beat scores as high as the beats; a 1/3 or 2/3 beat shift scores as high (4 rows per beat, convention, 166.7 BPM)",
  mod_pingus_gd_matth: "convention grid not clear: 0 / ½ = 1.06 (< 1.15) (8 rows per beat, convention, 93.8 BPM)",
  mod_pingus_gd_myla: "convention grid not clear: 0 / ½ = 1.04 (< 1.15) (8 rows per beat, convention, 129.1 BPM)",
  mod_pingus_sorcerer: "peak lag 16 / 16 ms (4 rows per beat, convention, 125 BPM)",
  mod_pingus_the_big_march_in_space: "a 3/4 pulse across the beat scores as high as the beats (8 rows per beat, convention, 80 BPM)",
  mod_rafkill_song1: "convention grid not clear: 0 / ½ = 1.02 (< 1.15) (8 rows per beat, convention, 132 BPM)",
  mod_ri_li_jeu1: "the half-beat shift scores higher (8 rows per beat, convention, 135.1 BPM)",
  mod_ri_li_menu: "the half-beat shift scores higher (8 rows per beat, convention, 133 BPM)",
  mod_tecnoballz_area1_game: "convention grid not clear: 0 / ½ = 1.07 (< 1.15) (4 rows per beat, convention, 125 BPM)",
  mod_tecnoballz_area1_game2: "convention grid not clear: 0 / ½ = 1.09 (< 1.15) (4 rows per beat, convention, 125 BPM)",
  mod_tecnoballz_high_score: "peak lag 16 / 16 ms (4 rows per beat, convention, 125 BPM)",
  mod_tecnoballz_tecno_winn: "convention grid not clear: 0 / ½ = 1.09 (< 1.15) (8 rows per beat, convention, 93.8 BPM)",
  mod_tomatoes_ihavenotomatoes: "convention grid not clear: 0 / ½ = 1.02 (< 1.15) (4 rows per beat, convention, 132.1 BPM)",
  mod_tuxmath_game3: "the half-beat shift scores higher (4 rows per beat, convention, 93.8 BPM)",
};

/** Every heldout5 song whose package is installed, and the ones left out with the reason. Runs
 * openmpt123 --info (fast); renders nothing. `checkLeftOut`: the onset check's verdicts to apply; `perPackage`:
 * the most songs of one package (check-reference5.ts checks all of them). */
export function heldout5Songs(
  cache = CACHE,
  { checkLeftOut = CHECK_LEFT_OUT5, perPackage = SONGS_PER_PACKAGE }: { checkLeftOut?: Readonly<Record<string, string>>; perPackage?: number } = {},
): { songs: AudioSongSpec5[]; leftOut: LeftOut[] } {
  void cache; // renders go through renderHeldout(spec, cache); nothing to prepare here
  return moduleSetSongs('heldout5', MODULE_DIRS, { checkLeftOut, perPackage });
}

/** The module songs of the packages in `dirs` (heldout5's pipeline, for any set of packages): each distinct
 * file once, a file whose SHA-1 is in `otherSets` (another set's module) left out, then moduleSong's filters,
 * the onset check's verdicts (`checkLeftOut`) and at most `perPackage` songs a package (the composer's highlight
 * first, then the longest). `label` names the set where openmpt123 is missing. Runs openmpt123 --info; renders
 * nothing. */
export function moduleSetSongs(
  label: string,
  dirs: readonly (readonly [string, string])[],
  {
    checkLeftOut,
    perPackage: cap,
    otherSets,
    lengthOf,
  }: {
    checkLeftOut: Readonly<Record<string, string>>;
    perPackage: number;
    otherSets?: ReadonlySet<string>;
    /** the song length openmpt123 --info reports (default openmptLength; a stand-in skips the openmpt123 check) */
    lengthOf?: (file: string) => number | null;
  },
): { songs: AudioSongSpec5[]; leftOut: LeftOut[] } {
  const songs: AudioSongSpec5[] = [];
  const leftOut: LeftOut[] = [];
  if (!lengthOf && !onPath('openmpt123')) {
    leftOut.push({ name: `${label} *`, reason: 'openmpt123 is not installed (apt-get install openmpt123)' });
    return { songs, leftOut };
  }
  const { candidates, leftOut: missing } = moduleCandidates(dirs);
  leftOut.push(...missing);
  const seen = new Set<string>();
  const perPackage = new Map<string, number>();
  const passed: { c: ModuleCandidate; bytes: Buffer; s: Extract<ReturnType<typeof moduleSong>, { problem: null }> }[] = [];
  for (const c of candidates) {
    const bytes = readFileSync(c.file);
    const h = sha(bytes);
    if (seen.has(h)) {
      leftOut.push({ name: c.name, reason: 'the same file as another song' });
      continue;
    }
    seen.add(h);
    if (otherSets?.has(h)) {
      leftOut.push({ name: c.name, reason: 'the same file as a song of another set' });
      continue;
    }
    let length: number | null;
    try {
      length = (lengthOf ?? openmptLength)(c.file);
    } catch (e) {
      leftOut.push({ name: c.name, reason: `openmpt123 --info failed: ${(e as Error).message}` });
      continue;
    }
    const s = moduleSong(bytes, length);
    if (s.problem !== null) {
      leftOut.push({ name: c.name, reason: s.problem });
      continue;
    }
    if (checkLeftOut[c.name]) {
      leftOut.push({ name: c.name, reason: checkLeftOut[c.name]! });
      continue;
    }
    passed.push({ c, bytes, s });
  }
  // per package: the composer's highlight first, then the longest songs (up to RENDER_SECONDS), then by name
  const rank = (x: (typeof passed)[number]) => [x.s.from === 'highlight' ? 0 : 1, -Math.min(RENDER_SECONDS, x.s.songSeconds)] as const;
  const ordered = [...passed].sort((a, b) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1] || a.c.name.localeCompare(b.c.name));
  for (const { c, bytes, s } of ordered) {
    if ((perPackage.get(c.pkg) ?? 0) >= cap) {
      leftOut.push({ name: c.name, reason: `${cap} songs of ${c.pkg} already (highlight first, then the longest)` });
      continue;
    }
    perPackage.set(c.pkg, (perPackage.get(c.pkg) ?? 0) + 1);
    const file = c.file;
    songs.push({
      name: c.name,
      key: sha('openmpt123 subsong 0, mono 48k, trimmed', String(RENDER_SECONDS), bytes),
      renderTo: (wav) => renderThenTrim(wav, (raw) => run$('openmpt123', openmptArgs(file, raw), { timeout: 600_000 }), 'openmpt123'),
      reference: s.reference,
      source: 'module',
      bpm: s.bpm,
      package: c.pkg,
      format: s.module.format,
      rowsPerBeat: s.rowsPerBeat,
      rowsPerBeatFrom: s.from,
      ...(s.meter ? { meter: s.meter } : {}),
      songSeconds: s.songSeconds,
    });
  }
  songs.sort((a, b) => a.name.localeCompare(b.name));
  return { songs, leftOut };
}

/** The heldout6 set: the songs of the same packages that heldout5's cap of SONGS_PER_PACKAGE left out (up to
 * HELDOUT6_PER_PACKAGE a package in all, heldout5's own songs excepted), checked the same way. */
export const HELDOUT6_PER_PACKAGE = 6;

export function heldout6Songs(cache = CACHE): { songs: AudioSongSpec5[]; leftOut: LeftOut[] } {
  const first = new Set(heldout5Songs(cache).songs.map((s) => s.name));
  const all = heldout5Songs(cache, { perPackage: HELDOUT6_PER_PACKAGE });
  return { songs: all.songs.filter((s) => !first.has(s.name)), leftOut: all.leftOut };
}
