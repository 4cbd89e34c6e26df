// The beat network (src/features/audio/beat-net.ts): what its layers and its tempo head compute on hand-set
// weights, the shipped weights on a drum pattern at two loudnesses, the contrast the phase choice
// reads, and the weights file check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BeatNetWeights, beatActivation, beatNet, loadBeatNet, NET_INPUTS, netInputs, shippedBeatNet } from '../../src/features/audio/beat-net.js';
import { analyzeFrames, HARMONIC_BANDS } from '../../src/features/audio/frames.js';
import { activationContrast } from '../../src/features/audio/grid.js';
import { seededRandom } from '../../src/features/audio/synth.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** A network of `width` channels whose input layer copies input 0 to channel 0 and whose output reads channel 0. */
function copyNet(width: number, dilations: number[], taps: [number, number, number]): BeatNetWeights {
  const inW = new Array<number>(NET_INPUTS * width).fill(0);
  inW[0] = 1;
  const conv = new Array<number>(3 * width * width).fill(0);
  // tap k, input channel 0 -> output channel 0
  taps.forEach((v, k) => (conv[k * width * width] = v));
  const outW = new Array<number>(width).fill(0);
  outW[0] = 1;
  return { width, dilations, inW, inB: new Array<number>(width).fill(0), convW: dilations.map(() => [...conv]), convB: dilations.map(() => new Array<number>(width).fill(0)), outW, outB: 0 };
}

function impulses(n: number, at: Record<number, number>): Float32Array {
  const x = new Float32Array(n * NET_INPUTS);
  for (const [t, v] of Object.entries(at)) x[Number(t) * NET_INPUTS] = v;
  return x;
}

void test('beatActivation: with silent convolutions the output is a logistic of the input layer', () => {
  const w = copyNet(2, [1, 2], [0, 0, 0]);
  const out = beatActivation(w, impulses(6, { 1: 1.5, 4: -2 }));
  assert.equal(out.length, 6);
  assert.ok(Math.abs(out[1]! - sigmoid(1.5)) < 1e-6);
  assert.ok(Math.abs(out[4]! - sigmoid(-2)) < 1e-6);
  assert.ok(Math.abs(out[0]! - 0.5) < 1e-6);
});

void test('beatActivation: a dilated tap reads d frames back, zero before the first frame, and adds to the residual', () => {
  // one layer, dilation 4, only the t-d tap: h'[t] = h[t] + elu(h[t-4])
  const w = copyNet(1, [4], [1, 0, 0]);
  const out = beatActivation(w, impulses(20, { 10: 2, 2: -1 }));
  assert.ok(Math.abs(out[14]! - sigmoid(2)) < 1e-6, 'the impulse at 10 reaches 14');
  assert.ok(Math.abs(out[10]! - sigmoid(2)) < 1e-6, 'the impulse itself stays (residual)');
  assert.ok(Math.abs(out[6]! - sigmoid(Math.expm1(-1))) < 1e-6, 'ELU of a negative input');
  assert.ok(Math.abs(out[3]! - 0.5) < 1e-6, 'frame 3 reads before frame 0: zero');
  // the t+d tap reads ahead
  const ahead = beatActivation(copyNet(1, [4], [0, 0, 1]), impulses(20, { 10: 2 }));
  assert.ok(Math.abs(ahead[6]! - sigmoid(2)) < 1e-6);
  assert.ok(Math.abs(ahead[14]! - 0.5) < 1e-6);
});

void test('beatNet: the tempo head is a softmax of each layer output averaged over the frames', () => {
  // one layer copying channel 0 through its centre tap: its output is elu(x0), over 4 frames (2, 0, -1, 0)
  const w: BeatNetWeights = { ...copyNet(1, [1], [0, 1, 0]), tempo: { bpm: [60, 120, 240], w: [1, -1, 0], b: [0, 0, 0.5] } };
  const { activation, tempo } = beatNet(w, impulses(4, { 0: 2, 2: -1 }));
  assert.equal(activation.length, 4);
  const pooled = (2 + Math.expm1(-1)) / 4;
  const z = [pooled, -pooled, 0.5];
  const sum = z.reduce((a, v) => a + Math.exp(v), 0);
  assert.ok(tempo);
  z.forEach((v, k) => assert.ok(Math.abs(tempo[k]! - Math.exp(v) / sum) < 1e-9, `bin ${k}: ${tempo[k]}`));
  assert.equal(beatNet(copyNet(1, [1], [0, 1, 0]), impulses(4, {})).tempo, null, 'no head, no tempo');
});

/** A drum pattern at 120 BPM: a kick on every beat, a hi-hat on every eighth, a snare on 2 and 4. */
function drums(seconds: number, gain: number, sr: number): { x: Float32Array; beats: number[] } {
  const x = new Float32Array(seconds * sr);
  const rnd = seededRandom(7);
  const beats: number[] = [];
  for (let i = 0; 0.25 + i * 0.25 < seconds - 0.5; i++) {
    const t0 = Math.round((0.25 + i * 0.25) * sr);
    const onBeat = i % 2 === 0;
    if (onBeat) beats.push(0.25 + i * 0.25);
    for (let j = 0; j < 0.2 * sr && t0 + j < x.length; j++) {
      const hat = 0.15 * Math.exp(-j / (0.01 * sr)) * (2 * rnd() - 1);
      const kick = onBeat ? 0.6 * Math.exp(-j / (0.05 * sr)) * Math.sin((2 * Math.PI * 55 * j) / sr) : 0;
      const snare = onBeat && i % 4 === 2 ? 0.3 * Math.exp(-j / (0.04 * sr)) * (2 * rnd() - 1) : 0;
      x[t0 + j]! += gain * (hat + kick + snare);
    }
  }
  return { x, beats };
}

void test('the shipped network peaks on the beats of a drum pattern, not on the off-beat hi-hats, loud or 20 dB quieter', () => {
  const w = shippedBeatNet();
  assert.ok(w, 'src/features/audio/beat-net.weights.json is shipped');
  const sr = 16000;
  for (const gain of [1, 0.1]) {
    const { x, beats } = drums(20, gain, sr);
    const fa = analyzeFrames(x, sr, false);
    const fps = sr / fa.hop;
    const inputs = netInputs(fa, HARMONIC_BANDS, fps);
    assert.equal(inputs.length, fa.count * NET_INPUTS);
    assert.ok(inputs.every(Number.isFinite));
    const act = beatActivation(w, inputs);
    const start = (fa.win - fa.hop / 2) / sr;
    const frames = beats.filter((t) => t > 3 && t < 17).map((t) => (t - start) * fps);
    const contrast = activationContrast(act, frames, 2);
    assert.ok(contrast > Math.log(2), `gain ${gain}: activation on the beats against the off-beats, log ratio ${contrast.toFixed(2)}`);
  }
});

void test('activationContrast: positive where the activation peaks on the beats, negative halfway between', () => {
  const act = new Float32Array(100);
  for (let t = 10; t < 100; t += 10) act[t] = 0.9;
  const onGrid = [10, 20, 30, 40, 50, 60];
  const offGrid = [15, 25, 35, 45, 55, 65];
  assert.ok(activationContrast(act, onGrid, 1) > 3);
  assert.ok(activationContrast(act, offGrid, 1) < -3);
  assert.equal(activationContrast(new Float32Array(100), onGrid, 1), 0);
});

void test('loadBeatNet refuses weights of another shape', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-beatnet-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = copyNet(2, [1], [0, 1, 0]);
  const ok = join(dir, 'ok.json');
  writeFileSync(ok, JSON.stringify(good));
  assert.deepEqual(loadBeatNet(ok), good);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...good, inW: good.inW.slice(1) }));
  assert.throws(() => loadBeatNet(bad), /not the weights of a 49-input beat network/);
  const headed = join(dir, 'headed.json');
  writeFileSync(headed, JSON.stringify({ ...good, tempo: { bpm: [60, 120], w: [1, 2, 3, 4], b: [0, 0] } }));
  assert.equal(loadBeatNet(headed).tempo?.bpm.length, 2);
  const badHead = join(dir, 'bad-head.json');
  writeFileSync(badHead, JSON.stringify({ ...good, tempo: { bpm: [60, 120], w: [1, 2, 3], b: [0, 0] } }));
  assert.throws(() => loadBeatNet(badHead), /not the weights/);
});
