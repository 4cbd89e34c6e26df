// Clip windows of a video: consecutive clips of `clipSeconds`; a tail shorter than half a clip is dropped.

export interface ClipWindow {
  index: number;
  start: number;
  duration: number;
}

export function clipWindows(duration: number, clipSeconds: number): ClipWindow[] {
  if (!(clipSeconds > 0)) throw new RangeError('clipSeconds must be positive');
  if (!(duration > 0) || !Number.isFinite(duration)) return [];
  const out: ClipWindow[] = [];
  // A hair of tolerance: containers report 24.999 for a 25-s file.
  const eps = 1e-3;
  for (let i = 0; ; i++) {
    const start = i * clipSeconds;
    const left = duration - start;
    if (left + eps >= clipSeconds) out.push({ index: i, start, duration: clipSeconds });
    else {
      if (left + eps >= clipSeconds / 2) out.push({ index: i, start, duration: Math.round(left * 1000) / 1000 });
      break;
    }
  }
  return out;
}
