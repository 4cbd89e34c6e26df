// Placeholder until round 5's second held-out set lands (bench/beats/heldout4.ts on branch heldout4).
import type { AudioSongSpec, LeftOut } from './heldout.js';

export function heldout4Songs(cache?: string): { songs: AudioSongSpec[]; leftOut: LeftOut[] } {
  void cache;
  return { songs: [], leftOut: [] };
}
