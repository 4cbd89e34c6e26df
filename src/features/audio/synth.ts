// Deterministic synthetic signals for tests and benchmarks: sines, seeded noise, click tracks and a
// music-like loop (drums, bass, chords). Nothing here is used by the extractor itself.

/** Seeded uniform generator in [0, 1) (32-bit LCG): same seed, same signal, on every machine. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export function sine(hz: number, seconds: number, sampleRate = 16000, amplitude = 0.5): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / sampleRate);
  return x;
}

export function whiteNoise(seconds: number, sampleRate = 16000, amplitude = 0.3, seed = 1): Float32Array {
  const rnd = seededRandom(seed);
  const n = Math.round(seconds * sampleRate);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * (2 * rnd() - 1);
  return x;
}

/** Decaying noise bursts (10 ms) at `bpm`, the first at `offset` seconds. */
export function clickTrack(bpm: number, seconds: number, sampleRate = 16000, offset = 0.1, seed = 7): Float32Array {
  const rnd = seededRandom(seed);
  const x = new Float32Array(Math.round(seconds * sampleRate));
  const period = (60 / bpm) * sampleRate;
  const decay = 0.002 * sampleRate;
  for (let t = offset * sampleRate; t < x.length; t += period) {
    const s = Math.round(t);
    for (let j = 0; j < 5 * decay && s + j < x.length; j++) x[s + j] = 0.8 * Math.exp(-j / decay) * (2 * rnd() - 1);
  }
  return x;
}

/**
 * A pop-like loop at `bpm`: kick on beats 1 and 3, snare on 2 and 4, hi-hat on eighths, a bass note
 * per beat and a sustained three-note chord per bar, over faint noise. Peak level about -6 dBFS.
 */
export function musicLike(seconds: number, sampleRate = 16000, bpm = 112, seed = 3): Float32Array {
  const rnd = seededRandom(seed);
  const n = Math.round(seconds * sampleRate);
  const x = new Float32Array(n);
  const beat = (60 / bpm) * sampleRate;
  const bassNotes = [55, 55, 65.41, 49];
  const chords = [
    [261.63, 329.63, 392],
    [220, 261.63, 329.63],
    [174.61, 220, 261.63],
    [196, 246.94, 293.66],
  ];
  const add = (start: number, len: number, f: (j: number) => number): void => {
    const s = Math.round(start);
    for (let j = 0; j < len && s + j < n; j++) x[s + j] = x[s + j]! + f(j);
  };
  for (let b = 0; b * beat < n; b++) {
    const t0 = b * beat;
    const sr = sampleRate;
    if (b % 2 === 0) {
      add(t0, 0.25 * sr, (j) => 0.5 * Math.exp(-j / (0.06 * sr)) * Math.sin(2 * Math.PI * (50 + 80 * Math.exp(-j / (0.02 * sr))) * (j / sr)));
    } else {
      add(t0, 0.15 * sr, (j) => 0.25 * Math.exp(-j / (0.04 * sr)) * (2 * rnd() - 1));
    }
    for (const h of [0, 0.5]) add(t0 + h * beat, 0.04 * sr, (j) => 0.06 * Math.exp(-j / (0.008 * sr)) * (rnd() - rnd()));
    const bass = bassNotes[b % bassNotes.length]!;
    add(t0, beat, (j) => 0.12 * Math.exp(-j / (0.4 * sr)) * Math.sin((2 * Math.PI * bass * j) / sr));
    if (b % 4 === 0) {
      const chord = chords[(b / 4) % chords.length]!;
      add(t0, 4 * beat, (j) => {
        const env = Math.min(1, j / (0.01 * sr)) * Math.exp(-j / (1.5 * sr));
        let v = 0;
        for (const f of chord) v += Math.sin((2 * Math.PI * f * j) / sr) + 0.3 * Math.sin((4 * Math.PI * f * j) / sr);
        return 0.04 * env * v;
      });
    }
  }
  for (let i = 0; i < n; i++) x[i] = x[i]! + 0.003 * (2 * rnd() - 1);
  return x;
}
