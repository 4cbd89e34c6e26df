// Per-frame measurements of footage at full frame rate on small yuv420p frames, and the shot boundaries
// they show. The scene score is ffmpeg's own (libavfilter/f_select.c): the mean absolute difference of
// all planes to the previous frame (mafd), and score = min(mafd, |mafd - previous mafd|) / 100, so a cut
// after steady motion scores high and steady motion itself does not. Computing the same number the
// "visible cut" check (select='gt(scene,0.3)' on the rendered video) computes is what lets the planner
// predict which cuts a viewer will see. Pure: frames in, numbers out.
import type { ShotChange } from '../../core/footage.js';

/** Rate and size of the scan: 25 fps is the render rate, so a boundary is exact to one output frame. */
export const SCAN_FPS = 25;
export const SCAN_WIDTH = 192;
export const SCAN_HEIGHT = 108;

/** ffmpeg's threshold for a scene change in the visible-cut check. */
export const VISIBLE_SCENE = 0.3;
/** Changes stored as shot boundaries: a little below the visible threshold, since crop and scale move scores. */
export const STORED_SCENE = 0.15;

/** Luma (full-range 0..255) below which a pixel counts as black, as blackdetect's pixel threshold. */
const BLACK_LUMA = 32;
/** |luma step| between neighbours that counts as an edge: sharp, high-contrast ones such as text strokes. */
const EDGE_STEP = 48;

/** Measurements of one frame. */
export interface FrameMeasure {
  /** ffmpeg's scene score against the previous frame, 0..1 (0 for the first frame) */
  scene: number;
  /** mean absolute difference to the previous frame, all planes, 0..255 */
  mafd: number;
  /** mean luma 0..255 */
  luma: number;
  /** standard deviation of luma */
  lumaStd: number;
  /** share of pixels darker than BLACK_LUMA */
  dark: number;
  /** share of (chroma-grid) pixels within one colour bin of the most common colour: a flat background */
  flat: number;
  /** share of luma pixels on a sharp edge */
  edges: number;
  /** edges per pixel outside the flat background: near 1 when everything that is not background is a stroke */
  edgeRatio: number;
  /** share of the frame's area inside the rows x columns that hold edges: lines of text leave gaps, texture does not */
  edgeSpread: number;
  /** share of edge pixels in bands of rows shaped like lines of small text (2..14 rows, busy across) */
  lineShare: number;
}

/** Columns of the per-frame table, in a struct-of-arrays so an hour of footage stays a few MB. */
export interface FrameTable {
  fps: number;
  count: number;
  scene: Float32Array;
  mafd: Float32Array;
  luma: Float32Array;
  lumaStd: Float32Array;
  dark: Float32Array;
  flat: Float32Array;
  edges: Float32Array;
  edgeRatio: Float32Array;
  edgeSpread: Float32Array;
  lineShare: Float32Array;
}

const COLS = ['scene', 'mafd', 'luma', 'lumaStd', 'dark', 'flat', 'edges', 'edgeRatio', 'edgeSpread', 'lineShare'] as const;

/** Measures frames one at a time (as a stream delivers them) and keeps the table. */
export class FootageScanner {
  private prev: Uint8Array | undefined;
  private prevMafd = 0;
  private cols: Record<(typeof COLS)[number], Float32Array>;
  private n = 0;
  private readonly hist = new Uint32Array(4096);
  private readonly rowEdges: Uint16Array;
  private readonly colEdges: Uint16Array;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly fps: number,
  ) {
    if (width % 2 || height % 2) throw new RangeError('yuv420p frames need even sizes');
    this.rowEdges = new Uint16Array(height);
    this.colEdges = new Uint16Array(width);
    this.cols = Object.fromEntries(COLS.map((c) => [c, new Float32Array(256)])) as Record<(typeof COLS)[number], Float32Array>;
  }

  get count(): number {
    return this.n;
  }

  /** Measures one yuv420p frame of width x height. */
  push(yuv: Uint8Array): FrameMeasure {
    const { width: w, height: h } = this;
    const ySize = w * h;
    const cw = w >> 1;
    const ch = h >> 1;
    const cSize = cw * ch;
    if (yuv.length < ySize + 2 * cSize) throw new RangeError(`a ${w}x${h} yuv420p frame needs ${ySize + 2 * cSize} bytes, got ${yuv.length}`);
    let mafd = 0;
    let scene = 0;
    const total = ySize + 2 * cSize;
    if (this.prev) {
      const p = this.prev;
      let sad = 0;
      for (let i = 0; i < total; i++) sad += Math.abs(yuv[i]! - p[i]!);
      mafd = sad / total;
      // The second frame has no previous difference to compare with (ffmpeg then scores mafd alone, so
      // steady fast motion reads as a cut at 0.04 s): it gets no score.
      if (this.n >= 2) scene = Math.min(1, Math.max(0, Math.min(mafd, Math.abs(mafd - this.prevMafd)) / 100));
      this.prevMafd = mafd;
      p.set(yuv.subarray(0, total));
    } else this.prev = yuv.slice(0, total);

    let sumY = 0;
    let sumY2 = 0;
    let dark = 0;
    let edges = 0;
    const rowEdges = this.rowEdges;
    const colEdges = this.colEdges;
    rowEdges.fill(0);
    colEdges.fill(0);
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const v = yuv[row + x]!;
        sumY += v;
        sumY2 += v * v;
        if (v < BLACK_LUMA) dark++;
        const dx = x + 1 < w ? Math.abs(yuv[row + x + 1]! - v) : 0;
        const dy = y + 1 < h ? Math.abs(yuv[row + w + x]! - v) : 0;
        if (dx >= EDGE_STEP || dy >= EDGE_STEP) {
          edges++;
          rowEdges[y]!++;
          colEdges[x]!++;
        }
      }
    }
    let rows = 0;
    let cols = 0;
    for (let y = 0; y < h; y++) if (rowEdges[y]! >= 2) rows++;
    for (let x = 0; x < w; x++) if (colEdges[x]! >= 2) cols++;
    // Bands of consecutive rows with edges: a line of text is a short band with many edges in each row;
    // a scattered star field gives one-row specks, an object one tall band.
    let inLines = 0;
    for (let y = 0; y < h; ) {
      if (rowEdges[y]! < 2) {
        y++;
        continue;
      }
      let e = y;
      let sum = 0;
      while (e < h && rowEdges[e]! >= 2) sum += rowEdges[e++]!;
      const rowsIn = e - y;
      if (rowsIn >= 2 && rowsIn <= 14 && sum / rowsIn >= 4) inLines += sum;
      y = e;
    }
    // Colour histogram on the chroma grid (luma of the top-left pixel of each 2x2 block), 16 levels each.
    const hist = this.hist;
    hist.fill(0);
    for (let cy = 0; cy < ch; cy++) {
      for (let cx = 0; cx < cw; cx++) {
        const Y = yuv[2 * cy * w + 2 * cx]!;
        const U = yuv[ySize + cy * cw + cx]!;
        const V = yuv[ySize + cSize + cy * cw + cx]!;
        hist[((Y >> 4) << 8) | ((U >> 4) << 4) | (V >> 4)]!++;
      }
    }
    let mode = 0;
    for (let b = 1; b < 4096; b++) if (hist[b]! > hist[mode]!) mode = b;
    const my = mode >> 8;
    const mu = (mode >> 4) & 15;
    const mv = mode & 15;
    let flatCount = 0;
    for (let a = Math.max(0, my - 1); a <= Math.min(15, my + 1); a++) {
      for (let b = Math.max(0, mu - 1); b <= Math.min(15, mu + 1); b++) {
        for (let c = Math.max(0, mv - 1); c <= Math.min(15, mv + 1); c++) flatCount += hist[(a << 8) | (b << 4) | c]!;
      }
    }
    const flat = flatCount / cSize;
    const edgeShare = edges / ySize;
    const nonFlat = Math.max(1 - flat, 1 / cSize);
    const meanY = sumY / ySize;
    const m: FrameMeasure = { scene, mafd, luma: meanY, lumaStd: Math.sqrt(Math.max(0, sumY2 / ySize - meanY * meanY)), dark: dark / ySize, flat, edges: edgeShare, edgeRatio: Math.min(1, edgeShare / nonFlat), edgeSpread: (rows / h) * (cols / w), lineShare: edges > 0 ? inLines / edges : 0 };
    this.store(m);
    return m;
  }

  private store(m: FrameMeasure): void {
    if (this.n === this.cols.scene.length) {
      for (const c of COLS) {
        const grown = new Float32Array(this.cols[c].length * 2);
        grown.set(this.cols[c]);
        this.cols[c] = grown;
      }
    }
    for (const c of COLS) this.cols[c][this.n] = m[c];
    this.n++;
  }

  table(): FrameTable {
    const cut = (a: Float32Array) => a.slice(0, this.n);
    return {
      fps: this.fps,
      count: this.n,
      scene: cut(this.cols.scene),
      mafd: cut(this.cols.mafd),
      luma: cut(this.cols.luma),
      lumaStd: cut(this.cols.lumaStd),
      dark: cut(this.cols.dark),
      flat: cut(this.cols.flat),
      edges: cut(this.cols.edges),
      edgeRatio: cut(this.cols.edgeRatio),
      edgeSpread: cut(this.cols.edgeSpread),
      lineShare: cut(this.cols.lineShare),
    };
  }
}

/** Frames whose scene score reaches `threshold`, as boundaries at their start times. */
export function shotBoundaries(table: FrameTable, threshold = STORED_SCENE): ShotChange[] {
  const out: ShotChange[] = [];
  for (let i = 1; i < table.count; i++) {
    const s = table.scene[i]!;
    if (s >= threshold) out.push({ t: i / table.fps, score: Math.round(s * 1000) / 1000 });
  }
  return out;
}
