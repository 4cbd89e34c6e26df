// Serves videos that exceed a channel's upload limit, at PUBLIC_BASE_URL/f/<random id>/<name>. Links are
// unguessable and expire after FILES_TTL_HOURS (checked on every request; a sweep removes old folders);
// byte ranges are honoured so players can seek. A malformed request is answered, never thrown.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../log.js';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface FilePublisher {
  /** copies the file into the served folder and returns its public URL */
  publish(path: string, name: string): Promise<string>;
  close(): Promise<void>;
  readonly port: number;
}

export interface FileServerOptions {
  dir: string;
  port: number;
  /** default http://127.0.0.1:<port>, for tests */
  publicBaseUrl?: string;
  ttlMs: number;
  host?: string;
  log?: Logger;
}

const TYPES: Record<string, string> = { '.mp4': 'video/mp4', '.png': 'image/png', '.webm': 'video/webm' };
const safeName = (name: string) => basename(name).replace(/[^\w.-]/g, '_').slice(0, 100) || 'file';

export async function startFileServer(opts: FileServerOptions): Promise<FilePublisher> {
  await mkdir(opts.dir, { recursive: true });
  const notFound = (res: ServerResponse) => {
    if (!res.headersSent) res.writeHead(404).end();
    else res.destroy();
  };
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // the path is matched as raw text: no URL parsing of untrusted input (`//[` used to throw here)
    const raw = (req.url ?? '/').split('?')[0] ?? '/';
    const m = /^\/f\/([a-f0-9]{32})\/([\w.-]+)$/.exec(raw);
    if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) return notFound(res);
    const folder = join(opts.dir, m[1] as string);
    const path = join(folder, m[2] as string);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) return notFound(res);
    // the age is checked on every request: an expired link is gone at once, not at the next sweep
    if (Date.now() - st.mtimeMs > opts.ttlMs) {
      await rm(folder, { recursive: true, force: true }).catch(() => undefined);
      return notFound(res);
    }
    const type = TYPES[/\.\w+$/.exec(path)?.[0] ?? ''] ?? 'application/octet-stream';
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = st.size - 1;
    if (range && (range[1] || range[2])) {
      start = range[1] ? Number(range[1]) : Math.max(0, st.size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(end, Number(range[2])) : end;
      if (start > end) {
        res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
        return;
      }
    }
    const headers = { 'content-type': type, 'accept-ranges': 'bytes', 'content-length': end - start + 1 };
    if (range && (range[1] || range[2])) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${st.size}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(createReadStream(path, { start, end }), res);
  };
  const server: Server = createServer((req, res) => {
    // no request may take the bot down: every failure is answered (or the socket closed) and logged
    serve(req, res).catch((err: unknown) => {
      opts.log?.warn({ err: (err as Error).message }, 'file request failed');
      notFound(res);
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });

  const sweep = async () => {
    for (const id of await readdir(opts.dir).catch(() => [] as string[])) {
      const p = join(opts.dir, id);
      const st = await stat(p).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > opts.ttlMs) await rm(p, { recursive: true, force: true });
    }
  };
  const timer = setInterval(() => void sweep(), Math.min(opts.ttlMs, 3600_000));
  timer.unref();
  const port = (server.address() as AddressInfo).port;
  const base = (opts.publicBaseUrl ?? `http://127.0.0.1:${port}`).replace(/\/+$/, '');

  return {
    port,
    async publish(path, name) {
      const id = randomBytes(16).toString('hex');
      const file = safeName(name);
      await mkdir(join(opts.dir, id), { recursive: true });
      await copyFile(path, join(opts.dir, id, file));
      return `${base}/f/${id}/${encodeURIComponent(file)}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
