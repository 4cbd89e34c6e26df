// A tiny Standard MIDI File writer and reader, enough for the beat benchmark: the writer turns note lists
// and a tempo map into a format-1 file that fluidsynth renders; the reader recovers any file's tempo map
// and time signatures and turns them into the notated beat grid (seconds), the benchmark's ground truth.

export interface NoteEvent {
  /** ticks from the start */
  tick: number;
  /** length in ticks */
  dur: number;
  key: number;
  vel: number;
  channel: number;
}

export interface TempoChange {
  tick: number;
  /** beats (quarter notes) per minute */
  bpm: number;
}

export interface TimeSignature {
  tick: number;
  num: number;
  /** the denominator itself (4 for x/4), not its power of two */
  den: number;
}

export interface Track {
  name?: string;
  /** General MIDI program (0-based); ignored on channel 9 (drums) */
  program?: number;
  channel: number;
  notes: NoteEvent[];
}

export interface Song {
  ppq: number;
  tempos: TempoChange[];
  signatures: TimeSignature[];
  tracks: Track[];
}

function vlq(n: number): number[] {
  const out = [n & 0x7f];
  for (let v = n >>> 7; v > 0; v >>>= 7) out.unshift((v & 0x7f) | 0x80);
  return out;
}

function chunk(type: string, body: number[]): Buffer {
  const head = Buffer.alloc(8);
  head.write(type, 0, 'ascii');
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, Buffer.from(body)]);
}

interface Ev {
  tick: number;
  /** note-offs sort before note-ons at the same tick */
  order: number;
  bytes: number[];
}

function trackChunk(events: Ev[]): Buffer {
  events.sort((a, b) => a.tick - b.tick || a.order - b.order);
  const body: number[] = [];
  let last = 0;
  for (const e of events) {
    body.push(...vlq(e.tick - last), ...e.bytes);
    last = e.tick;
  }
  body.push(0, 0xff, 0x2f, 0);
  return chunk('MTrk', body);
}

export function writeSmf(song: Song): Buffer {
  const header = chunk('MThd', [0, 1, 0, song.tracks.length + 1, song.ppq >> 8, song.ppq & 0xff]);
  const meta: Ev[] = [];
  for (const t of song.tempos) {
    const us = Math.round(60_000_000 / t.bpm);
    meta.push({ tick: t.tick, order: 0, bytes: [0xff, 0x51, 3, (us >> 16) & 0xff, (us >> 8) & 0xff, us & 0xff] });
  }
  for (const s of song.signatures) meta.push({ tick: s.tick, order: 0, bytes: [0xff, 0x58, 4, s.num, Math.round(Math.log2(s.den)), 24, 8] });
  const chunks = [header, trackChunk(meta)];
  for (const tr of song.tracks) {
    const ev: Ev[] = [];
    if (tr.channel !== 9 && tr.program !== undefined) ev.push({ tick: 0, order: 0, bytes: [0xc0 | tr.channel, tr.program & 0x7f] });
    for (const n of tr.notes) {
      const ch = n.channel & 0x0f;
      const key = Math.max(0, Math.min(127, Math.round(n.key)));
      const vel = Math.max(1, Math.min(127, Math.round(n.vel)));
      ev.push({ tick: Math.round(n.tick), order: 2, bytes: [0x90 | ch, key, vel] });
      ev.push({ tick: Math.round(n.tick + Math.max(1, n.dur)), order: 1, bytes: [0x80 | ch, key, 0] });
    }
    chunks.push(trackChunk(ev));
  }
  return Buffer.concat(chunks);
}

export interface SmfTiming {
  ppq: number;
  tempos: TempoChange[];
  signatures: TimeSignature[];
  /** tick of the last event of any kind */
  endTick: number;
  /** tick of the first note-on */
  firstNoteTick: number;
  /** ticks of every note-on, in file order */
  noteTicks: number[];
}

/** Reads the timing of any SMF (formats 0 and 1, PPQ division). Throws on SMPTE division or garbage. */
export function readSmfTiming(buf: Buffer): SmfTiming {
  if (buf.toString('ascii', 0, 4) !== 'MThd') throw new Error('not a MIDI file');
  const hlen = buf.readUInt32BE(4);
  const ntracks = buf.readUInt16BE(10);
  const division = buf.readUInt16BE(12);
  if (division & 0x8000) throw new Error('SMPTE division is not supported');
  const tempos: TempoChange[] = [];
  const signatures: TimeSignature[] = [];
  let endTick = 0;
  let firstNoteTick = Infinity;
  const noteTicks: number[] = [];
  let p = 8 + hlen;
  for (let tr = 0; tr < ntracks && p + 8 <= buf.length; tr++) {
    const type = buf.toString('ascii', p, p + 4);
    const len = buf.readUInt32BE(p + 4);
    const end = Math.min(buf.length, p + 8 + len);
    let q = p + 8;
    p = end;
    if (type !== 'MTrk') continue;
    let tick = 0;
    let status = 0;
    const readVlq = (): number => {
      let v = 0;
      for (let i = 0; i < 4 && q < end; i++) {
        const b = buf[q++]!;
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80)) break;
      }
      return v;
    };
    while (q < end) {
      tick += readVlq();
      let b = buf[q]!;
      if (b & 0x80) {
        q++;
        if (b < 0xf0) status = b;
      } else b = status; // running status
      if (b === 0xff) {
        const mtype = buf[q++]!;
        const mlen = readVlq();
        if (mtype === 0x51 && mlen === 3) tempos.push({ tick, bpm: 60_000_000 / ((buf[q]! << 16) | (buf[q + 1]! << 8) | buf[q + 2]!) });
        if (mtype === 0x58 && mlen >= 2) signatures.push({ tick, num: buf[q]!, den: 2 ** buf[q + 1]! });
        q += mlen;
      } else if (b === 0xf0 || b === 0xf7) {
        const slen = readVlq(); // not `q += readVlq()`: that adds to q as it was before the length was read
        q += slen;
      } else {
        const hi = b & 0xf0;
        const size = hi === 0xc0 || hi === 0xd0 ? 1 : 2;
        if (hi === 0x90 && buf[q + 1]! > 0) {
          firstNoteTick = Math.min(firstNoteTick, tick);
          noteTicks.push(tick);
        }
        q += size;
      }
      endTick = Math.max(endTick, tick);
    }
  }
  tempos.sort((a, b) => a.tick - b.tick);
  signatures.sort((a, b) => a.tick - b.tick);
  if (tempos.length === 0 || tempos[0]!.tick > 0) tempos.unshift({ tick: 0, bpm: 120 });
  if (signatures.length === 0 || signatures[0]!.tick > 0) signatures.unshift({ tick: 0, num: 4, den: 4 });
  return { ppq: division, tempos, signatures, endTick, firstNoteTick: Number.isFinite(firstNoteTick) ? firstNoteTick : 0, noteTicks };
}

/** Seconds at a tick under a tempo map. */
export function tickToSeconds(tick: number, ppq: number, tempos: readonly TempoChange[]): number {
  let sec = 0;
  let at = 0;
  let bpm = tempos[0]?.bpm ?? 120;
  for (const t of tempos) {
    if (t.tick >= tick) break;
    sec += ((t.tick - at) / ppq) * (60 / bpm);
    at = t.tick;
    bpm = t.bpm;
  }
  return sec + ((tick - at) / ppq) * (60 / bpm);
}

/** Ticks per beat under a signature: the denominator's note, or a dotted quarter in compound x/8 metres. */
export function beatTicks(sig: TimeSignature, ppq: number): number {
  const unit = (4 * ppq) / sig.den;
  return sig.den === 8 && sig.num % 3 === 0 && sig.num > 3 ? 3 * unit : unit;
}

export interface Grid {
  beats: number[];
  downbeats: number[];
}

/** The notated beat grid from `fromTick` (rounded down to a beat) to `toTick`, in seconds. */
export function notatedGrid(t: SmfTiming, fromTick: number, toTick: number): Grid {
  const beats: number[] = [];
  const downbeats: number[] = [];
  for (let i = 0; i < t.signatures.length; i++) {
    const sig = t.signatures[i]!;
    const next = t.signatures[i + 1]?.tick ?? Infinity;
    const step = beatTicks(sig, t.ppq);
    const perBar = Math.max(1, Math.round(((sig.num * 4 * t.ppq) / sig.den) / step));
    let k = 0;
    for (let tick = sig.tick; tick < next && tick <= toTick; tick += step, k++) {
      if (tick + 1e-9 < fromTick - step) continue;
      if (tick < Math.floor(fromTick / step) * step - 1e-9) continue;
      const s = tickToSeconds(tick, t.ppq, t.tempos);
      beats.push(s);
      if (k % perBar === 0) downbeats.push(s);
    }
  }
  return { beats, downbeats };
}

/** Share of note-ons within 1/64 of a beat of a sixteenth or a triplet eighth: a quantised file's notated
 * grid is the grid its audio follows; one played in freely (a tempo map that nobody set) is not. */
export function quantisedShare(t: SmfTiming): number {
  if (t.noteTicks.length === 0) return 0;
  const tol = t.ppq / 64;
  const near = (tick: number, step: number) => {
    const r = tick % step;
    return Math.min(r, step - r) <= tol;
  };
  let ok = 0;
  for (const tick of t.noteTicks) if (near(tick, t.ppq / 4) || near(tick, t.ppq / 3)) ok++;
  return ok / t.noteTicks.length;
}
