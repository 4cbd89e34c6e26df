// Doom WAD files (Freedoom's freedoom1.wad and freedoom2.wad, Debian package freedoom) keep each level's
// music as a lump named D_*; Freedoom's are Standard MIDI Files. This reads them out, nothing else.
import { createHash } from 'node:crypto';

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
