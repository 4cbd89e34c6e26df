// Brute-force k-nearest and k-farthest over a row-major Float32Array, squared L2. This is the exact
// reference every approximate answer is measured against, and what small libraries use outright: at
// 128 dimensions it scans ~50k rows in a few milliseconds on one core (see docs/index-choice.md).

export interface SearchResult {
  /** row numbers, best first */
  indices: Int32Array;
  /** squared L2 distances, same order */
  distances: Float32Array;
}

/** Squared L2 distance between row `row` of `data` and `q`. */
export function l2sq(data: Float32Array, row: number, q: Float32Array, dim: number): number {
  const off = row * dim;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  // Four accumulators let V8 keep independent chains in flight; ~1.5x faster than one.
  for (; j + 3 < dim; j += 4) {
    const a = data[off + j]! - q[j]!;
    const b = data[off + j + 1]! - q[j + 1]!;
    const c = data[off + j + 2]! - q[j + 2]!;
    const d = data[off + j + 3]! - q[j + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; j < dim; j++) {
    const a = data[off + j]! - q[j]!;
    s0 += a * a;
  }
  return s0 + s1 + s2 + s3;
}

/**
 * The k rows of `data` (n rows of `dim`) closest to `q` (or farthest, with `farthest`), best first.
 * Keeps a sorted buffer of k: a row only enters when it beats the current worst, which after the
 * first few hundred rows is rare, so the cost is one distance per row.
 */
export function bruteForce(data: Float32Array, n: number, dim: number, q: Float32Array, k: number, farthest = false): SearchResult {
  const m = Math.max(0, Math.min(k, n));
  const idx = new Int32Array(m);
  const dist = new Float32Array(m);
  if (m === 0) return { indices: idx, distances: dist };
  let filled = 0;
  // `better(a, b)`: a ranks before b. Written out twice to keep the hot loop free of a closure call.
  for (let r = 0; r < n; r++) {
    const d = l2sq(data, r, q, dim);
    if (filled === m) {
      const worst = dist[m - 1]!;
      if (farthest ? d <= worst : d >= worst) continue;
    }
    let pos = filled < m ? filled++ : m - 1;
    while (pos > 0 && (farthest ? dist[pos - 1]! < d : dist[pos - 1]! > d)) {
      dist[pos] = dist[pos - 1]!;
      idx[pos] = idx[pos - 1]!;
      pos--;
    }
    dist[pos] = d;
    idx[pos] = r;
  }
  return { indices: idx, distances: dist };
}
