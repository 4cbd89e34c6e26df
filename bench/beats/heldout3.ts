// The third held-out beat set (bench set 'heldout3'; kept UNSEEN by the tracker until it is scored once): real
// songs from sources no other set uses, each with a reference beat grid that comes from its own notation.
// - MuseScore demo scores (musescore3-common's demos, and musescore-common's MuseScore 2 demos not in it),
//   played by MuseScore 3 itself (`mscore3 -o x.wav`: its own synth and MuseScore_General soundfont); the
//   reference is the notated grid of MuseScore's own MIDI export of the same score (`mscore3 -o x.mid`:
//   repeats unrolled, tempo texts, ritardandos and fermatas as tempo events, time signatures, pickups as
//   short measures), read by the bench's MIDI code (smf.ts: notatedGrid from the first note to the last).
// - MMA (Musical MIDI Accompaniment, package mma) example songs, as the MIDI files the package ships, and the
//   MIDI music of a few other Debian packages (games, examples) that no other set uses; played by TiMidity++
//   with the freepats patches (a different synth and sound set from the tune set's fluidsynth + FluidR3),
//   with --preserve-silence so the audio starts at tick 0 like the file. Their reference is their notated
//   grid like the tune set's MIDI songs, and only quantised files (smf.ts quantisedShare >= 0.85, the bench's
//   filter) with 30 s or more of notes are kept.
// - the example tunes of abcmidi and abcm2ps (packages abcmidi, abcm2ps: folk tunes with chord symbols, so abc2midi adds its bass and
//   chord accompaniment, some with a drum pattern), turned into MIDI by abc2midi (one file per X: tune,
//   repeats unrolled) and played like the MIDI files above; the reference is that MIDI's notated grid.
// Every render is cut to the first RENDER_SECONDS and down-mixed to a mono 22.05 kHz float wav. Nothing here
// runs the beat tracker; bench/beats/check-reference3.ts checks the references against the onset envelope.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type AudioSongSpec, type LeftOut, onPath, sha, slug, withTempDir } from './heldout.js';
import { notatedGrid, quantisedShare, readSmfTiming, tickToSeconds } from './smf.js';

const run$ = promisify(execFile);

/** the new sources; AudioSongSpec['source'] is widened to take them (until then a cast) */
export type Source3 = 'musescore' | 'mma' | 'abc' | 'debian-midi';

/** the first seconds of each render that are kept (the bench scores the first 120 s) */
export const RENDER_SECONDS = 125;
export const MIN_QUANTISED = 0.85;
/** MIDI files with fewer seconds of notes are left out (feature demos, jingles) */
export const MIN_MIDI_SECONDS = 30;
export const CACHE = join(tmpdir(), 'clipmatch-beats-renders');

export const MUSESCORE_DEMO_DIRS = ['/usr/share/mscore3-3.2/demos', '/usr/share/mscore-2.3/demos'];
export const MMA_EXAMPLES_DIR = '/usr/share/doc/mma/examples';
/** the demo songs of MMA's pflib groove library */
export const MMA_PFLIB_DIR = '/usr/share/mma/lib/pflib';
/** ABC tunes: abcmidi's examples, and abcm2ps's (engraving samples, most of them too short or not quantised) */
export const ABC_DIRS = ['/usr/share/doc/abcmidi/examples', '/usr/share/doc/abcm2ps/examples'];
export const FREEPATS_CFG = '/etc/timidity/freepats.cfg';

/** MIDI music of other Debian packages: [name, package, file] */
export const DEBIAN_MIDI: readonly (readonly [string, string, string])[] = [
  ['crimson_default', 'crimson', '/usr/share/games/crimson/music/default.mid'],
  ['liquidwar_colossus', 'liquidwar-data', '/usr/share/games/liquidwar/music/colossus.mid'],
  ['pinball_hurd_intro', 'pinball-table-hurd-data', '/usr/share/games/pinball/hurd/intro.mid'],
  ['pinball_hurd_freesoftwaresong', 'pinball-table-hurd-data', '/usr/share/games/pinball/hurd/freesoftwaresong.mid'],
  ['kobodeluxe_trance1', 'kobodeluxe-data', '/usr/share/kobo-deluxe/sfx/trance1.mid'],
  ['kobodeluxe_test2', 'kobodeluxe-data', '/usr/share/kobo-deluxe/sfx/test2.mid'],
  ['pangzero_upipang', 'pangzero', '/usr/share/perl5/auto/share/dist/Games-PangZero/UPiPang.mid'],
  ['sfront_bach', 'sfront', '/usr/share/doc/sfront/examples/bach/bach.mid'],
  ['chuck_bwv772', 'chuck-data', '/usr/share/doc/chuck-data/examples/midi/bwv772.mid'],
  ['pd_mrpeach_sedated', 'pd-mrpeach', '/usr/lib/pd/extra/mrpeach/I_Wanna_Be_Sedated.mid'],
  ['faust_pachelbel', 'faust-common', '/usr/share/faust/examples/physicalModeling/faust-stk/pd-patches/fancy/canon/pachelbel.mid'],
  ['faust_take5', 'faust-common', '/usr/share/faust/examples/physicalModeling/faust-stk/pd-patches/fancy/take5/take5.mid'],
  ['faust_turkish_march', 'faust-common', '/usr/share/faust/examples/physicalModeling/faust-stk/pd-patches/fancy/turkish-march/turkish-march.mid'],
  ['nyquist_piano_demo', 'nyquist', '/usr/share/nyquist/lib/piano/demo.mid'],
  ['yoshimi_out_there', 'yoshimi-data', '/usr/share/yoshimi/examples/Out_There.mid'],
];

/** MMA examples left out by hand, with the reason (the rest are filtered by rule) */
export const MMA_LEFT_OUT: Readonly<Record<string, string>> = {
  fella1: 'an earlier stage of the tutorial song fella2 (same tune and groove)',
};

/** Songs whose reference failed the onset check (bench/beats/check-reference3.ts: a half of the song peaking
 * more than 15 ms off 0, the grid shifted by a fraction of a beat scoring higher than the grid, or a pulse at
 * 2/3, 3/4 or 4/3 of the beat scoring as high), left out rather than moved to fit the onsets. */
export const CHECK_LEFT_OUT: Readonly<Record<string, string>> = {
  mscore_brassed_up: 'onset envelope peaks 18-20 ms after the MIDI beats in both halves (brass attacks)',
  mscore_dynamic_strings: 'onset envelope peaks 32-34 ms after the MIDI beats in both halves (bowed strings attack slowly)',
  mscore_fugue_1: 'onset envelope peaks 24 / 48 ms late and higher half a beat off (running sixteenths, no beat accent)',
  mscore_all_dudes: 'onset envelope higher half a beat off (5.35 vs 4.76): louder off-beat notes (velocity 78 vs 44)',
  mscore_triumph: 'onset envelope higher half a beat off (5.96 vs 4.94)',
  kobodeluxe_trance1: 'onset envelope higher half a beat off (1.68 vs 1.48)',
  pangzero_upipang: 'onset envelope higher a quarter beat off either way (1.40 / 1.42 vs 1.31 at the beats)',
  abc_baym_rebin_63: 'onset envelope 4.8x higher half a beat off: the tune opens on an eighth-note pickup (FE) that abc2midi writes into a full bar, so the grid from the first note is an eighth off',
  abc_dergasn_145: 'onset envelope 4.6x higher half a beat off: a 3-sixteenth pickup (zF2) written into a full 3/8 bar shifts the grid',
  abc_demo_10: 'onset envelope peaks 16-20 ms after the MIDI beats in both halves (+30 ms scores 4.51 vs 3.21 at 0)',
  abc_voices_5: 'onset envelope higher half a beat off (6.58 vs 6.46) at 48 BPM',
  // added after the set was scored (the cross-pulse check came with it; it never reads the tracker)
  mma_mandala: 'the audio runs in quarters across its 6/8 beat: a pulse every 2/3 beat scores 5.39 against 3.93 at the notated beats (nothing sounds on the second beat of the bar)',
  mma_pldemo: 'the audio runs in quarters across its 6/8 beat: a pulse every 2/3 beat scores 4.15 against 2.99 at the notated beats',
};


// ---------------------------------------------------------------- reference from a MIDI file

/** The notated beat grid of a MIDI file (quarter notes in x/4, dotted quarters in compound x/8, per its tempo
 * map and time signatures) from its first note (rounded down to a beat) to its last note + 50 ms: the same
 * smf.ts calls as the bench's referenceBeats for a MIDI song (bench/beats.bench.ts), which is not imported
 * here so that the bench can import this file without a cycle. */
export function midiReference(midi: Buffer): number[] {
  const timing = readSmfTiming(midi);
  if (timing.noteTicks.length === 0) return [];
  const grid = notatedGrid(timing, timing.firstNoteTick, timing.endTick);
  const lastNote = tickToSeconds(Math.max(...timing.noteTicks), timing.ppq, timing.tempos);
  return grid.beats.filter((t) => t <= lastNote + 0.05);
}

/** seconds from the first to the last note-on */
export function noteSpanSeconds(midi: Buffer): number {
  const t = readSmfTiming(midi);
  if (t.noteTicks.length === 0) return 0;
  return tickToSeconds(Math.max(...t.noteTicks), t.ppq, t.tempos) - tickToSeconds(t.firstNoteTick, t.ppq, t.tempos);
}

/** The main notated tempo: the tempo that lasts longest over the notes, in beats (the grid's unit) a minute
 * (a dotted quarter in compound x/8 counts 2/3 of the file's quarter-note tempo, a half note in x/2 1/2). */
export function mainBpm(midi: Buffer): number {
  const t = readSmfTiming(midi);
  const from = t.firstNoteTick;
  const to = t.noteTicks.length ? Math.max(...t.noteTicks) : from;
  const dur = new Map<number, number>();
  for (let i = 0; i < t.tempos.length; i++) {
    const a = Math.max(from, t.tempos[i]!.tick);
    const b = Math.min(to, t.tempos[i + 1]?.tick ?? Infinity);
    if (b <= a) continue;
    const sig = [...t.signatures].reverse().find((s) => s.tick <= a) ?? t.signatures[0]!;
    const unit = sig.den === 8 && sig.num % 3 === 0 && sig.num > 3 ? 1.5 : 4 / sig.den;
    const bpm = Math.round((t.tempos[i]!.bpm / unit) * 1000) / 1000;
    dur.set(bpm, (dur.get(bpm) ?? 0) + (b - a) / t.tempos[i]!.bpm);
  }
  let best = t.tempos[0]!.bpm;
  let most = -1;
  for (const [bpm, d] of dur) if (d > most) [best, most] = [bpm, d];
  return best;
}

/** ffmpeg args: the first `seconds` of a wav, mono, 22.05 kHz, float */
export function trimArgs(input: string, out: string, seconds = RENDER_SECONDS): string[] {
  return ['-v', 'error', '-y', '-i', input, '-t', String(seconds), '-ac', '1', '-ar', '22050', '-c:a', 'pcm_f32le', out];
}

/** TiMidity++ args: freepats, mono 22.05 kHz wav, the file's leading silence kept (TiMidity drops it by default) */
export function timidityArgs(mid: string, out: string, cfg = FREEPATS_CFG): string[] {
  return ['-c', cfg, '--preserve-silence', '-Ow', '--output-mono', '-s', '22050', '-o', out, mid];
}

/** Renders to a scratch wav (`render` gets its path, in a temp folder it may also write its inputs to), then
 * trims it to RENDER_SECONDS of mono 22.05 kHz float at `out`. `renderer` names it in the error when it wrote
 * nothing. */
export function renderThenTrim(out: string, render: (wav: string) => Promise<unknown>, renderer = 'the renderer'): Promise<void> {
  return withTempDir('clipmatch-render-', async (dir) => {
    const raw = join(dir, 'raw.wav');
    await render(raw);
    if (!existsSync(raw)) throw new Error(`${renderer} wrote no wav`);
    await run$('ffmpeg', trimArgs(raw, out), { timeout: 300_000 });
  });
}

// ---------------------------------------------------------------- MuseScore

const mscoreEnv = (home: string) => ({ ...process.env, HOME: home, QT_QPA_PLATFORM: 'offscreen', XDG_RUNTIME_DIR: home });

/** MuseScore's MIDI export of a score (a file MuseScore reads by its extension: .mscz, .mscx, .musicxml...), cached
 * beside the renders (keyed by the score's bytes) */
export function musescoreMidi(score: string, bytes: Buffer, cache: string): Buffer {
  mkdirSync(cache, { recursive: true });
  const mid = join(cache, `mscore-${sha(bytes).slice(0, 16)}.mid`);
  if (!existsSync(mid)) {
    const home = join(cache, `mscore-home-${process.pid}`);
    mkdirSync(home, { recursive: true });
    const part = `${mid}.${process.pid}.part.mid`;
    try {
      execFileSync('mscore3', ['-o', part, score], { timeout: 300_000, env: mscoreEnv(home), stdio: 'ignore' });
      if (!existsSync(part)) throw new Error(`mscore3 wrote no MIDI for ${score}`);
      renameSync(part, mid);
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(part, { force: true });
    }
  }
  return readFileSync(mid);
}

function musescoreSongs(out: AudioSongSpec[], left: LeftOut[], cache: string): void {
  const scores: string[] = [];
  const seen = new Set<string>();
  for (const dir of MUSESCORE_DEMO_DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => /\.msc[zx]$/i.test(x)).sort()) {
      const stem = f.replace(/\.msc[zx]$/i, '');
      if (seen.has(stem)) continue; // Reunion is in both; MuseScore 3's copy wins
      seen.add(stem);
      scores.push(join(dir, f));
    }
  }
  if (scores.length && !onPath('mscore3')) {
    left.push({ name: 'mscore_*', reason: 'the mscore3 program is not installed (apt-get install musescore3)' });
    return;
  }
  for (const score of scores) {
    const name = `mscore_${slug(basename(score).replace(/\.msc[zx]$/i, ''))}`;
    try {
      if (CHECK_LEFT_OUT[name]) {
        left.push({ name, reason: CHECK_LEFT_OUT[name] });
        continue;
      }
      const bytes = readFileSync(score);
      const midi = musescoreMidi(score, bytes, cache);
      const reference = midiReference(midi).filter((t) => t <= RENDER_SECONDS);
      if (reference.length < 8) {
        left.push({ name, reason: 'MuseScore exported no notes' });
        continue;
      }
      out.push({
        name,
        key: sha('mscore3 wav, trimmed', String(RENDER_SECONDS), bytes),
        renderTo: (wav) =>
          renderThenTrim(wav, (raw) => withTempDir('clipmatch-mscore-', (home) => run$('mscore3', ['-o', raw, score], { timeout: 900_000, env: mscoreEnv(home) }))),
        reference,
        source: 'musescore',
        bpm: mainBpm(midi),
      });
    } catch (e) {
      left.push({ name, reason: (e as Error).message });
    }
  }
}

// ---------------------------------------------------------------- MIDI files, played by TiMidity++ with freepats

/** why a MIDI file is not in the set, or null */
export function midiProblem(midi: Buffer): string | null {
  const t = readSmfTiming(midi);
  if (t.noteTicks.length === 0) return 'no notes';
  const q = quantisedShare(t);
  if (q < MIN_QUANTISED) return `not quantised (${Math.round(q * 100)}% of notes on the grid, < ${MIN_QUANTISED * 100}%)`;
  const span = noteSpanSeconds(midi);
  if (span < MIN_MIDI_SECONDS) return `${span.toFixed(1)} s of notes (< ${MIN_MIDI_SECONDS} s)`;
  return null;
}

/** a MIDI song played by TiMidity++ with freepats (--preserve-silence), trimmed; its reference the notated grid */
export function timiditySpec(name: string, midi: Buffer, source: AudioSongSpec['source']): AudioSongSpec {
  return {
    name,
    key: sha('timidity freepats --preserve-silence, trimmed', String(RENDER_SECONDS), midi),
    renderTo: (wav) =>
      renderThenTrim(wav, async (raw) => {
        const mid = `${raw}.mid`;
        writeFileSync(mid, midi);
        await run$('timidity', timidityArgs(mid, raw), { timeout: 900_000 });
      }),
    reference: midiReference(midi).filter((t) => t <= RENDER_SECONDS),
    source: source,
    bpm: mainBpm(midi),
  };
}

/** Song names for MIDI files found under a folder: `prefix` + the file's stem, or + its folder and stem where
 * two files share a stem. */
export function midiNames(files: readonly string[], prefix: string): string[] {
  const stem = (f: string) => slug(basename(f).replace(/\.midi?$/i, ''));
  const count = new Map<string, number>();
  for (const f of files) count.set(stem(f), (count.get(stem(f)) ?? 0) + 1);
  return files.map((f) => (count.get(stem(f))! > 1 ? `${prefix}${slug(basename(dirname(f)))}_${stem(f)}` : `${prefix}${stem(f)}`));
}

function walkFiles(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) out.push(...walkFiles(join(dir, e.name), re));
    else if (re.test(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

/** The MIDI files abc2midi writes for an ABC file, one per X: tune, as [X number, bytes], cached under
 * `cache` (keyed by the ABC's bytes). abc2midi writes beside its input, so it runs on a copy. */
export function abcMidis(abcFile: string, cache: string): [string, Buffer][] {
  const bytes = readFileSync(abcFile);
  const stem = basename(abcFile).replace(/\.abc$/i, '');
  const dir = join(cache, `abc-${sha(bytes).slice(0, 16)}`);
  if (!existsSync(join(dir, '.done'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(abcFile, join(dir, `${stem}.abc`));
    try {
      execFileSync('abc2midi', [`${stem}.abc`], { cwd: dir, timeout: 120_000, stdio: 'ignore' });
    } catch {
      // abc2midi exits non-zero on warnings it still writes the files after; the files decide
    }
    writeFileSync(join(dir, '.done'), '');
  }
  const out: [string, Buffer][] = [];
  for (const f of readdirSync(dir)) {
    const x = f.startsWith(stem) ? /^(\d+)\.mid$/.exec(f.slice(stem.length)) : null;
    if (x) out.push([x[1]!, readFileSync(join(dir, f))]);
  }
  return out.sort((x, y) => Number(x[0]) - Number(y[0]));
}

function midiSongs(out: AudioSongSpec[], left: LeftOut[], cache: string): void {
  const candidates: { name: string; source: Source3; midi: () => Buffer }[] = [];
  const mma = walkFiles(MMA_EXAMPLES_DIR, /\.mid$/i);
  midiNames(mma, 'mma_').forEach((name, i) => candidates.push({ name, source: 'mma', midi: () => readFileSync(mma[i]!) }));
  const pflib = walkFiles(MMA_PFLIB_DIR, /\.mid$/i);
  midiNames(pflib, 'mma_pflib_').forEach((name, i) => candidates.push({ name, source: 'mma', midi: () => readFileSync(pflib[i]!) }));
  const abcs = ABC_DIRS.flatMap((d) => walkFiles(d, /\.abc$/i));
  for (const [name, , file] of DEBIAN_MIDI) if (existsSync(file)) candidates.push({ name, source: 'debian-midi', midi: () => readFileSync(file) });
  if ((candidates.length || abcs.length) && (!onPath('timidity') || !existsSync(FREEPATS_CFG))) {
    left.push({ name: 'mma_*, abc_*, debian-midi', reason: 'timidity or freepats is not installed (apt-get install timidity freepats)' });
    return;
  }
  if (abcs.length && !onPath('abc2midi')) left.push({ name: 'abc_*', reason: 'the abc2midi program is not installed (apt-get install abcmidi)' });
  else {
    for (const f of abcs) {
      const stem = slug(basename(f).replace(/\.abc$/i, ''));
      try {
        for (const [x, midi] of abcMidis(f, cache)) candidates.push({ name: `abc_${stem}_${x}`, source: 'abc', midi: () => midi });
      } catch (e) {
        left.push({ name: `abc_${stem}`, reason: (e as Error).message });
      }
    }
  }
  admitMidis(
    candidates,
    (c, midi) => (c.source === 'mma' ? MMA_LEFT_OUT[c.name.replace(/^mma_/, '')] : undefined) ?? CHECK_LEFT_OUT[c.name] ?? midiProblem(midi),
    (c, midi) => timiditySpec(c.name, midi, c.source),
    out,
    left,
  );
}

export interface MidiCandidate {
  name: string;
  source: AudioSongSpec['source'];
  midi: () => Buffer;
}

/** Candidate MIDI songs into specs: each distinct file once (by content), those with a problem (or whose file
 * cannot be read or made) left out with the reason. */
export function admitMidis<C extends MidiCandidate, S extends AudioSongSpec>(
  candidates: readonly C[],
  problem: (c: C, midi: Buffer) => string | null | undefined,
  spec: (c: C, midi: Buffer) => S,
  out: S[],
  left: LeftOut[],
): void {
  const seen = new Set<string>();
  for (const c of candidates) {
    try {
      const midi = c.midi();
      const h = sha(midi);
      if (seen.has(h)) {
        left.push({ name: c.name, reason: 'the same file as another song' });
        continue;
      }
      seen.add(h);
      const why = problem(c, midi);
      if (why) left.push({ name: c.name, reason: why });
      else out.push(spec(c, midi));
    } catch (e) {
      left.push({ name: c.name, reason: (e as Error).message });
    }
  }
}

// ---------------------------------------------------------------- the set

/** Every heldout3 song whose files are installed, and the ones left out with the reason. Lists MuseScore's
 * MIDI export of each demo score (mscore3, cached under `cache`); renders nothing else. */
export function heldout3Songs(cache = CACHE): { songs: AudioSongSpec[]; leftOut: LeftOut[] } {
  const songs: AudioSongSpec[] = [];
  const leftOut: LeftOut[] = [];
  musescoreSongs(songs, leftOut, cache);
  midiSongs(songs, leftOut, cache);
  return { songs, leftOut };
}
