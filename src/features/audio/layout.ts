// Where each audio descriptor sits in the 128 values of one second. Consumers (the cold-start model,
// visualisers) address values by these names, never by bare numbers. Bump the extractor's version
// whenever anything here moves.
import { FEATURE_DIM } from '../../core/types.js';

export interface Span {
  start: number;
  count: number;
}

const span = (start: number, count: number): Span => ({ start, count });

export const AUDIO_LAYOUT = {
  /** 64 Slaney-scale mel bands, 0-8 kHz: mean over the second of ln(1e-10 + band power) */
  mel: span(0, 64),
  /** 13 MFCCs (orthonormal DCT-II of the log-mel row), mean over the second */
  mfcc: span(64, 13),
  /** standard deviation over the second of the 13 MFCC deltas (+-2-frame regression) */
  mfccDelta: span(77, 13),
  /** 12 pitch classes C..B (A = index 9, A4 = 440 Hz), power summed over the second, max-normalised to 1; zeros in silence */
  chroma: span(90, 12),
  /** spectral centroid, fraction of Nyquist (0-1), mean over non-silent frames */
  centroid: 102,
  /** spectral spread (standard deviation around the centroid), fraction of Nyquist */
  spread: 103,
  /** 85% magnitude roll-off frequency, fraction of Nyquist */
  rolloff: 104,
  /** spectral flatness (geometric / arithmetic mean of power), 0 tonal .. 1 white noise */
  flatness: 105,
  /** spectral flux: total-variation distance between consecutive normalised spectra, 0-1 */
  flux: 106,
  /** frame RMS (linear, full scale 1): mean, standard deviation and maximum over the second */
  rms: 107,
  rmsStd: 108,
  rmsMax: 109,
  /** ln(1e-10 + mean square) of the frames of the second: loudness in nepers, -23 in silence */
  logEnergy: 110,
  /** zero crossings per sample, mean */
  zcr: 111,
  /** onset strength (rectified log-mel rise, mean over bands): mean and max over the second */
  onsetMean: 112,
  onsetMax: 113,
  /** onsets picked in this second (count per second) */
  onsetRate: 114,
  /** local tempo in units of 120 BPM (1 = 120 BPM), from a 6-s window centred on the second; 0 if unpulsed */
  tempo: 115,
  /** normalised autocorrelation at the local tempo's lag, 0-1: how periodic the onsets are */
  tempoStrength: 116,
  /** share of the second's spectral power below 250 Hz, 250-2000 Hz, and above 4 kHz */
  lowEnergyRatio: 117,
  midEnergyRatio: 118,
  highEnergyRatio: 119,
  /** standard deviations over the second's frames */
  centroidStd: 120,
  fluxStd: 121,
  zcrStd: 122,
  onsetStd: 123,
  /** fraction of the second's frames below -80 dBFS RMS */
  silentFraction: 124,
  /** 1 - mean of the normalised chroma: near 1 for one clear pitch class, low for noise; 0 in silence */
  chromaClarity: 125,
  /** spectral crest ln(max power / mean power), mean over non-silent frames */
  crest: 126,
  /** ln((rmsMax + 1e-5) / (rmsMin + 1e-5)) over the second's frames */
  dynamicRange: 127,
} as const;

export const AUDIO_DIM = FEATURE_DIM;

/** One name per value, e.g. "mel.3", "chroma.A", "centroid", for reports and plots. */
export const AUDIO_FEATURE_NAMES: readonly string[] = (() => {
  const pitch = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
  const names = new Array<string>(AUDIO_DIM).fill('');
  for (const [key, value] of Object.entries(AUDIO_LAYOUT)) {
    if (typeof value === 'number') names[value] = key;
    else for (let i = 0; i < value.count; i++) names[value.start + i] = key === 'chroma' ? `chroma.${pitch[i]}` : `${key}.${i}`;
  }
  return names;
})();
