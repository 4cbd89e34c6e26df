// Turns the ingest command's arguments (files, folders, URLs) into a list of sources, and names each
// video by its content so the same file ingested twice, under any name, is one video.
import { createHash } from 'node:crypto';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { UserError } from '../core/errors.js';

export const VIDEO_EXTENSIONS = new Set([
  '.mp4', '.m4v', '.mkv', '.webm', '.ogv', '.ogg', '.mpeg', '.mpg', '.mov', '.avi', '.ts', '.flv', '.wmv', '.3gp',
]);

export type Source = { kind: 'file'; path: string } | { kind: 'url'; url: string };

export const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** Files of a folder tree with a video extension, sorted; symbolic links are followed, each folder once. */
async function walk(dir: string, out: string[], visited = new Set<string>()): Promise<void> {
  const real = await realpath(dir);
  if (visited.has(real)) return; // a link back up the tree
  visited.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    // a link is judged by what it points to; a dangling one is passed over
    const target = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
    if (!target) continue;
    if (target.isDirectory()) await walk(p, out, visited);
    else if (target.isFile() && VIDEO_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(p);
  }
}

/** Expands inputs; a named file is taken whatever its extension (ffprobe decides), folders by extension. */
export async function expandInputs(inputs: string[]): Promise<Source[]> {
  const out: Source[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    if (isUrl(input)) {
      if (!/^https?:\/\//i.test(input)) throw new UserError('BAD_URL', `only http(s) links can be ingested: ${input}`);
      if (!seen.has(input)) out.push({ kind: 'url', url: input });
      seen.add(input);
      continue;
    }
    const p = resolve(input);
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new UserError('BAD_INPUT', `no such file or folder: ${input}`);
    const files: string[] = [];
    if (st.isDirectory()) await walk(p, files);
    else files.push(p);
    for (const f of files) {
      if (!seen.has(f)) out.push({ kind: 'file', path: f });
      seen.add(f);
    }
  }
  return out;
}

/** A video id from the file's size and its first and last 4 MiB: stable across names and machines. */
export async function contentId(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const h = createHash('sha256');
    h.update(String(size));
    const chunk = 4 * 1024 * 1024;
    const buf = Buffer.alloc(Math.min(chunk, size));
    let { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    h.update(buf.subarray(0, bytesRead));
    if (size > chunk) {
      ({ bytesRead } = await fh.read(buf, 0, buf.length, Math.max(chunk, size - chunk)));
      h.update(buf.subarray(0, bytesRead));
    }
    return `v${h.digest('hex').slice(0, 12)}`;
  } finally {
    await fh.close();
  }
}
