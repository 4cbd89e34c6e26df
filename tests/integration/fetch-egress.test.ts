// The egress proxy that yt-dlp's connections go through: the same address rules as fetch.ts on every
// connection, a redirect to a refused address never reaches it. Loopback only: origin A is the one
// loopback server the rules allow (as a test server is), B stands for an internal service.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isUserError } from '../../src/core/errors.js';
import { startEgressProxy } from '../../src/media/egress-proxy.js';
import type { EgressProxy } from '../../src/media/egress-proxy.js';
import { downloadWithYtDlp, isYtDlpAvailable } from '../../src/media/fetch-ytdlp.js';
import { ffmpeg } from '../../src/media/ffmpeg.js';
import { tempDir } from '../helpers/media.js';

const listen = (s: Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

/** A GET through the proxy the way an HTTP client with a proxy sends it (absolute URI). */
const viaProxy = (proxy: EgressProxy, url: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const p = new URL(proxy.url);
    const req = request({ host: p.hostname, port: p.port, path: url, headers: { host: new URL(url).host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

/** CONNECT through the proxy; resolves with its status line. */
const tunnel = (proxy: EgressProxy, target: string) =>
  new Promise<string>((resolve) => {
    const s = connect(Number(new URL(proxy.url).port), '127.0.0.1', () => s.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`));
    s.once('data', (d: Buffer) => {
      resolve(d.toString().split('\r\n')[0] ?? '');
      s.destroy();
    });
    s.on('error', () => resolve(''));
  });

describe('egress proxy', { timeout: 120_000 }, () => {
  const t = tempDir('clipmatch-egress-');
  let a: Server;
  let b: Server;
  let aOrigin: string;
  let bOrigin: string;
  let song: Buffer;
  let bHits = 0;
  before(async () => {
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-y', join(t.dir, 'song.mp3')]);
    song = await readFile(join(t.dir, 'song.mp3'));
    b = createServer((_req, res) => {
      bHits++;
      res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(song);
    });
    bOrigin = `127.0.0.1:${await listen(b)}`;
    a = createServer((req, res) => {
      if (req.url === '/song.mp3') return res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': song.length }).end(song);
      if (req.url === '/redirect') return res.writeHead(302, { location: `http://${bOrigin}/secret.mp3` }).end();
      res.writeHead(404).end();
    });
    aOrigin = `127.0.0.1:${await listen(a)}`;
  });
  after(async () => {
    await new Promise((r) => a.close(r));
    await new Promise((r) => b.close(r));
    t.cleanup();
  });

  it('forwards to an allowed address and refuses others, redirect targets included', async () => {
    const proxy = await startEgressProxy({ allowPrivate: [aOrigin] });
    try {
      const ok = await viaProxy(proxy, `http://${aOrigin}/song.mp3`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.length > 0, true);
      const hop = await viaProxy(proxy, `http://${aOrigin}/redirect`);
      assert.equal(hop.status, 302);
      const next = await viaProxy(proxy, `http://${bOrigin}/secret.mp3`);
      assert.equal(next.status, 403, 'the redirect target is refused');
      assert.equal(await tunnel(proxy, bOrigin), 'HTTP/1.1 403 Forbidden');
      assert.equal(await tunnel(proxy, '169.254.169.254:80'), 'HTTP/1.1 403 Forbidden');
      assert.equal(await tunnel(proxy, aOrigin), 'HTTP/1.1 200 Connection Established');
      assert.equal(bHits, 0, 'no connection reached the refused address');
      assert.deepEqual(proxy.refused, [bOrigin, bOrigin, '169.254.169.254:80']);
    } finally {
      await proxy.close();
    }
  });

  it('routes yt-dlp through it: a direct link downloads, a redirect to a refused address does not', async (t2) => {
    if (!(await isYtDlpAvailable())) {
      t2.skip('yt-dlp is not installed');
      return;
    }
    const got = await downloadWithYtDlp(`http://${aOrigin}/song.mp3`, { dir: t.dir, maxBytes: 1024 * 1024, timeoutMs: 60_000, allowPrivate: [aOrigin] });
    assert.equal(got.bytes, song.length);
    await assert.rejects(
      downloadWithYtDlp(`http://${aOrigin}/redirect`, { dir: t.dir, maxBytes: 1024 * 1024, timeoutMs: 60_000, allowPrivate: [aOrigin] }),
      (err: unknown) => isUserError(err) && err.code === 'FORBIDDEN_ADDRESS',
    );
    assert.equal(bHits, 0, 'yt-dlp never reached the refused address');
  });
});
