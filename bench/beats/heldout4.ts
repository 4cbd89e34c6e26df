// The fourth held-out beat set (bench set 'heldout4'; kept UNSEEN by the tracker until it is scored once):
// songs from sources no other set uses, each with a reference beat grid from its own notation, all played by
// fluidsynth with the TimGM6mb soundfont (package timgm6mb-soundfont: a small GM set, not the tune set's FluidR3
// nor heldout3's freepats / MuseScore_General), with the file's leading silence (fluidsynth plays from tick 0).
// - the ABC tunes in TeX Live's music documentation (texlive-music: the abc package's and latex4musicians'
//   figures), turned into MIDI by abc2midi (one file per X: tune, repeats unrolled, chord accompaniment);
// - MIDI files of Debian packages no other set uses (playmidi's examples, pyo's, TeX Live's), most of them
//   left out by the filters below;
// - MMA's grooves (every groove file in 3/4 of its libraries but the metronome, and the 4/4 ones of its alexis
//   and yamaha libraries): each file's first groove played by `mma` over one fixed 48-bar chord progression at
//   one fixed tempo, random timing off (RTime 0; the grooves are MMA's, the chords and tempo are the same for
//   all, picked before any was heard). MMA's 6/8 grooves are not here: MMA
//   writes them as 6 quarter-note beats under a 6/8 time signature, which the notated grid would misread.
// The reference is the MIDI's notated grid (heldout3.ts midiReference), and only quantised files (smf.ts
// quantisedShare >= 0.85) with 30 s or more of notes are kept. Nothing here runs the beat tracker;
// bench/beats/check-reference4.ts checks the references against the onset envelope.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { type AudioSongSpec, type LeftOut, onPath, sha, slug } from './heldout.js';
import { readSmfTiming } from './smf.js';
import { abcMidis, admitMidis, CACHE, mainBpm, midiProblem, midiReference, RENDER_SECONDS, renderThenTrim } from './heldout3.js';

const run$ = promisify(execFile);

export { CACHE };
export const TIMGM6MB = '/usr/share/sounds/sf2/TimGM6mb.sf2';
export const ABC_FILES_DIRS = ['/usr/share/doc/texlive-doc/latex/abc', '/usr/share/doc/texlive-doc/latex/latex4musicians/Figures'];
export const MMA_LIB = '/usr/share/mma/lib';
/** the MMA groove libraries whose 4/4 files are taken too (3/4 ones are taken from every library) */
export const MMA_LIBS_44 = ['alexis', 'yamaha'];

/** MIDI music of other Debian packages: [name, package, file] (.gz files are unpacked) */
export const DEBIAN_MIDI4: readonly (readonly [string, string, string])[] = [
  ['playmidi_bach_invention_01', 'playmidi', '/usr/share/doc/playmidi/examples/bach-invention-01.mid.gz'],
  ['playmidi_gmstriving', 'playmidi', '/usr/share/doc/playmidi/examples/gmstriving.mid.gz'],
  ['playmidi_jazz', 'playmidi', '/usr/share/doc/playmidi/examples/jazz.mid.gz'],
  ['pyo_mapleleafrag', 'python3-pyo', '/usr/lib/python3/dist-packages/pyo/examples/snds/mapleleafrag.mid'],
  ['texlive_jingle', 'texlive-music', '/usr/share/doc/texlive-doc/latex/latex4musicians/jingle.midi'],
];

/** a heldout4 song: an AudioSongSpec with its main time signature (for the compound-metre check) */
export type AudioSongSpec4 = AudioSongSpec & { meter?: string };

/** the time signature that lasts longest in ticks over the notes, as 'num/den' */
export function mainMeter(midi: Buffer): string {
  const t = readSmfTiming(midi);
  const to = t.noteTicks.length ? Math.max(...t.noteTicks) : t.firstNoteTick;
  const dur = new Map<string, number>();
  t.signatures.forEach((s, i) => {
    const a = Math.max(t.firstNoteTick, s.tick);
    const b = Math.min(to, t.signatures[i + 1]?.tick ?? Infinity);
    if (b > a) dur.set(`${s.num}/${s.den}`, (dur.get(`${s.num}/${s.den}`) ?? 0) + b - a);
  });
  return [...dur].sort((x, y) => y[1] - x[1])[0]?.[0] ?? `${t.signatures[0]?.num ?? 4}/${t.signatures[0]?.den ?? 4}`;
}

/** The one chord progression and tempo every MMA groove song uses (48 bars, 4 x 12). */
export const MMA_PROGRESSION = ['C', 'C', 'F', 'C', 'G7', 'G7', 'C', 'C', 'F', 'F', 'G7', 'C'];
export const MMA_TEMPO = 132;
export const MMA_REPEATS = 4;

/** The first groove a MMA library file defines and its time signature, or null. */
export function mmaGrooveInfo(text: string): { groove: string; num: number; den: number } | null {
  const g = /^\s*defgroove\s+(\S+)/im.exec(text);
  const s = /^\s*timesig\s+(\d+)\s*[\s/]\s*(\d+)/im.exec(text);
  if (!g || !s) return null;
  return { groove: g[1]!, num: Number(s[1]), den: Number(s[2]) };
}

/** An MMA song: the groove over MMA_PROGRESSION, MMA_REPEATS times, at MMA_TEMPO. */
export function mmaSong(groove: string, tempo = MMA_TEMPO, progression = MMA_PROGRESSION, repeats = MMA_REPEATS): string {
  const lines = [`Tempo ${tempo}`, `Groove ${groove}`, 'AllTracks RTime 0'];
  let bar = 1;
  for (let r = 0; r < repeats; r++) for (const c of progression) lines.push(`${bar++} ${c}`);
  return `${lines.join('\n')}\n`;
}


/** fluidsynth args: TimGM6mb, 22.05 kHz wav (fluidsynth plays from tick 0, so leading silence is kept) */
export function fluidsynthArgs(mid: string, out: string, soundfont = TIMGM6MB): string[] {
  return ['-ni', '-q', '-g', '0.5', '-r', '22050', '-F', out, soundfont, mid];
}

/** the bytes of a MIDI file, unpacked if gzipped */
export function midiBytes(buf: Buffer): Buffer {
  return buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf;
}

function fluidSpec(name: string, midi: Buffer, source: AudioSongSpec['source']): AudioSongSpec4 {
  return {
    name,
    key: sha('fluidsynth TimGM6mb, trimmed', String(RENDER_SECONDS), midi),
    renderTo: (wav) =>
      renderThenTrim(
        wav,
        (raw) => {
          const mid = join(dirname(raw), 'in.mid');
          writeFileSync(mid, midi);
          return run$('fluidsynth', fluidsynthArgs(mid, raw), { timeout: 900_000 });
        },
        'fluidsynth',
      ),
    reference: midiReference(midi).filter((t) => t <= RENDER_SECONDS),
    source,
    bpm: mainBpm(midi),
    meter: mainMeter(midi),
  };
}

/** The MIDI file mma writes for a song text, cached under `cache` (keyed by the text). */
function mmaMidi(text: string, cache: string): Buffer {
  const dir = join(cache, `mma4-${sha(text).slice(0, 16)}`);
  const mid = join(dir, 'song.mid');
  if (!existsSync(mid)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'song.mma'), text);
    execFileSync('mma', ['song.mma', '-f', 'song.part.mid'], { cwd: dir, timeout: 120_000, stdio: 'ignore' });
    renameSync(join(dir, 'song.part.mid'), mid);
  }
  return readFileSync(mid);
}

/** Songs whose reference failed the onset check (bench/beats/check-reference4.ts), left out with the reason. */
export const CHECK_LEFT_OUT4: Readonly<Record<string, string>> = {
  abc_tex_poll_12: 'onset envelope higher half a beat off (0 / 1/2 beat = 0.86) at 60 BPM in 2/2',
  debmidi_playmidi_bach_invention_01: 'onset envelope as high half a beat off (0 / 1/2 beat = 0.99): running sixteenths, no beat accent',
  mma_groove_yamaha_mambo: 'onset envelope peaks at the -100 ms edge of the search in both halves (syncopated mambo pattern)',
};

/** Every heldout4 song whose files are installed, and the ones left out with the reason. Runs abc2midi and
 * mma (cached under `cache`); renders nothing. */
export function heldout4Songs(cache = CACHE): { songs: AudioSongSpec4[]; leftOut: LeftOut[] } {
  const songs: AudioSongSpec4[] = [];
  const leftOut: LeftOut[] = [];
  if (!onPath('fluidsynth') || !existsSync(TIMGM6MB)) {
    leftOut.push({ name: 'heldout4 *', reason: 'fluidsynth or TimGM6mb is not installed (apt-get install fluidsynth timgm6mb-soundfont)' });
    return { songs, leftOut };
  }
  const candidates: { name: string; source: AudioSongSpec['source']; midi: () => Buffer }[] = [];
  const abcs = ABC_FILES_DIRS.filter((d) => existsSync(d)).flatMap((d) => readdirSync(d).filter((f) => /\.abc$/i.test(f)).sort().map((f) => join(d, f)));
  if (abcs.length && !onPath('abc2midi')) leftOut.push({ name: 'abc_*', reason: 'abc2midi is not installed (apt-get install abcmidi)' });
  else
    for (const f of abcs) {
      const stem = slug(basename(f).replace(/\.abc$/i, ''));
      try {
        for (const [x, midi] of abcMidis(f, cache)) candidates.push({ name: `abc_tex_${stem}_${x}`, source: 'abc', midi: () => midi });
      } catch (e) {
        leftOut.push({ name: `abc_tex_${stem}`, reason: (e as Error).message });
      }
    }
  for (const [name, pkg, file] of DEBIAN_MIDI4) {
    if (existsSync(file)) candidates.push({ name: `debmidi_${name}`, source: 'debian-midi', midi: () => midiBytes(readFileSync(file)) });
    else leftOut.push({ name: `debmidi_${name}`, reason: `not installed (apt-get install ${pkg})` });
  }
  if (existsSync(MMA_LIB) && onPath('mma'))
    for (const lib of readdirSync(MMA_LIB, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      if (lib === 'pflib') continue; // pflib's demo songs are heldout3's
      for (const f of readdirSync(join(MMA_LIB, lib)).filter((x) => x.endsWith('.mma')).sort()) {
        const info = mmaGrooveInfo(readFileSync(join(MMA_LIB, lib, f), 'latin1'));
        if (!info || info.den !== 4 || /metronome/i.test(f)) continue;
        if (!(info.num === 3 || (info.num === 4 && MMA_LIBS_44.includes(lib)))) continue;
        const text = mmaSong(info.groove);
        candidates.push({ name: `mma_groove_${lib === 'stdlib' ? '' : `${lib}_`}${slug(f.replace(/\.mma$/, ''))}`, source: 'mma', midi: () => mmaMidi(text, cache) });
      }
    }
  admitMidis(candidates, (c, midi) => CHECK_LEFT_OUT4[c.name] ?? midiProblem(midi), (c, midi) => fluidSpec(c.name, midi, c.source), songs, leftOut);
  return { songs, leftOut };
}
