// --beat-level and --beat-phase, shared by `analyze` and `visualize`: the user's correction of the tracked beat
// grid (src/core/grid-correction.ts) for a song the tracker gets wrong.
import { InvalidArgumentError, type Command } from 'commander';
import type { BeatLevel, GridCorrection } from '../core/grid-correction.js';

export interface BeatCliOptions {
  beatLevel?: BeatLevel;
  beatPhase?: number;
}

const parseLevel = (v: string): BeatLevel => {
  if (v !== 'half' && v !== 'double') throw new InvalidArgumentError('expected half or double');
  return v;
};

const parsePhase = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('expected a fraction of a beat from 0 to under 1 (0.5: the off-beat)');
  return n;
};

export function addBeatOptions(cmd: Command): Command {
  return cmd
    .option('--beat-level <level>', 'correct the tracked tempo: half (every other beat) or double (a beat between each two)', parseLevel)
    .option('--beat-phase <fraction>', 'move every beat this fraction of a beat later, after --beat-level (0.5: onto the off-beat)', parsePhase);
}

/** The correction the options ask for, or undefined when they ask for none. */
export function gridCorrectionOf(o: BeatCliOptions): GridCorrection | undefined {
  if (o.beatLevel === undefined && !o.beatPhase) return undefined;
  return { ...(o.beatLevel ? { level: o.beatLevel } : {}), ...(o.beatPhase ? { phase: o.beatPhase } : {}) };
}
