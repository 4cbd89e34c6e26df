// The heldout8 beat set's candidates, converters' command lines, cap and admission (bench/beats/heldout8.ts,
// with heldout5's module pipeline), on tiny module, MIDI and song files made here in a temp folder: no Debian
// package, no openmpt123, tse3play, midge or TiMidity++ run, nothing rendered.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { RENDER_SECONDS } from '../../bench/beats/heldout3.js';
import { capPerPackage, heldout8Songs, midgeArgs, midiCandidates8, readMaybeGz, songFiles, tse3playArgs } from '../../bench/beats/heldout8.js';
import { parseModule, playRows } from '../../bench/beats/modules.js';
import { type NoteEvent, writeSmf } from '../../bench/beats/smf.js';

const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
const root = mkdtempSync(join(tmpdir(), 'clipmatch-heldout8-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

const put = (b: Uint8Array, o: number, s: string) => [...s].forEach((ch, i) => (b[o + i] = ch.charCodeAt(0)));

/** a 4-channel M.K. MOD of empty 64-row patterns at speed 6 / 125 BPM (120 ms a row); `name` makes files differ */
function mod(orders: number[], name = 'tiny'): Uint8Array {
  const n = Math.max(...orders) + 1;
  const b = new Uint8Array(1084 + n * 1024);
  put(b, 0, name);
  b[950] = orders.length;
  orders.forEach((p, i) => (b[952 + i] = p));
  put(b, 1080, 'M.K.');
  return b;
}

/** `beats` quarter notes at `bpm` in 4/4, ppq 96 (a `key` to make files differ) */
function quarters(bpm: number, beats: number, key = 60): Buffer {
  const notes: NoteEvent[] = [];
  for (let i = 0; i < beats; i++) notes.push({ tick: i * 96, dur: 10, key, vel: 90, channel: 0 });
  return writeSmf({ ppq: 96, tempos: [{ tick: 0, bpm }], signatures: [{ tick: 0, num: 4, den: 4 }], tracks: [{ channel: 0, program: 0, notes }] });
}

function folder(...parts: string[]): string {
  const d = join(root, ...parts);
  mkdirSync(d, { recursive: true });
  return d;
}

test('song files: matched gzipped or not, sorted, named by prefix and stem; a missing folder gives none', () => {
  const d = folder('names');
  for (const f of ['Trip.tse3.gz', 'Ambient.tse3', 'Demo.tse2.gz', 'README.txt', 'notes.tse3.bak']) writeFileSync(join(d, f), 'x');
  assert.deepEqual(songFiles(d, /\.tse[23]$/i, 'tse3_'), [
    { name: 'tse3_ambient', file: join(d, 'Ambient.tse3') },
    { name: 'tse3_demo', file: join(d, 'Demo.tse2.gz') },
    { name: 'tse3_trip', file: join(d, 'Trip.tse3.gz') },
  ]);
  assert.deepEqual(songFiles(join(root, 'nowhere'), /\.mg$/, 'midge_'), []);
});

test('gzipped songs are read unzipped, under their name without .gz', () => {
  const d = folder('gz');
  writeFileSync(join(d, 'song.mg.gz'), gzipSync(Buffer.from('@head { $tempo 120 }')));
  writeFileSync(join(d, 'plain.mg'), '@body {}');
  assert.deepEqual(readMaybeGz(join(d, 'song.mg.gz')), { name: 'song.mg', bytes: Buffer.from('@head { $tempo 120 }') });
  assert.deepEqual(readMaybeGz(join(d, 'plain.mg')), { name: 'plain.mg', bytes: Buffer.from('@body {}') });
});

test('converter command lines: tse3play exports without playing, midge with a fixed seed', () => {
  assert.deepEqual(tse3playArgs('/in/Song.tse3', '/out/x.mid'), ['-np', '-stream', '-omidi', '/out/x.mid', '/in/Song.tse3']);
  assert.deepEqual(midgeArgs('/in/rock.mg', '/out/x.mid'), ['-q', '-s', '1', '-o', '/out/x.mid', '/in/rock.mg']);
  assert.deepEqual(midgeArgs('/in/rock.mg', '/out/x.mid', 7).slice(0, 3), ['-q', '-s', '7']);
});

test('MIDI candidates: TSE3 songs (the TSE2 copy named apart), midge songs and tutorial marked; missing packages reported', () => {
  const tse3 = folder('cands', 'tse3');
  for (const f of ['Demo.tse3.gz', 'Demo.tse2.gz']) writeFileSync(join(tse3, f), 'x');
  const orig = folder('cands', 'orig');
  const tut = folder('cands', 'tutorial');
  writeFileSync(join(orig, 'rock.mg'), 'x');
  writeFileSync(join(tut, 'tempo.mg'), 'x');
  const stand = () => Buffer.from('MThd');
  const { candidates, leftOut } = midiCandidates8('/nonexistent-cache', {
    tse3Dir: tse3,
    midgeDirs: [
      ['midge_', orig],
      ['midge_tutorial_', tut],
    ],
    tse3: stand,
    midge: stand,
  });
  assert.deepEqual(
    candidates.map((c) => [c.name, c.pkg, c.source, !!c.tutorial]),
    [
      ['tse3_demo_tse2', 'libtse3-dev', 'tse3', false],
      ['tse3_demo', 'libtse3-dev', 'tse3', false],
      ['midge_rock', 'midge', 'midge', false],
      ['midge_tutorial_tempo', 'midge', 'midge', true],
    ],
  );
  assert.deepEqual(leftOut, []);
  const none = midiCandidates8('/nonexistent-cache', { tse3Dir: join(root, 'no-tse3'), midgeDirs: [['midge_', join(root, 'no-midge')]], tse3: stand, midge: stand });
  assert.deepEqual(none.candidates, []);
  assert.deepEqual(none.leftOut, [
    { name: 'tse3_*', reason: 'not installed (apt-get install libtse3-dev)' },
    { name: 'midge_*', reason: 'not installed (apt-get install midge)' },
  ]);
});

test('cap: at most N of a package, its songs before its tutorial, the longest first (up to RENDER_SECONDS), then by name', () => {
  const s = (name: string, pkg: string, seconds: number, tutorial = false) => ({ name, package: pkg, seconds, ...(tutorial ? { tutorial } : {}) });
  const { kept, leftOut } = capPerPackage(
    [s('a_short', 'midge', 40), s('b_tut_long', 'midge', 300, true), s('c_long', 'midge', RENDER_SECONDS + 5), s('d_long', 'midge', RENDER_SECONDS + 1), s('e', 'other', 35)],
    2,
  );
  // c_long and d_long tie (both past RENDER_SECONDS): by name; the tutorial comes after the songs
  assert.deepEqual(kept.map((k) => k.name), ['c_long', 'd_long', 'e']);
  assert.deepEqual(
    leftOut.map((l) => l.name),
    ['a_short', 'b_tut_long'],
  );
  assert.equal(leftOut[0]!.reason, '2 songs of midge already (its songs before its tutorial, the longest first)');
});

test('admission: modules through heldout5 pipeline, other sets out by SHA-1, MIDI filters, onset verdicts, the cap', () => {
  const games = folder('adm', 'game');
  const other = mod([0, 1, 2, 3, 4], 'theirs');
  const files: Record<string, Uint8Array> = {
    'a_song.mod': mod([0, 1, 2, 3, 4], 'a'), // 38.4 s
    'b_song.xm.txt': mod([0], 'ignored'), // not a module name
    'c_copy.mod': mod([0, 1, 2, 3, 4], 'a'), // a's bytes again
    'd_theirs.mod': other,
    'e_short.mod': mod([0], 'e'), // 7.68 s
    'f_long.mod': mod([0, 1, 2, 3, 4, 5, 6], 'f'), // 53.76 s
    'g_checked.mod': mod([0, 1, 2, 3, 4, 5], 'g'),
  };
  for (const [f, b] of Object.entries(files)) writeFileSync(join(games, f), b);
  const tse3 = folder('adm', 'tse3');
  const orig = folder('adm', 'orig');
  const tut = folder('adm', 'tutorial');
  const midis: Record<string, Buffer> = {
    [join(tse3, 'Good.tse3')]: quarters(80, 100, 60),
    [join(tse3, 'Loose.tse3')]: Buffer.alloc(0), // replaced below: an unquantised file
    [join(orig, 'rock.mg')]: quarters(110, 120, 61),
    [join(orig, 'known.mg')]: quarters(120, 80, 62),
    [join(orig, 'fast.mg')]: quarters(240, 200, 63),
    [join(tut, 'short.mg')]: quarters(120, 20, 64),
    [join(tut, 'long.mg')]: quarters(120, 100, 65),
    [join(tut, 'broken.mg')]: Buffer.alloc(0),
  };
  // a file whose notes fall off the sixteenth and triplet grid
  const loose: NoteEvent[] = [];
  for (let i = 0; i < 100; i++) loose.push({ tick: i * 96 + 7, dur: 10, key: 66, vel: 90, channel: 0 });
  midis[join(tse3, 'Loose.tse3')] = writeSmf({ ppq: 96, tempos: [{ tick: 0, bpm: 120 }], signatures: [{ tick: 0, num: 4, den: 4 }], tracks: [{ channel: 0, program: 0, notes: loose }] });
  for (const f of Object.keys(midis)) writeFileSync(f, 'song text');
  const convert = (f: string) => {
    const b = midis[f]!;
    if (!b.length) throw new Error(`converter wrote no MIDI for ${f}`);
    return b;
  };
  const { songs, leftOut } = heldout8Songs('/nonexistent-cache', {
    moduleDirs: [
      ['game-data', games],
      ['absent-data', join(root, 'adm', 'absent')],
    ],
    moduleLength: (f) => playRows(parseModule(readFileSync(f)), Infinity, 48000).end,
    otherModules: new Set([sha1(other)]),
    otherMidis: new Set([sha1(midis[join(orig, 'known.mg')]!)]),
    tse3Dir: tse3,
    midgeDirs: [
      ['midge_', orig],
      ['midge_tutorial_', tut],
    ],
    tse3: convert,
    midge: convert,
    timidity: true,
    checkLeftOut: { mod_game_g_checked: 'the half-beat shift scores higher' },
    perPackage: 1,
  });
  assert.deepEqual(
    songs.map((s) => [s.name, s.package, s.source, Math.round(s.bpm)]),
    [
      ['midge_rock', 'midge', 'midge', 110],
      ['mod_game_f_long', 'game-data', 'module', 125],
      ['tse3_good', 'libtse3-dev', 'tse3', 80],
    ],
  );
  const rock = songs[0]!;
  assert.equal(rock.reference.length, 120);
  assert.ok(Math.abs(rock.reference[1]! - 60 / 110) < 1e-5); // the tempo is stored in whole microseconds
  assert.ok(Math.abs(rock.seconds - (119 * 60) / 110) < 1e-3);
  const f = songs[1]!;
  assert.deepEqual([f.rowsPerBeat, f.rowsPerBeatFrom, f.format, Math.round(f.seconds * 100) / 100], [4, 'convention', 'mod', 53.76]);
  const why = Object.fromEntries(leftOut.map((l) => [l.name, l.reason]));
  assert.deepEqual(why, {
    'mod_absent_*': 'not installed (apt-get install absent-data)',
    mod_game_c_copy: 'the same file as another song',
    mod_game_d_theirs: 'the same file as a song of another set',
    mod_game_e_short: '7.7 s of song (under 30 s)',
    mod_game_g_checked: 'the half-beat shift scores higher',
    mod_game_a_song: '1 songs of game-data already (highlight first, then the longest)',
    tse3_loose: 'not quantised (0% of notes on the grid, < 85%)',
    midge_fast: 'reference beat 240 BPM (outside 40-200)',
    midge_known: 'the same file as a song of another set',
    midge_tutorial_broken: `converter wrote no MIDI for ${join(tut, 'broken.mg')}`,
    midge_tutorial_short: '9.5 s of notes (< 30 s)',
    midge_tutorial_long: '1 songs of midge already (its songs before its tutorial, the longest first)',
  });
  assert.equal(leftOut.length, 12);
});

test('without TiMidity++ the MIDI songs are left out as one line; the modules stay', () => {
  const games = folder('notimidity', 'game');
  writeFileSync(join(games, 'x.mod'), mod([0, 1, 2, 3, 4], 'x'));
  const orig = folder('notimidity', 'orig');
  writeFileSync(join(orig, 'rock.mg'), 'x');
  const { songs, leftOut } = heldout8Songs('/nonexistent-cache', {
    moduleDirs: [['game-data', games]],
    moduleLength: () => 38.4,
    tse3Dir: join(root, 'notimidity', 'no-tse3'),
    midgeDirs: [['midge_', orig]],
    midge: () => quarters(120, 100),
    timidity: false,
  });
  assert.deepEqual(songs.map((s) => s.name), ['mod_game_x']);
  assert.deepEqual(leftOut, [
    { name: 'tse3_*', reason: 'not installed (apt-get install libtse3-dev)' },
    { name: 'tse3_*, midge_*', reason: 'timidity or freepats is not installed (apt-get install timidity freepats)' },
  ]);
});
