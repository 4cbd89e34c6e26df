// Small readers of tracker modules (ProTracker-style MOD, Scream Tracker 3 S3M, FastTracker 2 XM, Impulse
// Tracker IT / OpenMPT MPTM) that keep only what sets the timing: the order list, each pattern's rows with
// their timing effects (speed, tempo, tempo slide, position jump, pattern break, pattern delay, fine pattern
// delay, pattern loop), the initial speed and tempo, and IT's stored row highlight. `playRows` walks the order
// list as a player does and times every row (row = speed ticks of 2.5 / tempo s); `moduleReference` turns the
// rows into a beat grid. Nothing here renders or listens to audio.

export type ModuleFormat = 'mod' | 's3m' | 'xm' | 'it';

/** a timing effect on a row (already decoded from each format's command numbering) */
export type TimingEffect =
  | { kind: 'speed'; value: number }
  | { kind: 'tempo'; value: number }
  | { kind: 'tempoSlide'; value: number }
  | { kind: 'jump'; value: number }
  | { kind: 'break'; value: number }
  | { kind: 'patternDelay'; value: number }
  | { kind: 'finePatternDelay'; value: number }
  | { kind: 'loop'; value: number }
  | { kind: 'stop'; value: number };

export interface TrackerModule {
  format: ModuleFormat;
  title: string;
  /** pattern numbers in play order; -1 = skip marker (IT/S3M 254), the list ends at IT/S3M's 255 */
  orders: number[];
  /** per pattern, per row, the timing effects of all channels in channel order */
  patterns: TimingEffect[][][];
  speed: number;
  tempo: number;
  /** IT/MPTM row highlight: rows per beat and per measure as stored (0 when not stored) */
  highlight?: { beat: number; measure: number };
  /** IT: the tracker version that wrote the file (Cwt/v) */
  createdWith?: number;
}

const ascii = (b: Uint8Array, from: number, len: number) =>
  String.fromCharCode(...b.subarray(from, from + len)).replace(/\0[\s\S]*$/, '').trim();
const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const bcd = (x: number) => (x >> 4) * 10 + (x & 15);

function need(b: Uint8Array, end: number, what: string): void {
  if (end > b.length) throw new Error(`truncated ${what} (needs ${end} bytes, has ${b.length})`);
}

/** ProTracker/FastTracker effect (MOD and XM share the numbering): the timing part of command `cmd`, `param` */
function ptEffect(cmd: number, param: number): TimingEffect | null {
  switch (cmd) {
    case 0x0b:
      return { kind: 'jump', value: param };
    case 0x0d:
      return { kind: 'break', value: bcd(param) };
    case 0x0e:
      if (param >> 4 === 0x6) return { kind: 'loop', value: param & 15 };
      if (param >> 4 === 0xe) return { kind: 'patternDelay', value: param & 15 };
      return null;
    case 0x0f:
      if (param === 0) return { kind: 'stop', value: 0 };
      return param < 0x20 ? { kind: 'speed', value: param } : { kind: 'tempo', value: param };
    default:
      return null;
  }
}

/** Impulse/Scream Tracker effect (letters A=1 ... Z=26): the timing part of command `cmd`, `param` */
function itEffect(cmd: number, param: number, s3m: boolean): TimingEffect | null {
  switch (cmd) {
    case 1:
      return param ? { kind: 'speed', value: param } : null; // A00 does nothing
    case 2:
      return { kind: 'jump', value: param };
    case 3:
      return { kind: 'break', value: s3m ? bcd(param) : param };
    case 19: {
      const hi = param >> 4;
      if (hi === 0xb) return { kind: 'loop', value: param & 15 };
      if (hi === 0xe) return { kind: 'patternDelay', value: param & 15 };
      if (hi === 0x6) return { kind: 'finePatternDelay', value: param & 15 };
      return null;
    }
    case 20:
      return param >= 0x20 ? { kind: 'tempo', value: param } : { kind: 'tempoSlide', value: param };
    default:
      return null;
  }
}

const MOD_CHANNELS: Record<string, number> = { 'M.K.': 4, 'M!K!': 4, 'M&K!': 4, FLT4: 4, '4CHN': 4, '6CHN': 6, '8CHN': 8, FLT8: 8, OCTA: 8, CD81: 8 };

/** A 31-sample MOD ("M.K." and its kin, nCHN, nnCH). */
export function parseMod(b: Uint8Array): TrackerModule {
  need(b, 1084, 'MOD header');
  const sig = ascii(b, 1080, 4);
  let channels = MOD_CHANNELS[sig];
  if (!channels && /^\d\dCH$/.test(sig)) channels = Number(sig.slice(0, 2));
  if (!channels && /^\dCHN$/.test(sig)) channels = Number(sig[0]);
  if (!channels) throw new Error(`not a 31-sample MOD (signature ${JSON.stringify(sig)})`);
  const length = b[950]!;
  if (length < 1 || length > 128) throw new Error(`bad MOD song length ${length}`);
  const table = [...b.subarray(952, 1080)];
  const nPatterns = Math.max(...table) + 1;
  need(b, 1084 + nPatterns * 64 * channels * 4, 'MOD patterns');
  const patterns: TimingEffect[][][] = [];
  for (let p = 0; p < nPatterns; p++) {
    const rows: TimingEffect[][] = [];
    for (let r = 0; r < 64; r++) {
      const fx: TimingEffect[] = [];
      for (let c = 0; c < channels; c++) {
        const o = 1084 + ((p * 64 + r) * channels + c) * 4;
        const e = ptEffect(b[o + 2]! & 15, b[o + 3]!);
        if (e) fx.push(e);
      }
      rows.push(fx);
    }
    patterns.push(rows);
  }
  return { format: 'mod', title: ascii(b, 0, 20), orders: table.slice(0, length), patterns, speed: 6, tempo: 125 };
}

/** A Scream Tracker 3 module. */
export function parseS3m(b: Uint8Array): TrackerModule {
  need(b, 0x60, 'S3M header');
  if (ascii(b, 0x2c, 4) !== 'SCRM') throw new Error('not an S3M (no SCRM)');
  const ordNum = u16(b, 0x20);
  const insNum = u16(b, 0x22);
  const patNum = u16(b, 0x24);
  need(b, 0x60 + ordNum + 2 * insNum + 2 * patNum, 'S3M tables');
  const orders: number[] = [];
  for (let i = 0; i < ordNum; i++) {
    const o = b[0x60 + i]!;
    if (o === 255) break;
    orders.push(o === 254 ? -1 : o);
  }
  const patterns: TimingEffect[][][] = [];
  const pp = 0x60 + ordNum + 2 * insNum;
  for (let p = 0; p < patNum; p++) {
    const rows: TimingEffect[][] = Array.from({ length: 64 }, () => []);
    const off = u16(b, pp + 2 * p) * 16;
    if (off) {
      need(b, off + 2, 'S3M pattern');
      const end = Math.min(b.length, off + u16(b, off));
      let i = off + 2;
      for (let r = 0; r < 64 && i < end; ) {
        const what = b[i++]!;
        if (what === 0) {
          r++;
          continue;
        }
        if (what & 32) i += 2;
        if (what & 64) i += 1;
        if (what & 128) {
          const e = itEffect(b[i]!, b[i + 1]!, true);
          if (e) rows[r]!.push(e);
          i += 2;
        }
      }
    }
    patterns.push(rows);
  }
  return { format: 's3m', title: ascii(b, 0, 28), orders, patterns, speed: b[0x31]! || 6, tempo: b[0x32]! || 125 };
}

/** A FastTracker 2 XM module. */
export function parseXm(b: Uint8Array): TrackerModule {
  need(b, 80, 'XM header');
  if (ascii(b, 0, 17) !== 'Extended Module:') throw new Error('not an XM');
  const headerSize = u32(b, 60);
  const length = u16(b, 64);
  const channels = u16(b, 68);
  const nPatterns = u16(b, 70);
  const orders = [...b.subarray(80, 80 + Math.min(256, length))];
  const patterns: TimingEffect[][][] = [];
  let o = 60 + headerSize;
  for (let p = 0; p < nPatterns; p++) {
    need(b, o + 9, 'XM pattern header');
    const hl = u32(b, o);
    const nRows = u16(b, o + 5);
    const size = u16(b, o + 7);
    let i = o + hl;
    const end = i + size;
    need(b, end, 'XM pattern data');
    const rows: TimingEffect[][] = [];
    for (let r = 0; r < nRows; r++) {
      const fx: TimingEffect[] = [];
      for (let c = 0; c < channels && size > 0; c++) {
        let cmd = 0;
        let param = 0;
        const f = b[i]!;
        if (f & 0x80) {
          i++;
          if (f & 1) i++;
          if (f & 2) i++;
          if (f & 4) i++;
          if (f & 8) cmd = b[i++]!;
          if (f & 16) param = b[i++]!;
        } else {
          cmd = b[i + 3]!;
          param = b[i + 4]!;
          i += 5;
        }
        const e = ptEffect(cmd, param);
        if (e) fx.push(e);
      }
      rows.push(fx);
    }
    patterns.push(rows);
    o = end;
  }
  return { format: 'xm', title: ascii(b, 17, 20), orders: orders.map((x) => (x < nPatterns ? x : -1)), patterns, speed: u16(b, 76) || 6, tempo: u16(b, 78) || 125 };
}

/** An Impulse Tracker IT module (and OpenMPT's MPTM, which starts as one). */
export function parseIt(b: Uint8Array): TrackerModule {
  need(b, 0xc0, 'IT header');
  if (ascii(b, 0, 4) !== 'IMPM') throw new Error('not an IT (no IMPM)');
  const ordNum = u16(b, 0x20);
  const insNum = u16(b, 0x22);
  const smpNum = u16(b, 0x24);
  const patNum = u16(b, 0x26);
  need(b, 0xc0 + ordNum + 4 * (insNum + smpNum + patNum), 'IT tables');
  const orders: number[] = [];
  for (let i = 0; i < ordNum; i++) {
    const x = b[0xc0 + i]!;
    if (x === 255) break;
    orders.push(x === 254 ? -1 : x);
  }
  const pp = 0xc0 + ordNum + 4 * (insNum + smpNum);
  const patterns: TimingEffect[][][] = [];
  for (let p = 0; p < patNum; p++) {
    const off = u32(b, pp + 4 * p);
    if (!off) {
      patterns.push(Array.from({ length: 64 }, () => []));
      continue;
    }
    need(b, off + 8, 'IT pattern header');
    const len = u16(b, off);
    const nRows = u16(b, off + 2);
    const rows: TimingEffect[][] = Array.from({ length: nRows }, () => []);
    const mask = new Uint8Array(64);
    const lastCmd = new Uint8Array(64);
    const lastParam = new Uint8Array(64);
    let i = off + 8;
    const end = Math.min(b.length, i + len);
    for (let r = 0; r < nRows && i < end; ) {
      const cv = b[i++]!;
      if (cv === 0) {
        r++;
        continue;
      }
      const ch = (cv - 1) & 63;
      if (cv & 128) mask[ch] = b[i++]!;
      const m = mask[ch]!;
      if (m & 1) i++;
      if (m & 2) i++;
      if (m & 4) i++;
      let has = false;
      if (m & 8) {
        lastCmd[ch] = b[i]!;
        lastParam[ch] = b[i + 1]!;
        i += 2;
        has = true;
      }
      if (m & 128) has = true;
      if (has) {
        const e = itEffect(lastCmd[ch]!, lastParam[ch]!, false);
        if (e) rows[r]!.push(e);
      }
    }
    patterns.push(rows);
  }
  return {
    format: 'it',
    title: ascii(b, 4, 26),
    orders,
    patterns,
    speed: b[0x32]! || 6,
    tempo: b[0x33]! || 125,
    highlight: { beat: b[0x1e]!, measure: b[0x1f]! },
    createdWith: u16(b, 0x28),
  };
}

/** Reads a module by its content (IMPM, SCRM, Extended Module:, a MOD signature at 1080). */
export function parseModule(b: Uint8Array): TrackerModule {
  if (ascii(b, 0, 4) === 'IMPM') return parseIt(b);
  if (b.length >= 0x30 && ascii(b, 0x2c, 4) === 'SCRM') return parseS3m(b);
  if (ascii(b, 0, 17) === 'Extended Module:') return parseXm(b);
  return parseMod(b);
}

// ---------------------------------------------------------------- playing the order list

export interface PlayedRow {
  order: number;
  pattern: number;
  row: number;
  /** start time in seconds */
  time: number;
  duration: number;
  speed: number;
  tempo: number;
}

export interface Playback {
  rows: PlayedRow[];
  /** when the last played row ends (s) */
  end: number;
  /** why the timing cannot be trusted (tempo slides, pattern loops, F00 stop), empty when it can */
  problems: string[];
}

/** Walks the order list from order 0 row 0 as a player does, until the song ends (the end of the order list,
 * or a jump or break to a row already played: the song loops) or `maxSeconds` of rows have been played. A tick
 * lasts 2.5 / tempo s, or with `sampleRate`, that rounded down to whole samples (as libopenmpt renders). */
export function playRows(m: TrackerModule, maxSeconds = Infinity, sampleRate = 0): Playback {
  const rows: PlayedRow[] = [];
  const problems = new Set<string>();
  const seen = new Set<string>();
  let speed = m.speed;
  let tempo = m.tempo;
  let t = 0;
  let order: number;
  let row = 0;
  const nextOrder = (o: number): number => {
    let x = o;
    while (x < m.orders.length && (m.orders[x]! < 0 || !m.patterns[m.orders[x]!])) x++;
    return x;
  };
  order = nextOrder(0);
  while (order < m.orders.length && t < maxSeconds) {
    const pat = m.orders[order]!;
    const pattern = m.patterns[pat]!;
    if (row >= pattern.length) row = 0;
    const key = `${order}:${row}`;
    if (seen.has(key)) break;
    seen.add(key);
    let jump = -1;
    let brk = -1;
    let delay = -1;
    let fine = 0;
    for (const e of pattern[row] ?? []) {
      if (e.kind === 'speed') speed = e.value;
      else if (e.kind === 'tempo') tempo = e.value;
      else if (e.kind === 'tempoSlide') problems.add('tempo slide (T0x/T1x)');
      else if (e.kind === 'jump') jump = e.value;
      else if (e.kind === 'break') brk = e.value;
      else if (e.kind === 'patternDelay') delay = delay < 0 ? e.value : delay; // the first one counts
      else if (e.kind === 'finePatternDelay') fine += e.value;
      else if (e.kind === 'loop') problems.add('pattern loop (E6x/SBx)');
      else problems.add('F00 (stop)');
    }
    const ticks = speed * (1 + Math.max(0, delay)) + fine;
    const duration = sampleRate ? (ticks * Math.floor((sampleRate * 2.5) / tempo)) / sampleRate : (2.5 * ticks) / tempo;
    rows.push({ order, pattern: pat, row, time: t, duration, speed, tempo });
    t += duration;
    if (jump >= 0 || brk >= 0) {
      const to = jump >= 0 ? jump : order + 1;
      order = nextOrder(to);
      row = Math.max(0, brk);
    } else if (row + 1 < pattern.length) row++;
    else {
      order = nextOrder(order + 1);
      row = 0;
    }
  }
  return { rows, end: t, problems: [...problems] };
}

export interface ModuleGrid {
  /** beat times (s): every `rowsPerBeat`-th row of each pattern (row % rowsPerBeat === 0) */
  beats: number[];
  /** why the grid is not a regular beat grid, or null */
  problem: string | null;
  bpm: number;
  /** longest over shortest beat */
  spread: number;
}

/** The beat grid of played rows: a beat on every row whose index in its pattern is a multiple of
 * `rowsPerBeat`. Flags a pattern stretch (from where it is entered to where it is left) that starts off the
 * beat or does not last whole beats (but for the last), and beats that differ more than `maxSpread`. */
export function moduleReference(p: Playback, rowsPerBeat: number, maxSeconds = Infinity, maxSpread = 1.03): ModuleGrid {
  const beats: number[] = [];
  let problem: string | null = null;
  const played = p.rows.filter((r) => r.time < maxSeconds);
  let start = 0;
  for (let i = 0; i < played.length; i++) {
    const r = played[i]!;
    const next = played[i + 1];
    if (r.row % rowsPerBeat === 0) beats.push(r.time);
    const leaves = !next || next.order !== r.order || next.row !== r.row + 1;
    if (leaves) {
      const from = played[start]!.row;
      const n = i - start + 1;
      if (!problem && from % rowsPerBeat !== 0) problem = `order ${r.order} is entered at row ${from}, off the ${rowsPerBeat}-row beat`;
      if (!problem && next && n % rowsPerBeat !== 0) problem = `order ${r.order} plays ${n} rows, not whole ${rowsPerBeat}-row beats`;
      start = i + 1;
    }
  }
  const gaps = beats.slice(1).map((x, i) => x - beats[i]!);
  const sorted = [...gaps].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1] ?? 0;
  const spread = sorted.length ? sorted[sorted.length - 1]! / sorted[0]! : 1;
  if (!problem && spread > maxSpread) problem = `beats from ${Math.round(60 / sorted[sorted.length - 1]!)} to ${Math.round(60 / sorted[0]!)} BPM (tempo or speed changes)`;
  return { beats, problem, bpm: median ? 60 / median : 0, spread: Math.round(spread * 1000) / 1000 };
}
