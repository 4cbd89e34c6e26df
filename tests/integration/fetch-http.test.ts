// fetchToFile against a local HTTP server on 127.0.0.1. The server origin is allow-listed for private
// addresses; every other hop is checked as in production. No traffic leaves the loopback interface:
// forbidden targets are refused before any connection is made.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fs, { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError, type UserErrorCode } from '../../src/core/errors.js';
import { fetchToFile, isYtDlpAvailable, type FetchOptions } from '../../src/media/fetch.js';

const WAV = Buffer.alloc(1000, 7);
const hits: string[] = [];
let server: Server;
let origin = '';
let dir = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clipmatch-fetch-'));
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const port = (server.address() as AddressInfo).port;
    switch (req.url ?? '') {
      case '/audio.wav':
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': WAV.length });
        res.end(WAV);
        return;
      case '/video.mp4':
        res.writeHead(200, { 'content-type': 'video/x-msvideo' });
        res.end(WAV);
        return;
      case '/endless': {
        // No Content-Length: only counting while streaming can stop this.
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        const chunk = Buffer.alloc(16 * 1024, 1);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      case '/declared-big':
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': 50 * 2 ** 20 });
        res.write(Buffer.alloc(1024));
        return; // never finishes: the client must give up on the header alone
      case '/short':
        res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': 1000 });
        res.end(Buffer.alloc(500));
        return;
      case '/image':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(WAV);
        return;
      case '/page':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<html></html>');
        return;
      case '/slow':
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        res.write(Buffer.alloc(10)); // then silence
        return;
      case '/missing':
        res.writeHead(404);
        res.end();
        return;
      case '/to-same-origin':
        res.writeHead(302, { location: '/audio.wav' });
        res.end();
        return;
      case '/to-localhost':
        res.writeHead(301, { location: `http://localhost:${port}/audio.wav` });
        res.end();
        return;
      case '/to-metadata':
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
        return;
      case '/to-file':
        res.writeHead(302, { location: 'file:///etc/passwd' });
        res.end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      default:
        res.writeHead(500);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const opts = (over: Partial<FetchOptions> = {}): FetchOptions => ({ dir, maxBytes: 64 * 1024, timeoutMs: 5000, accept: 'audio', allowPrivate: [origin], ...over });

async function expectCode(p: Promise<unknown>, code: UserErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
  assert.deepEqual(readdirSync(dir), [], 'no file or temp file is left behind');
}

void test('downloads an audio file, directly and through a same-origin redirect', async () => {
  for (const path of ['/audio.wav', '/to-same-origin']) {
    const got = await fetchToFile(`http://${origin}${path}`, opts());
    assert.equal(got.contentType, 'audio/wav');
    assert.equal(got.bytes, WAV.length);
    assert.ok(got.path.startsWith(dir) && got.path.endsWith('.wav'));
    assert.deepEqual(readFileSync(got.path), WAV);
    rmSync(got.path);
  }
});

void test('refuses a loopback server unless allow-listed, before sending anything', async () => {
  const before = hits.length;
  await expectCode(fetchToFile(`http://${origin}/audio.wav`, opts({ allowPrivate: false })), 'FORBIDDEN_ADDRESS', /loopback/);
  assert.equal(hits.length, before);
});

void test('a redirect to a loopback or link-local address is refused', async () => {
  const before = hits.length;
  await expectCode(fetchToFile(`http://${origin}/to-localhost`, opts()), 'FORBIDDEN_ADDRESS', /localhost/);
  await expectCode(fetchToFile(`http://${origin}/to-metadata`, opts()), 'FORBIDDEN_ADDRESS', /link-local/);
  assert.deepEqual(hits.slice(before), ['/to-localhost', '/to-metadata'], 'the redirect targets were never requested');
});

void test('redirects to other schemes and redirect loops are refused', async () => {
  await expectCode(fetchToFile(`http://${origin}/to-file`, opts()), 'BAD_URL', /file:/);
  await expectCode(fetchToFile(`http://${origin}/loop`, opts()), 'UNREACHABLE', /more than 5 times/);
});

void test('the size cap holds while streaming without Content-Length, and on a declared length', async () => {
  await expectCode(fetchToFile(`http://${origin}/endless`, opts()), 'TOO_LARGE', /64 KB|0\.1 MB/);
  await expectCode(fetchToFile(`http://${origin}/declared-big`, opts()), 'TOO_LARGE', /50 MB/);
});

void test('a body shorter than its Content-Length is an error', async () => {
  await expectCode(fetchToFile(`http://${origin}/short`, opts()), 'UNREACHABLE');
});

void test('a failed download settles only once its file is closed and removed, however slowly the file opened', async (t) => {
  // pipeline() can reject before its file stream has finished opening (a stream's error counts twice towards its
  // end); removing the part file then let the late open create it again (a CI run saw `.fetch-*.part` left)
  let requested = 0;
  let opened = 0;
  const open = fs.open;
  t.mock.method(fs, 'open', (path: string, flags: string, mode: number, cb: (err: Error | null, fd: number) => void) => {
    requested++;
    setTimeout(() => open(path, flags, mode, (err, fd) => (opened++, cb(err, fd))), 30);
  });
  await expectCode(fetchToFile(`http://${origin}/short`, opts()), 'UNREACHABLE');
  assert.equal(requested, 1);
  assert.equal(opened, requested, 'the file had opened (and closed) before the error reached the caller');
});

void test('wrong content types are refused', async () => {
  await expectCode(fetchToFile(`http://${origin}/image`, opts()), 'NOT_AUDIO', /image\/png/);
  await expectCode(fetchToFile(`http://${origin}/video.mp4`, opts()), 'NOT_AUDIO', /video\/x-msvideo/);
  const got = await fetchToFile(`http://${origin}/video.mp4`, opts({ accept: 'audio-or-video' }));
  rmSync(got.path);
  if (!(await isYtDlpAvailable())) {
    await expectCode(fetchToFile(`http://${origin}/page`, opts()), 'NOT_AUDIO', /web page/);
  }
});

void test('a stalled download times out, and a cancelled one says so', async () => {
  await expectCode(fetchToFile(`http://${origin}/slow`, opts({ timeoutMs: 300 })), 'UNREACHABLE', /longer than/);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  await expectCode(fetchToFile(`http://${origin}/slow`, opts({ signal: ac.signal })), 'CANCELLED');
});

void test('HTTP errors and bad links get clear messages', async () => {
  await expectCode(fetchToFile(`http://${origin}/missing`, opts()), 'UNREACHABLE', /404/);
  await expectCode(fetchToFile('ftp://example.com/a.mp3', opts()), 'BAD_URL', /http and https/);
  await expectCode(fetchToFile('not a link', opts()), 'BAD_URL');
  await expectCode(fetchToFile(`http://user:pw@${origin}/audio.wav`, opts()), 'BAD_URL', /password/);
  await expectCode(fetchToFile('http://[::1]/a.mp3', opts()), 'FORBIDDEN_ADDRESS');
  await expectCode(fetchToFile('http://0x7f.1/a.mp3', opts()), 'FORBIDDEN_ADDRESS'); // URL parsing normalises to 127.0.0.1
});
