// The tracker-module readers and the reference grid of the heldout5 set (bench/beats/modules.ts,
// bench/beats/heldout5.ts), on tiny handmade module bytes; no Debian package needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moduleSong, openmptArgs, rowsPerBeat } from '../../bench/beats/heldout5.js';
import { moduleReference, parseIt, parseMod, parseModule, parseS3m, parseXm, playRows } from '../../bench/beats/modules.js';

const put = (b: Uint8Array, o: number, s: string) => [...s].forEach((ch, i) => (b[o + i] = ch.charCodeAt(0)));
const w16 = (b: Uint8Array, o: number, v: number) => ((b[o] = v & 255), (b[o + 1] = v >> 8));
const w32 = (b: Uint8Array, o: number, v: number) => (w16(b, o, v & 0xffff), w16(b, o + 2, v >>> 16));

/** a 4-channel M.K. MOD; fx: [pattern, row, channel, effect, param] */
function mod(orders: number[], fx: [number, number, number, number, number][]): Uint8Array {
  const n = Math.max(...orders) + 1;
  const b = new Uint8Array(1084 + n * 1024);
  put(b, 0, 'tiny');
  b[950] = orders.length;
  orders.forEach((p, i) => (b[952 + i] = p));
  put(b, 1080, 'M.K.');
  for (const [p, r, c, e, v] of fx) {
    const o = 1084 + ((p * 64 + r) * 4 + c) * 4;
    b[o + 2] = e;
    b[o + 3] = v;
  }
  return b;
}

test('MOD: rows at speed 6 / 125 BPM last 120 ms; Fxx sets speed below 0x20 and tempo from it', () => {
  const m = parseMod(mod([0], [[0, 16, 1, 0xf, 3], [0, 32, 2, 0xf, 150]]));
  assert.equal(m.format, 'mod');
  const p = playRows(m);
  assert.equal(p.rows.length, 64);
  assert.ok(Math.abs(p.rows[1]!.time - 0.12) < 1e-9);
  assert.ok(Math.abs(p.rows[17]!.time - (16 * 0.12 + 0.06)) < 1e-9);
  assert.ok(Math.abs(p.end - (16 * 0.12 + 16 * 0.06 + 32 * 0.05)) < 1e-9);
});

test('MOD: a BCD pattern break, a pattern delay, the song ends at a jump back; loops and F00 are flagged', () => {
  const m = parseMod(mod([0, 1], [[0, 3, 0, 0xd, 0x16], [1, 20, 0, 0xe, 0xe2], [1, 31, 3, 0xb, 0]]));
  const p = playRows(m);
  assert.deepEqual([p.rows[3]!.row, p.rows[4]!.order, p.rows[4]!.row], [3, 1, 16]); // D16 = row 16
  assert.equal(p.rows.length, 4 + 16);
  assert.ok(Math.abs(p.rows.find((r) => r.row === 20 && r.order === 1)!.duration - 0.36) < 1e-9); // EE2: 3 x the row
  assert.deepEqual(playRows(parseMod(mod([0], [[0, 5, 0, 0xe, 0x62]]))).problems, ['pattern loop (E6x/SBx)']);
  assert.deepEqual(playRows(parseMod(mod([0], [[0, 5, 0, 0xf, 0]]))).problems, ['F00 (stop)']);
  assert.throws(() => parseMod(new Uint8Array(1084)), /not a 31-sample MOD/);
});

test('ticks rounded down to whole samples at the render rate, as libopenmpt renders', () => {
  const m = parseMod(mod([0], [[0, 0, 0, 0xf, 128]]));
  assert.ok(Math.abs(playRows(m, Infinity, 48000).end - (64 * 6 * 937) / 48000) < 1e-9);
});

/** an S3M with one pattern; cells: [row, channel, command, info] */
function s3m(cells: [number, number, number, number][], speed = 6, tempo = 125): Uint8Array {
  const rows: number[] = [];
  for (let r = 0; r < 64; r++) {
    for (const [rr, c, cmd, info] of cells) if (rr === r) rows.push(128 | c, cmd, info);
    rows.push(0);
  }
  const b = new Uint8Array(0x70 + 2 + rows.length);
  put(b, 0, 'tiny s3m');
  b[0x1c] = 0x1a;
  b[0x1d] = 16;
  w16(b, 0x20, 2);
  w16(b, 0x24, 1);
  put(b, 0x2c, 'SCRM');
  b[0x31] = speed;
  b[0x32] = tempo;
  b[0x60] = 0;
  b[0x61] = 255;
  w16(b, 0x62, 0x70 / 16);
  w16(b, 0x70, rows.length + 2);
  b.set(rows, 0x72);
  return b;
}

test('S3M: Axx speed, Txx tempo, T0x slides flagged, Cxx break read as BCD', () => {
  const m = parseModule(s3m([[8, 0, 1, 3], [8, 1, 20, 150]]));
  assert.equal(m.format, 's3m');
  const p = playRows(m);
  assert.ok(Math.abs(p.rows[9]!.time - (8 * 0.12 + 0.05)) < 1e-9);
  assert.deepEqual(playRows(parseS3m(s3m([[1, 0, 20, 0x05]]))).problems, ['tempo slide (T0x/T1x)']);
  const brk = playRows(parseS3m(s3m([[15, 0, 3, 0]])));
  assert.equal(brk.rows.length, 16); // C00 on row 15: to the next order (none), the song ends
});

/** an XM with one pattern of `nRows` rows and 2 channels; cells: [row, channel, effect, param] */
function xm(nRows: number, cells: [number, number, number, number][], speed = 6, bpm = 125): Uint8Array {
  const data: number[] = [];
  for (let r = 0; r < nRows; r++)
    for (let c = 0; c < 2; c++) {
      const cell = cells.find(([rr, cc]) => rr === r && cc === c);
      if (cell) data.push(0x80 | 8 | 16, cell[2], cell[3]);
      else data.push(0x80);
    }
  const b = new Uint8Array(60 + 276 + 9 + data.length);
  put(b, 0, 'Extended Module: ');
  put(b, 17, 'tiny xm');
  b[37] = 0x1a;
  w16(b, 58, 0x104);
  w32(b, 60, 276);
  w16(b, 64, 1);
  w16(b, 68, 2);
  w16(b, 70, 1);
  w16(b, 76, speed);
  w16(b, 78, bpm);
  const o = 60 + 276;
  w32(b, o, 9);
  w16(b, o + 5, nRows);
  w16(b, o + 7, data.length);
  b.set(data, o + 9);
  return b;
}

test('XM: packed cells, Fxx speed and BPM, pattern length from the pattern header', () => {
  const m = parseXm(xm(32, [[0, 1, 0xf, 3], [4, 0, 0xf, 0x96]], 6, 125));
  assert.equal(m.patterns[0]!.length, 32);
  const p = playRows(m);
  assert.equal(p.rows.length, 32);
  assert.ok(Math.abs(p.rows[4]!.time - 4 * 0.06) < 1e-9);
  assert.ok(Math.abs(p.end - (4 * 0.06 + 28 * 0.05)) < 1e-9);
  assert.equal(parseModule(xm(4, [])).format, 'xm');
});

/** an IT with one pattern; cells: [row, channel, command, param]; highlight [beat, measure] */
function it(cells: [number, number, number, number][], highlight: [number, number], nRows = 64, speed = 6, tempo = 125): Uint8Array {
  const data: number[] = [];
  const last = new Map<number, string>();
  for (let r = 0; r < nRows; r++) {
    for (const [, c, cmd, param] of cells.filter(([rr]) => rr === r)) {
      const same = last.get(c) === `${cmd},${param}`;
      data.push(c + 1 + 128, same ? 128 : 8);
      if (!same) data.push(cmd, param);
      last.set(c, `${cmd},${param}`);
    }
    data.push(0);
  }
  const patOff = 0xc0 + 2 + 4;
  const b = new Uint8Array(patOff + 8 + data.length);
  put(b, 0, 'IMPM');
  put(b, 4, 'tiny it');
  b[0x1e] = highlight[0];
  b[0x1f] = highlight[1];
  w16(b, 0x20, 2);
  w16(b, 0x26, 1);
  w16(b, 0x28, 0x217);
  b[0x32] = speed;
  b[0x33] = tempo;
  b[0xc0] = 0;
  b[0xc1] = 255;
  w32(b, 0xc2, patOff);
  w16(b, patOff, data.length);
  w16(b, patOff + 2, nRows);
  b.set(data, patOff + 8);
  return b;
}

test('IT: the highlight, "last command" cells, SEx / S6x delays, T0x slides flagged', () => {
  const m = parseIt(it([[0, 0, 1, 4], [2, 0, 1, 4], [3, 2, 19, 0xe1], [5, 1, 19, 0x62]], [3, 12]));
  assert.deepEqual(m.highlight, { beat: 3, measure: 12 });
  assert.equal(m.patterns[0]![2]!.length, 1); // row 2 repeats channel 0's A04 through the 'last command' mask
  const p = playRows(m);
  assert.ok(Math.abs(p.rows[3]!.duration - (2 * 4 * 0.02)) < 1e-9); // SE1: the row twice
  assert.ok(Math.abs(p.rows[5]!.duration - 6 * 0.02) < 1e-9); // S62: 2 ticks more
  assert.deepEqual(rowsPerBeat(m, 4), { rows: 3, from: 'highlight', meter: '4 beats' });
  assert.deepEqual(rowsPerBeat(parseIt(it([], [4, 16])), 6), { rows: 4, from: 'convention' });
  assert.deepEqual(rowsPerBeat(parseIt(it([], [0, 0])), 3), { rows: 8, from: 'convention' });
  assert.equal(rowsPerBeat(parseIt(it([], [0, 0])), 16), null);
  assert.deepEqual(playRows(parseIt(it([[1, 0, 20, 0x12]], [4, 16]))).problems, ['tempo slide (T0x/T1x)']);
});

test('the grid: a beat every rowsPerBeat rows of each pattern; off-beat entries and tempo changes flagged', () => {
  const p = playRows(parseMod(mod([0], [])));
  const g = moduleReference(p, 4);
  assert.equal(g.beats.length, 16);
  assert.ok(Math.abs(g.bpm - 125) < 1e-9 && g.problem === null);
  assert.match(moduleReference(playRows(parseMod(mod([0, 1], [[0, 10, 0, 0xd, 0]]))), 4).problem!, /plays 11 rows/);
  assert.match(moduleReference(playRows(parseMod(mod([0, 1], [[0, 63, 0, 0xd, 0x02]]))), 4).problem!, /entered at row 2/);
  assert.match(moduleReference(playRows(parseMod(mod([0], [[0, 32, 0, 0xf, 0x60]]))), 4).problem!, /tempo or speed changes/);
});

test('moduleSong: length confirmed by openmpt123, 30 s minimum, BPM range, a fast convention grid doubled', () => {
  const long = mod([0, 1, 2, 3, 4], []); // 5 x 64 rows at 120 ms = 38.4 s
  const s = moduleSong(long, 38.4);
  assert.equal(s.problem, null);
  if (s.problem === null) assert.deepEqual([s.rowsPerBeat, s.from, Math.round(s.bpm)], [4, 'convention', 125]);
  assert.match(moduleSong(long, 40)!.problem!, /openmpt123 says/);
  assert.match(moduleSong(mod([0], []), 7.68)!.problem!, /under 30 s/);
  const fast = mod([0, 1, 2, 3, 4, 5, 6, 7], [[0, 0, 0, 0xf, 4]]); // speed 4: 4 rows = 187.5 BPM, so 8 rows
  const f = moduleSong(fast, (8 * 64 * 4 * 0.02 * 48000) / 48000);
  assert.equal(f.problem, null);
  if (f.problem === null) assert.deepEqual([f.rowsPerBeat, Math.round(f.bpm * 100) / 100], [8, 93.75]);
  assert.deepEqual(openmptArgs('/x.it', '/o.wav').slice(-4), ['-o', '/o.wav', '--', '/x.it']);
  assert.ok(openmptArgs('/x.it', '/o.wav').join(' ').includes('--subsong 0 --samplerate 48000 --channels 1'));
});
