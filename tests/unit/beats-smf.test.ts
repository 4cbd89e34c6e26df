// The beat benchmark's MIDI timing reader (bench/beats/smf.ts): the reference grid of every MIDI song
// comes from it, so a misread event shifts a song's whole reference.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notatedGrid, readSmfTiming } from '../../bench/beats/smf.js';

function smf(track: number[], ppq = 96): Buffer {
  const head = Buffer.from([0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, ppq >> 8, ppq & 0xff]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(track.length);
  return Buffer.concat([head, Buffer.from('MTrk'), len, Buffer.from(track)]);
}

test('a SysEx event before the tempo does not shift the events after it', () => {
  // delta 0: SysEx (GM on, 5 data bytes); delta 0: tempo 130 BPM (461538 us); delta 0: note on; delta 96: note off; end
  const midi = smf([0x00, 0xf0, 0x05, 0x7e, 0x7f, 0x09, 0x01, 0xf7, 0x00, 0xff, 0x51, 0x03, 0x07, 0x0a, 0xe2, 0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xff, 0x2f, 0x00]);
  const t = readSmfTiming(midi);
  assert.equal(t.tempos.length, 1);
  assert.equal(t.tempos[0]!.tick, 0);
  assert.ok(Math.abs(t.tempos[0]!.bpm - 130) < 0.01);
  assert.deepEqual(t.noteTicks, [0]);
  assert.equal(t.endTick, 96);
  const grid = notatedGrid(t, 0, 96 * 4);
  assert.ok(Math.abs(grid.beats[1]! - grid.beats[0]! - 60 / 130) < 1e-6);
});

test('an escaped (F7) SysEx packet and a sequencer-specific meta event are skipped whole', () => {
  const midi = smf([0x00, 0xf7, 0x02, 0x01, 0x02, 0x00, 0xff, 0x7f, 0x03, 0x4a, 0x41, 0x5a, 0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, 0x10, 0x90, 64, 90, 0x00, 0xff, 0x2f, 0x00]);
  const t = readSmfTiming(midi);
  assert.equal(t.tempos[0]!.tick, 0);
  assert.ok(Math.abs(t.tempos[0]!.bpm - 120) < 0.01);
  assert.deepEqual(t.noteTicks, [16]);
});
