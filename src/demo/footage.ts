// Demo footage: generated clips whose sound belongs to the picture, plus real Creative Commons footage
// from Debian's openboard-common package where this machine has apt (downloaded as a .deb and unpacked
// into the demo folder: no root needed, nothing installed system-wide).
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runBinary } from '../media/ffmpeg.js';
import { childLogger } from '../log.js';
import { SYNTH_SOURCES, makeSynthVideo } from './synth.js';

const log = childLogger({ module: 'demo' });

/** Footage that ships in Debian packages: package, path inside it. */
const DEBIAN_FOOTAGE = [{ pkg: 'openboard-common', path: 'usr/share/openboard/library/videos/wannaworktogether.mp4', name: 'wannaworktogether.mp4' }];

export interface FootageResult {
  files: string[];
  generated: number;
  real: string[];
  notes: string[];
}

/** Generates (once) one video per synthetic source, `seconds` long. */
export async function generatedFootage(dir: string, seconds: number, onFile?: (i: number, n: number) => void): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [i, source] of SYNTH_SOURCES.entries()) {
    const path = join(dir, `${String(i + 1).padStart(2, '0')}-${source}.mp4`);
    if (!existsSync(path)) {
      const tmp = `${path}.part.mp4`;
      await makeSynthVideo(tmp, { source, seconds, seed: 1000 + i });
      await rename(tmp, path);
    }
    out.push(path);
    onFile?.(i + 1, SYNTH_SOURCES.length);
  }
  return out;
}

/** Real footage from Debian packages, when apt can download them; otherwise an explanation. */
export async function debianFootage(dir: string): Promise<{ files: string[]; notes: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const notes: string[] = [];
  for (const f of DEBIAN_FOOTAGE) {
    const dest = join(dir, f.name);
    if (existsSync(dest)) {
      files.push(dest);
      continue;
    }
    const work = join(dir, `.${f.pkg}`);
    try {
      await rm(work, { recursive: true, force: true });
      await mkdir(work, { recursive: true });
      // apt-get download works unprivileged; it needs package lists (apt-get update) to know the package.
      await runBinary('sh', ['-c', `cd "${work}" && apt-get download ${f.pkg}`], { timeoutMs: 120_000 });
      const deb = (await readdir(work)).find((n) => n.endsWith('.deb'));
      if (!deb) throw new Error('apt-get download produced no .deb');
      await runBinary('dpkg', ['-x', join(work, deb), join(work, 'root')], { timeoutMs: 60_000 });
      await rename(join(work, 'root', f.path), dest);
      files.push(dest);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      notes.push(`real footage from ${f.pkg} not used (${why}); the demo runs on generated footage alone`);
      log.info({ pkg: f.pkg, why }, 'no Debian footage');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return { files, notes };
}
