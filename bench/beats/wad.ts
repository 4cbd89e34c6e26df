// Doom WAD files (Freedoom's freedoom1.wad and freedoom2.wad, Debian package freedoom) keep each level's
// music as a lump named D_*; Freedoom's are Standard MIDI Files. This reads them out, nothing else; and
// the files of a ZIP archive, for PianoBooster's pieces.
import { createHash } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';

export interface WadMidi {
  /** lump name, lower case (d_e1m1) */
  name: string;
  midi: Buffer;
}

/** The MIDI music lumps (D_* that start with MThd) of a WAD, each distinct file once, in directory order. */
export function wadMidiLumps(wad: Buffer): WadMidi[] {
  const magic = wad.toString('ascii', 0, 4);
  if (magic !== 'IWAD' && magic !== 'PWAD') throw new Error('not a WAD file');
  const count = wad.readInt32LE(4);
  const dir = wad.readInt32LE(8);
  const out: WadMidi[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const e = dir + 16 * i;
    if (e + 16 > wad.length) break;
    const pos = wad.readInt32LE(e);
    const size = wad.readInt32LE(e + 4);
    const name = wad.toString('ascii', e + 8, e + 16).replace(/\0.*$/s, '').toLowerCase();
    if (!name.startsWith('d_') || size < 14 || pos + size > wad.length) continue;
    const midi = wad.subarray(pos, pos + size);
    if (midi.toString('ascii', 0, 4) !== 'MThd') continue;
    const h = createHash('sha1').update(midi).digest('hex');
    if (seen.has(h)) continue;
    seen.add(h);
    out.push({ name, midi: Buffer.from(midi) });
  }
  return out;
}

/** The stored or deflated files of a ZIP archive (PianoBooster ships its pieces as one), by name. */
export function zipEntries(zip: Buffer): { name: string; data: Buffer }[] {
  // the end-of-central-directory record sits in the last 64 KiB + 22 bytes
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_557); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a ZIP file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const out: { name: string; data: Buffer }[] = [];
  for (let i = 0; i < count && zip.readUInt32LE(p) === 0x02014b50; i++) {
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    if (method === 0) out.push({ name, data: Buffer.from(raw) });
    else if (method === 8) out.push({ name, data: inflateRawSync(raw) });
  }
  return out;
}
