// Contact sheet: one PNG with a row per clip (a few evenly spaced frames) under a label band naming the
// clip's rank, distance, source and start. One ffmpeg call draws it all; labels come from text files so a
// video title can hold any character. Without the DejaVu font (package fonts-dejavu-core) the rows are
// drawn without text rather than failing.
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ffmpeg } from './ffmpeg.js';

export const SHEET_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

export interface SheetRow {
  /** absolute path of the clip's mp4; a missing file is drawn as a grey row */
  path: string;
  /** seconds of footage in the clip, to spread the frames evenly */
  duration: number;
  label: string;
  kind: 'closest' | 'farthest';
}

export interface SheetOptions {
  framesPerClip?: number;
  thumbWidth?: number;
  font?: string;
  signal?: AbortSignal;
}

export interface SheetResult {
  path: string;
  width: number;
  height: number;
  labelled: boolean;
}

const BAND = 30;
const GAP = 4;
const BAND_COLOR = { closest: '0x1f4d2b', farthest: '0x5a1f1f' } as const;
// Filter option values are parsed twice by ffmpeg; a path of plain characters needs no escaping at all.
const SAFE_PATH = /^[\w/.-]+$/;

export async function renderContactSheet(rows: readonly SheetRow[], outPath: string, opts: SheetOptions = {}): Promise<SheetResult> {
  if (rows.length === 0) throw new RangeError('a contact sheet needs at least one clip');
  const { framesPerClip = 4, thumbWidth = 240, font = SHEET_FONT, signal } = opts;
  const tw = 2 * Math.round(thumbWidth / 2);
  const th = 2 * Math.round((tw * 9) / 16 / 2);
  const work = await mkdtemp(join(tmpdir(), 'clipmatch-sheet-'));
  const partial = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(4).toString('hex')}.part`);
  const labelled = existsSync(font) && SAFE_PATH.test(font) && SAFE_PATH.test(work);
  try {
    const args: string[] = [];
    const filters: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const present = existsSync(row.path);
      // Thumbnails need no B-frames: skipping them halves the decoding of every clip.
      if (present) args.push('-skip_frame', 'bidir', '-i', row.path);
      else args.push('-f', 'lavfi', '-i', `color=c=gray:s=${tw}x${th}:r=1:d=${framesPerClip}`);
      const rate = present ? `${framesPerClip}/${Math.max(row.duration, 0.1).toFixed(3)}` : '1';
      let chain =
        `[${i}:v:0]fps=${rate},scale=${tw}:${th}:force_original_aspect_ratio=decrease,` +
        `pad=${tw}:${th}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,` +
        `tile=${framesPerClip}x1:padding=${GAP}:color=0x101010,trim=end_frame=1,setpts=PTS-STARTPTS`;
      if (labelled) {
        const textFile = join(work, `label-${i}.txt`);
        await writeFile(textFile, row.label.replace(/[\r\n]+/g, ' '));
        chain +=
          `,pad=iw:ih+${BAND}:0:${BAND}:color=${BAND_COLOR[row.kind]}` +
          `,drawtext=fontfile=${font}:textfile=${textFile}:expansion=none:fontsize=16:fontcolor=white:x=8:y=7`;
      }
      filters.push(`${chain},format=rgb24[r${i}]`);
    }
    filters.push(rows.length > 1 ? `${rows.map((_, i) => `[r${i}]`).join('')}vstack=inputs=${rows.length}[out]` : '[r0]null[out]');
    args.push('-filter_complex', filters.join(';'), '-map', '[out]', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', '-y', partial);
    await ffmpeg(args, { timeoutMs: 120_000, signal });
    await rename(partial, outPath);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const width = framesPerClip * tw + (framesPerClip - 1) * GAP;
  return { path: outPath, width, height: rows.length * (th + (labelled ? BAND : 0)), labelled };
}
