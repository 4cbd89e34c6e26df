// A local egress proxy for tools that fetch on their own (yt-dlp): every connection they make, to the page,
// to a redirect target, to a media host, goes through here and gets the same address rules as fetch.ts
// (the host resolved here, every answer checked, the connection made to the checked address). HTTPS is
// tunnelled with CONNECT, plain HTTP forwarded; anything refused gets 403 and no connection is made.
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { resolveChecked } from './fetch.js';

export interface EgressProxy {
  /** http://127.0.0.1:<port>, for --proxy */
  url: string;
  /** "host:port" of every refused connection, in order */
  refused: string[];
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  /** tests only: "host:port" origins that may be private (loopback test servers) */
  allowPrivate?: string[];
}

const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export async function startEgressProxy(opts: EgressProxyOptions = {}): Promise<EgressProxy> {
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  /** The checked address for host:port, or undefined (refused). */
  const check = async (host: string, port: number, protocol: 'http:' | 'https:') => {
    try {
      const url = new URL(`${protocol}//${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`);
      return await resolveChecked(url, opts.allowPrivate ?? false);
    } catch {
      refused.push(`${host}:${port}`);
      return undefined;
    }
  };

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (target.protocol !== 'http:') {
      res.writeHead(400).end();
      return;
    }
    const port = Number(target.port || 80);
    const to = await check(target.hostname.replace(/^\[(.*)\]$/, '$1'), port, 'http:');
    if (!to) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('refused by the egress rules');
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));
    const out = httpRequest({ host: to.address, family: to.family, port, method: req.method, path: `${target.pathname}${target.search}`, headers: { ...headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, Object.fromEntries(Object.entries(up.headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()))));
      up.pipe(res);
    });
    out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(out);
  };

  const server: Server = createServer((req, res) => {
    forward(req, res).catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(req.url ?? '');
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const host = m[1] as string;
    const port = Number(m[2]);
    void check(host, port, 'https:').then((to) => {
      if (!to) {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = connect({ host: to.address, port, family: to.family }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
