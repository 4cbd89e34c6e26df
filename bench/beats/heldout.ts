// Round 4's held-out set of REAL AUDIO with a known beat grid (bench set 'heldout2': scored once unseen in
// round 4, tuned on from round 5): each song is rendered or mixed to a wav by its own tool and carries its own
// reference beats.
// - Frets on Fire songs (Debian fretsonfire-songs-muldjord, fretsonfire-songs-sectoid): studio recordings
//   (song.ogg + guitar.ogg [+ rhythm.ogg], summed); the reference is the quarter-note grid of the chart's
//   notes.mid tempo map, shifted by song.ini's `delay` (ms). FoF reads the chart at
//   `audio position - delay` (Song.getPosition), so a chart event at t plays at t + delay in the audio.
// - LMMS demo projects (lmms-common; rendered by `lmms render`): electronic music; the reference is a beat
//   every 60/bpm s from 0 (LMMS counts tempo in quarter notes, 48 ticks each) to the song's end. Projects
//   whose tempo is automated or driven by a controller are left out: their tempo map is not in `bpm`.
// - Hydrogen demo songs (hydrogen-data; rendered by `h2cli`): drum machine songs; a beat every 60/bpm s
//   from 0 (48 ticks a quarter) to the end of the pattern sequence. Songs with an active tempo timeline,
//   in pattern mode, or with a pattern whose size is not whole quarters are left out.
// Nothing here runs the beat tracker; bench/beats/check-reference.ts checks the references against the
// audio's onset envelope only.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { readSmfTiming, tickToSeconds } from './smf.js';

const run$ = promisify(execFile);

export const FOF_SONG_DIRS = ['/usr/share/games/fretsonfire/data/songs'];
export const LMMS_PROJECT_DIRS = ['/usr/share/lmms/projects/demos', '/usr/share/lmms/projects/shorties'];
export const HYDROGEN_SONG_DIR = '/usr/share/hydrogen/data/demo_songs';

/** A held-out song: its audio (rendered on demand, cached) and its reference beats in seconds. */
export interface AudioSongSpec {
  name: string;
  /** the bytes the render depends on, for the cache key */
  key: string;
  /** writes the song's audio to `out` (a .wav path) */
  renderTo: (out: string) => Promise<void>;
  reference: number[];
  /** where it comes from, for the report */
  source: 'fretsonfire' | 'lmms' | 'hydrogen' | 'musescore' | 'mma' | 'abc' | 'debian-midi' | 'module' | 'npm-midi' | 'tse3' | 'midge';
  bpm: number;
}

export interface LeftOut {
  name: string;
  reason: string;
}

// ---------------------------------------------------------------- a minimal XML reader

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const decodeEntities = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const l = e.toLowerCase();
    if (l === 'amp') return '&';
    if (l === 'lt') return '<';
    if (l === 'gt') return '>';
    if (l === 'quot') return '"';
    if (l === 'apos') return "'";
    return String.fromCodePoint(l.startsWith('#x') ? parseInt(l.slice(2), 16) : parseInt(l.slice(1), 10));
  });

/** Parses XML into elements (attributes, children, concatenated text); skips the prolog, comments, DOCTYPE;
 * keeps CDATA as text. Enough for LMMS projects and Hydrogen songs; throws on unbalanced tags. */
export function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const top = stack[stack.length - 1]!;
    if (lt < 0) {
      top.text += decodeEntities(xml.slice(i));
      break;
    }
    if (lt > i) top.text += decodeEntities(xml.slice(i, lt));
    if (xml.startsWith('<!--', lt)) {
      const e = xml.indexOf('-->', lt + 4);
      i = e < 0 ? xml.length : e + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const e = xml.indexOf(']]>', lt + 9);
      top.text += xml.slice(lt + 9, e < 0 ? xml.length : e);
      i = e < 0 ? xml.length : e + 3;
    } else if (xml.startsWith('<?', lt) || xml.startsWith('<!', lt)) {
      const e = xml.indexOf('>', lt);
      i = e < 0 ? xml.length : e + 1;
    } else if (xml[lt + 1] === '/') {
      const e = xml.indexOf('>', lt);
      const name = xml.slice(lt + 2, e).trim();
      if (stack.length < 2 || top.name !== name) throw new Error(`XML: </${name}> does not close <${top.name}>`);
      stack.pop();
      i = e + 1;
    } else {
      // a start tag; attribute values may hold '>' so scan quotes
      let j = lt + 1;
      let quote = '';
      while (j < xml.length) {
        const c = xml[j]!;
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
        j++;
      }
      const body = xml.slice(lt + 1, j);
      const selfClosing = body.endsWith('/');
      const inner = selfClosing ? body.slice(0, -1) : body;
      const name = /^[^\s/>]+/.exec(inner)?.[0] ?? '';
      const el: XmlElement = { name, attrs: {}, children: [], text: '' };
      for (const m of inner.slice(name.length).matchAll(/([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) el.attrs[m[1]!] = decodeEntities(m[3] ?? m[4] ?? '');
      top.children.push(el);
      if (!selfClosing) stack.push(el);
      i = j + 1;
    }
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1]!.name}> is not closed`);
  return root;
}

export const child = (el: XmlElement | undefined, name: string): XmlElement | undefined => el?.children.find((c) => c.name === name);
export const childrenNamed = (el: XmlElement | undefined, name: string): XmlElement[] => el?.children.filter((c) => c.name === name) ?? [];
export function* descendants(el: XmlElement): Generator<XmlElement> {
  for (const c of el.children) {
    yield c;
    yield* descendants(c);
  }
}
const childText = (el: XmlElement | undefined, name: string): string | undefined => child(el, name)?.text.trim();

/** an evenly spaced grid from 0 to `end` seconds (inclusive within a microsecond) */
export function evenGrid(period: number, end: number): number[] {
  const out: number[] = [];
  for (let k = 0; k * period <= end + 1e-6; k++) out.push(k * period);
  return out;
}

// ---------------------------------------------------------------- Frets on Fire

/** song.ini as sections of lower-case keys (FoF reads it with Python's ConfigParser: `key = value`, `;`/`#`
 * comments, keys case-insensitive). */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim().toLowerCase();
      out[section] ??= {};
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv) (out[section] ??= {})[kv[1]!.toLowerCase()] = kv[2]!;
  }
  return out;
}

/** song.ini's [song] delay in ms (FoF: `_get("delay", int, 0)`; absent = 0). Throws on a non-integer. */
export function fofDelayMs(ini: Record<string, Record<string, string>>): number {
  const v = ini['song']?.['delay'];
  if (v === undefined || v.trim() === '') return 0;
  if (!/^[-+]?\d+$/.test(v.trim())) throw new Error(`song.ini delay is not an integer: ${v}`);
  return parseInt(v.trim(), 10);
}

/** The quarter-note grid of a chart's tempo map (ticks 0, ppq, 2 ppq...) shifted by `delayMs`, from 0 to
 * `endSeconds` of audio; beats that the delay moves before 0 are dropped. */
export function fofReference(midi: Buffer, delayMs: number, endSeconds: number): number[] {
  const t = readSmfTiming(midi);
  const out: number[] = [];
  for (let tick = 0; ; tick += t.ppq) {
    const s = tickToSeconds(tick, t.ppq, t.tempos) + delayMs / 1000;
    if (s > endSeconds + 1e-6) break;
    if (s >= 0) out.push(s);
  }
  return out;
}

/** Duration of an Ogg Vorbis file: the last page's granule position over the identification header's rate. */
export function oggVorbisSeconds(buf: Buffer): number {
  if (buf.toString('ascii', 0, 4) !== 'OggS') throw new Error('not an Ogg file');
  const segs = buf[26]!;
  const body = 27 + segs;
  if (buf[body] !== 1 || buf.toString('ascii', body + 1, body + 7) !== 'vorbis') throw new Error('not Ogg Vorbis');
  const rate = buf.readUInt32LE(body + 12);
  for (let p = buf.length - 27; p >= 0; p--) {
    if (buf[p] !== 0x4f || buf.toString('ascii', p, p + 4) !== 'OggS') continue;
    const granule = buf.readBigInt64LE(p + 6);
    if (granule >= 0n) return Number(granule) / rate;
  }
  throw new Error('no Ogg page with a granule position');
}

/** a name made of lower-case letters, digits and underscores */
export const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
/** hex SHA-1 of the parts in turn (render cache keys) */
export const sha = (...parts: (Buffer | Uint8Array | string)[]) => {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** Runs `fn` with a fresh folder under the system temp folder (a renderer's HOME, its scratch files), removed
 * afterwards whatever happens. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ffmpeg args summing the stems at unit gain (amix normalize off) into a mono float wav */
export function fofMixArgs(stems: string[], out: string): string[] {
  const inputs = stems.flatMap((s) => ['-i', s]);
  const filter = stems.length > 1 ? ['-filter_complex', `amix=inputs=${stems.length}:duration=longest:normalize=0`] : [];
  return ['-v', 'error', '-y', ...inputs, ...filter, '-ac', '1', '-ar', '22050', '-c:a', 'pcm_f32le', out];
}

function fofSongs(out: AudioSongSpec[], left: LeftOut[]): void {
  for (const root of FOF_SONG_DIRS) {
    if (!existsSync(root)) continue;
    for (const lib of readdirSync(root).sort()) {
      const libDir = join(root, lib);
      if (!statSync(libDir).isDirectory()) continue;
      for (const song of readdirSync(libDir).sort()) {
        const dir = join(libDir, song);
        if (!statSync(dir).isDirectory()) continue;
        const name = `fof_${slug(song)}`;
        const stems = ['song.ogg', 'guitar.ogg', 'rhythm.ogg'].map((f) => join(dir, f)).filter((f) => existsSync(f));
        if (!existsSync(join(dir, 'notes.mid')) || !stems.some((s) => s.endsWith('song.ogg'))) {
          left.push({ name, reason: 'no notes.mid or song.ogg' });
          continue;
        }
        try {
          const midi = readFileSync(join(dir, 'notes.mid'));
          const ini = existsSync(join(dir, 'song.ini')) ? parseIni(readFileSync(join(dir, 'song.ini'), 'utf8')) : {};
          const delay = fofDelayMs(ini);
          const oggs = stems.map((s) => readFileSync(s));
          const seconds = Math.max(...oggs.map(oggVorbisSeconds));
          const t = readSmfTiming(midi);
          const bpms = new Set(t.tempos.map((x) => Math.round(x.bpm * 1000) / 1000));
          out.push({
            name,
            key: sha(midi, String(delay), ...oggs),
            renderTo: async (wav) => {
              await run$('ffmpeg', fofMixArgs(stems, wav), { timeout: 600_000 });
            },
            reference: fofReference(midi, delay, seconds),
            source: 'fretsonfire',
            bpm: bpms.size === 1 ? [...bpms][0]! : NaN,
          });
        } catch (e) {
          left.push({ name, reason: (e as Error).message });
        }
      }
    }
  }
}

// ---------------------------------------------------------------- LMMS

/** LMMS ticks per quarter note (DefaultTicksPerBar 192 in 4/4; the tempo counts quarter notes) */
export const LMMS_TICKS_PER_QUARTER = 48;

export interface LmmsProject {
  bpm: number;
  timesig: { num: number; den: number };
  /** end of the last unmuted clip of the song editor (patterns, beat/bassline clips, samples), ticks */
  lengthTicks: number;
  /** why the tempo map is not the head's bpm (automation or a controller on it), or null */
  tempoAutomated: string | null;
}

/** The XML of an .mmp (plain) or .mmpz (Qt qCompress: a 4-byte big-endian length, then zlib) project. */
export function lmmsXml(buf: Buffer): string {
  if (buf.length > 4 && buf.readUInt32BE(0) > 0 && buf[4] === 0x78) return inflateSync(buf.subarray(4)).toString('utf8');
  return buf.toString('utf8');
}

export function parseLmms(buf: Buffer): LmmsProject {
  const doc = parseXml(lmmsXml(buf));
  // LMMS before 1.0 wrote <multimedia-project>
  const proj = child(doc, 'lmms-project') ?? child(doc, 'multimedia-project');
  const head = child(proj, 'head');
  if (!head) throw new Error('no <head> in the LMMS project');
  // a head value is an attribute, or a child element (<bpm value id/>) when it is automated or controlled
  const headValue = (key: string): { value: number; el?: XmlElement } => {
    const el = child(head, key);
    const raw = el?.attrs['value'] ?? head.attrs[key];
    return { value: raw === undefined ? NaN : Number(raw), ...(el ? { el } : {}) };
  };
  const bpm = headValue('bpm');
  if (!(bpm.value > 0)) throw new Error('no tempo in the LMMS project head');
  let tempoAutomated: string | null = null;
  if (bpm.el) {
    const id = bpm.el.attrs['id'];
    if (child(bpm.el, 'connection')) tempoAutomated = 'a controller drives the tempo';
    else if (id !== undefined) {
      for (const el of descendants(doc)) {
        if (el.name === 'automationpattern' && el.children.some((o) => o.name === 'object' && o.attrs['id'] === id)) {
          tempoAutomated = 'an automation pattern moves the tempo';
          break;
        }
      }
    }
  }
  const num = headValue('timesig_numerator').value;
  const den = headValue('timesig_denominator').value;
  const song = child(proj, 'song');
  const container = childrenNamed(song, 'trackcontainer').find((c) => c.attrs['type'] === 'song') ?? child(song, 'trackcontainer');
  let lengthTicks = 0;
  for (const track of childrenNamed(container, 'track')) {
    if (track.attrs['muted'] === '1') continue;
    for (const clip of track.children) {
      if (clip.name !== 'pattern' && clip.name !== 'bbtco' && clip.name !== 'sampletco') continue;
      if (clip.attrs['muted'] === '1') continue;
      const pos = Number(clip.attrs['pos'] ?? 0);
      const len = Number(clip.attrs['len'] ?? 0);
      if (Number.isFinite(pos + len)) lengthTicks = Math.max(lengthTicks, pos + len);
    }
  }
  return { bpm: bpm.value, timesig: { num: Number.isFinite(num) ? num : 4, den: Number.isFinite(den) ? den : 4 }, lengthTicks, tempoAutomated };
}

/** beats (quarter notes) every 60/bpm s from 0 to the end of the song's last clip */
export function lmmsReference(p: LmmsProject): number[] {
  const quarter = 60 / p.bpm;
  return evenGrid(quarter, (p.lengthTicks / LMMS_TICKS_PER_QUARTER) * quarter);
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** `lmms render` args (LMMS refuses to start as root without --allowroot) */
export function lmmsRenderArgs(project: string, out: string): string[] {
  return [...(isRoot() ? ['--allowroot'] : []), 'render', project, '-o', out, '-f', 'wav', '-s', '44100'];
}

/** Whether a program is on the PATH (a source whose renderer is missing is left out, not failed on). */
export function onPath(cmd: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
}

function lmmsSongs(out: AudioSongSpec[], left: LeftOut[]): void {
  if (LMMS_PROJECT_DIRS.some((d) => existsSync(d)) && !onPath('lmms')) {
    left.push({ name: 'lmms_*', reason: 'the lmms program is not installed (apt-get install lmms)' });
    return;
  }
  for (const dir of LMMS_PROJECT_DIRS) {
    if (!existsSync(dir)) continue;
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (/\.mmpz?$/i.test(e.name)) files.push(join(d, e.name));
      }
    };
    walk(dir);
    for (const file of files) {
      const name = `lmms_${slug(basename(file).replace(/\.mmpz?$/i, ''))}`;
      try {
        const buf = readFileSync(file);
        const p = parseLmms(buf);
        if (p.tempoAutomated) {
          left.push({ name, reason: `tempo not constant: ${p.tempoAutomated}` });
          continue;
        }
        if (p.lengthTicks <= 0) {
          left.push({ name, reason: 'no clips in the song editor' });
          continue;
        }
        out.push({
          name,
          key: sha(buf),
          // LMMS wants a home for its config; a private temp one keeps runs apart
          renderTo: (wav) =>
            withTempDir('clipmatch-lmms-', async (home) => {
              const render = () => run$('lmms', lmmsRenderArgs(file, wav), { timeout: 900_000, env: { ...process.env, HOME: home, QT_QPA_PLATFORM: 'offscreen' } });
              // LMMS 1.2 now and then crashes on exit (SIGSEGV after "99%"); a second run renders the same file
              await render().catch((e: { signal?: string }) => {
                if (e.signal !== 'SIGSEGV') throw e;
                process.stderr.write(`  lmms crashed (SIGSEGV) rendering ${name}; rendering it again\n`);
                return render();
              });
            }),
          reference: lmmsReference(p),
          source: 'lmms',
          bpm: p.bpm,
        });
      } catch (e) {
        left.push({ name, reason: (e as Error).message });
      }
    }
  }
}

// ---------------------------------------------------------------- Hydrogen

/** Hydrogen's resolution: ticks per quarter note (a 4/4 bar pattern is 192) */
export const HYDROGEN_TICKS_PER_QUARTER = 48;

export interface HydrogenSong {
  bpm: number;
  mode: string;
  /** ticks of each column of the pattern sequence: its longest pattern */
  columns: number[];
  /** sizes (ticks) of the patterns the sequence plays */
  patternSizes: number[];
  /** tempo markers of the timeline (bar, bpm) */
  tempoMarkers: { bar: number; bpm: number }[];
  timelineActive: boolean;
}

export function parseHydrogen(xml: string): HydrogenSong {
  const doc = parseXml(xml);
  const song = child(doc, 'song');
  if (!song) throw new Error('no <song> in the h2song');
  const bpm = Number(childText(song, 'bpm'));
  if (!(bpm > 0)) throw new Error('no tempo in the h2song');
  const sizes = new Map<string, number>();
  for (const p of childrenNamed(child(song, 'patternList'), 'pattern')) sizes.set(childText(p, 'name') ?? '', Number(childText(p, 'size') ?? 192));
  const used = new Set<string>();
  const columns: number[] = [];
  for (const g of childrenNamed(child(song, 'patternSequence'), 'group')) {
    const ids = childrenNamed(g, 'patternID').map((x) => x.text.trim());
    ids.forEach((x) => used.add(x));
    columns.push(Math.max(0, ...ids.map((x) => sizes.get(x) ?? 0)));
  }
  const tempoMarkers = childrenNamed(child(song, 'BPMTimeLine'), 'newBPM').map((m) => ({ bar: Number(childText(m, 'BAR')), bpm: Number(childText(m, 'BPM')) }));
  const active = childText(song, 'isTimelineActivated');
  return {
    bpm,
    mode: childText(song, 'mode') ?? 'song',
    columns,
    patternSizes: [...used].map((x) => sizes.get(x) ?? 0),
    tempoMarkers,
    // older songs have no switch: a timeline with markers then plays
    timelineActive: active === undefined ? tempoMarkers.length > 0 : active === 'true',
  };
}

/** Why a Hydrogen song's grid is not its bpm from 0, or null. */
export function hydrogenProblem(s: HydrogenSong): string | null {
  if (s.mode !== 'song') return `mode ${s.mode}: the CLI plays a pattern, not the song`;
  if (s.timelineActive && s.tempoMarkers.some((m) => Math.abs(m.bpm - s.bpm) > 1e-6)) return 'tempo markers on the timeline';
  if (s.columns.length === 0) return 'empty pattern sequence';
  if (s.patternSizes.some((x) => x <= 0 || x % HYDROGEN_TICKS_PER_QUARTER !== 0)) return `a pattern is not whole quarter notes (sizes ${[...new Set(s.patternSizes)].join(', ')} ticks)`;
  return null;
}

export function hydrogenReference(s: HydrogenSong): number[] {
  const quarter = 60 / s.bpm;
  const ticks = s.columns.reduce((a, b) => a + b, 0);
  return evenGrid(quarter, (ticks / HYDROGEN_TICKS_PER_QUARTER) * quarter);
}

function hydrogenSongs(out: AudioSongSpec[], left: LeftOut[]): void {
  if (!existsSync(HYDROGEN_SONG_DIR)) return;
  if (!onPath('h2cli')) {
    left.push({ name: 'hydrogen_*', reason: 'the h2cli program is not installed (apt-get install hydrogen)' });
    return;
  }
  for (const f of readdirSync(HYDROGEN_SONG_DIR).filter((x) => x.endsWith('.h2song')).sort()) {
    const file = join(HYDROGEN_SONG_DIR, f);
    const name = `hydrogen_${slug(basename(f, '.h2song'))}`;
    try {
      const buf = readFileSync(file);
      const s = parseHydrogen(buf.toString('utf8'));
      const problem = hydrogenProblem(s);
      if (problem) {
        left.push({ name, reason: problem });
        continue;
      }
      out.push({
        name,
        key: sha(buf),
        renderTo: async (wav) => {
          await withTempDir('clipmatch-h2-', (home) => run$('h2cli', ['-s', file, '-o', wav], { timeout: 900_000, env: { ...process.env, HOME: home } }));
          if (!existsSync(wav)) throw new Error(`h2cli wrote no ${wav}`);
        },
        reference: hydrogenReference(s),
        source: 'hydrogen',
        bpm: s.bpm,
      });
    } catch (e) {
      left.push({ name, reason: (e as Error).message });
    }
  }
}

// ---------------------------------------------------------------- the set

/** Every held-out song whose files are installed, and the ones left out with the reason. */
export function heldoutSongs(): { songs: AudioSongSpec[]; leftOut: LeftOut[] } {
  const songs: AudioSongSpec[] = [];
  const leftOut: LeftOut[] = [];
  fofSongs(songs, leftOut);
  lmmsSongs(songs, leftOut);
  hydrogenSongs(songs, leftOut);
  return { songs, leftOut };
}

/** Renders (or reuses) a held-out song's audio under `cache`, keyed by name and the hash of its inputs. */
export async function renderHeldout(spec: AudioSongSpec, cache: string): Promise<string> {
  mkdirSync(cache, { recursive: true });
  const wav = join(cache, `${spec.name}-${spec.key.slice(0, 16)}.wav`);
  if (existsSync(wav)) return wav;
  const part = join(cache, `${spec.name}-${spec.key.slice(0, 16)}.${process.pid}.part.wav`); // runs side by side do not collide
  rmSync(part, { force: true });
  await spec.renderTo(part);
  renameSync(part, wav);
  return wav;
}

/** Reference beats within the audible part of the audio: from the first to the last 16-ms frame louder than
 * -60 dBFS RMS (a beat up to 70 ms before or 50 ms after it is kept). A render's silent lead-in or tail
 * (an LMMS project's empty last bars, an effect's tail cut) has no beat to hear. */
export function audibleReference(reference: readonly number[], pcm: Float32Array, sampleRate: number): number[] {
  const hop = Math.round(0.016 * sampleRate);
  let first = -1;
  let last = -1;
  for (let i = 0; i + hop <= pcm.length; i += hop) {
    let ms = 0;
    for (let j = i; j < i + hop; j++) ms += pcm[j]! * pcm[j]!;
    if (ms / hop > 1e-6) {
      if (first < 0) first = i;
      last = i + hop;
    }
  }
  if (first < 0) return [];
  const a = first / sampleRate - 0.07;
  const b = last / sampleRate + 0.05;
  return reference.filter((t) => t >= a && t <= b);
}
