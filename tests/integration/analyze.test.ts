// clipmatch analyze end to end with real ffmpeg on a lavfi-generated click track of known tempo: the
// JSON's tempo, beats, downbeats and sections, the picture, and clear messages for bad input.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { tempDir } from '../helpers/media.js';

const t = tempDir('clipmatch-analyze-');
after(() => t.cleanup());

const BPM = 128;
const FIRST = 0.2;
const SECONDS = 24;

/** Clicks at BPM (1 kHz pings), every 4th louder and lower (a bar accent), from FIRST seconds. */
function makeClicks(path: string): string {
  const p = 60 / BPM;
  const ph = `mod(t-${FIRST}+${4 * p},${p})`;
  const bar = `mod(floor((t-${FIRST}+${4 * p})/${p}),4)`;
  const expr = `if(gte(t,${FIRST}),if(eq(${bar},0),0.9*sin(2*PI*500*t),0.4*sin(2*PI*1000*t))*exp(-${ph}*120),0)`;
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=exprs='${expr}':s=44100:d=${SECONDS}`, '-c:a', 'libmp3lame', '-b:a', '128k', path]);
  return path;
}

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/clipmatch.js', 'analyze', ...args], { encoding: 'utf8' });

void test('analyze --json on a 128 BPM click track: tempo, beats on the clicks, bars of 4 on the accents, sections tile the song', () => {
  const mp3 = makeClicks(join(t.dir, 'clicks.mp3'));
  const r = cli(mp3, '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout) as { tempo: number; beats: number[]; downbeats: number[]; beatsPerBar: number; duration: number; sections: { start: number; end: number; label: string; energy: number }[] };
  assert.ok(Math.abs(a.tempo - BPM) < 2, `tempo ${a.tempo}`);
  const p = 60 / BPM;
  const clicks = Array.from({ length: Math.floor((SECONDS - FIRST) / p) + 1 }, (_, i) => FIRST + i * p).filter((c) => c < SECONDS - 0.1);
  const hit = (b: number) => clicks.some((c) => Math.abs(b - c) < 0.05);
  assert.ok(a.beats.filter(hit).length >= clicks.length - 3, `${a.beats.filter(hit).length} of ${clicks.length} clicks found`);
  assert.ok(a.beats.every(hit), 'every beat on a click');
  assert.equal(a.beatsPerBar, 4);
  // downbeats are the accented clicks: every 4th from the first
  for (const d of a.downbeats) {
    const k = Math.round((d - FIRST) / p);
    assert.equal(k % 4, 0, `downbeat ${d} is click ${k}`);
  }
  assert.ok(a.sections.length >= 1);
  assert.equal(a.sections[0]!.start, 0);
  assert.ok(Math.abs(a.sections[a.sections.length - 1]!.end - a.duration) < 1e-6);
  for (const s of a.sections) assert.ok(/^[A-Z]$/.test(s.label) && s.energy >= 0 && s.energy <= 1);
});

void test('analyze --png writes a picture (and prints a summary); bad input gets a clear message', () => {
  const mp3 = join(t.dir, 'clicks.mp3');
  if (!existsSync(mp3)) makeClicks(mp3);
  const png = join(t.dir, 'analysis.png');
  const r = cli(mp3, '--png', png);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /tempo 12\d\.\d BPM/);
  const img = PNG.sync.read(readFileSync(png));
  assert.ok(img.width >= 800 && img.height >= 200);
  assert.deepEqual(readdirSync(t.dir).filter((f) => f.includes('.part')), [], 'no partial file left');

  const missing = cli(join(t.dir, 'nope.mp3'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /does not exist/);
  assert.doesNotMatch(missing.stderr, /at .*\.ts:\d+/, 'no stack trace');
  const notAudio = join(t.dir, 'notes.txt');
  execFileSync('sh', ['-c', `echo hello > ${notAudio}`]);
  const bad = cli(notAudio);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not an audio file/);
  const badPng = cli(mp3, '--png', join(t.dir, 'no-such-dir', 'a.png'));
  assert.equal(badPng.status, 1);
  assert.match(badPng.stderr, /does not exist/);
});

void test('analyze --beat-phase / --beat-level correct the grid: off the clicks by half a beat, every other click; bad values refused', () => {
  const mp3 = join(t.dir, 'clicks.mp3');
  if (!existsSync(mp3)) makeClicks(mp3);
  const p = 60 / BPM;
  const clickIndex = (b: number) => (b - FIRST) / p;
  type A = { tempo: number; beats: number[]; downbeats: number[] };
  const run = (...args: string[]): A => {
    const r = cli(mp3, '--json', ...args);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as A;
  };
  const offbeat = run('--beat-phase', '0.5');
  assert.ok(Math.abs(offbeat.tempo - BPM) < 2, `tempo ${offbeat.tempo}`);
  assert.ok(offbeat.beats.length > 20);
  for (const b of offbeat.beats) {
    const k = clickIndex(b);
    assert.ok(Math.abs(k - Math.floor(k) - 0.5) < 0.05 / p, `beat ${b} halfway between clicks (${k.toFixed(2)})`);
  }
  const half = run('--beat-level', 'half');
  assert.ok(Math.abs(half.tempo - BPM / 2) < 1, `tempo ${half.tempo}`);
  const steps = half.beats.slice(1).map((b, i) => Math.round(clickIndex(b) - clickIndex(half.beats[i]!)));
  assert.ok(steps.every((s) => s === 2), `every other click: ${steps.join(',')}`);
  assert.ok(half.downbeats.every((d) => half.beats.includes(d)), 'bars on the corrected beats');
  const text = cli(mp3, '--beat-level', 'half', '--beat-phase', '0.5');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^tempo 6\d\.\d BPM, \d beats a bar \(grid corrected: half tempo, moved 0\.5 of a beat later\)$/m);

  for (const [flag, value, why] of [['--beat-phase', '1', /from 0 to under 1/], ['--beat-phase', 'x', /from 0 to under 1/], ['--beat-level', 'triple', /half or double/]] as const) {
    const r = cli(mp3, flag, value);
    assert.equal(r.status, 1, `${flag} ${value}`);
    assert.match(r.stderr, why);
  }
});
