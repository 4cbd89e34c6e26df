// The audio extractor and the pieces other modules use. Pure DSP: no I/O, no tfjs.
import type { AudioExtractor } from '../types.js';
import { extractAudioFeatures } from './extract.js';

export const audioExtractor: AudioExtractor = {
  info: { name: 'clipmatch-audio-dsp', version: '1' },
  extract: (pcm, sampleRate) => extractAudioFeatures(pcm, sampleRate),
};

export { extractAudioFeatures } from './extract.js';
export { AUDIO_LAYOUT, AUDIO_FEATURE_NAMES, AUDIO_DIM } from './layout.js';
export type { Span } from './layout.js';
export { analyzeRhythm, loudestWindow } from './rhythm.js';
export type { RhythmAnalysis } from './rhythm.js';
export { RealFFT, hann } from './fft.js';
export { MelFilterbank, hzToMel, melToHz } from './mel.js';
export type { MelScale } from './mel.js';
