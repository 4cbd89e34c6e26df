// Malformed input never takes the bot down: a bounded list of hostile requests (loopback only) against
// the file server and the Slack receiver, each answered, and each server still serving afterwards.
// Expired links are refused on the request itself, not at the next sweep.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCommands } from '../../commands/registry.js';
import { startFileServer } from '../../src/bots/files.server.js';
import type { FilePublisher } from '../../src/bots/files.server.js';
import { SlackBot } from '../../src/bots/slack/slack.adapter.js';
import { quietLog, startStack } from '../helpers/bot-fakes.js';
import type { Stack } from '../helpers/bot-fakes.js';
import { BOT_TOKEN, form, postSigned, SIGNING_SECRET, startFakeSlack, TEAM_ID } from '../helpers/fake-slack.js';
import type { FakeSlack } from '../helpers/fake-slack.js';
import { freePort } from '../helpers/ports.js';

/** Sends raw bytes and resolves with whatever comes back before the server closes (or 2 s of silence ends it). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    sock.setTimeout(2000, () => sock.destroy());
    sock.on('data', (d) => (got += d.toString()));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(got));
    sock.write(bytes, () => sock.end());
  });
}

const HOSTILE_PATHS = ['//[', '/f/%', '/%E0%A4%A', '/f/../../etc/passwd', '/f/' + 'a'.repeat(32) + '/..%2f..%2fx', '/f/' + 'z'.repeat(8000), '/?a=%', '*', 'http://[::1', ''];

describe('file server under malformed requests', { timeout: 30_000 }, () => {
  let dir: string;
  let files: FilePublisher;
  let link: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipmatch-files-'));
    files = await startFileServer({ dir: join(dir, 'served'), port: 0, host: '127.0.0.1', ttlMs: 60_000, log: quietLog });
    await writeFile(join(dir, 'v.mp4'), 'video-bytes');
    link = await files.publish(join(dir, 'v.mp4'), 'v.mp4');
  });
  after(async () => {
    await files.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers every hostile request line and keeps serving', async () => {
    for (const p of HOSTILE_PATHS) {
      const answer = await raw(files.port, `GET ${p} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 (400|404)/, `answer to ${JSON.stringify(p.slice(0, 40))}: ${answer.slice(0, 60)}`);
    }
    for (const junk of ['\x00\x01\x02garbage\r\n\r\n', 'GET / HTTP/1.1\r\nbad header line\r\n\r\n', 'POST /f/x HTTP/1.1\r\ncontent-length: -5\r\n\r\n']) {
      assert.match(await raw(files.port, junk), /^HTTP\/1\.1 400/);
    }
    const ranges = ['bytes=5-2', 'bytes=-0', 'bytes=99999999999999999999-', 'bytes=abc', 'bytes=0-0,1-1'];
    for (const range of ranges) {
      const res = await fetch(link, { headers: { range } });
      assert.ok([200, 206, 416].includes(res.status), `${range}: ${res.status}`);
      await res.arrayBuffer();
    }
    const res = await fetch(link);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'video-bytes');
  });

  it('refuses an expired link on the request itself and removes it', async () => {
    const old = await files.publish(join(dir, 'v.mp4'), 'old.mp4');
    const folder = join(dir, 'served', new URL(old).pathname.split('/')[2] ?? '');
    const past = new Date(Date.now() - 120_000);
    await utimes(join(folder, 'old.mp4'), past, past);
    assert.equal((await fetch(old)).status, 404);
    await assert.rejects(stat(folder), 'the expired folder is gone');
    assert.equal((await fetch(link)).status, 200, 'a fresh link still works');
  });
});

describe('slack receiver under malformed requests', { timeout: 60_000 }, () => {
  let s: Stack;
  let fake: FakeSlack;
  let bot: SlackBot;
  let port: number;
  let events: string;
  before(async () => {
    s = await startStack();
    await s.startWorker();
    fake = await startFakeSlack();
    port = await freePort();
    bot = new SlackBot({
      botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port, core: s.core, registry: loadCommands(), log: quietLog,
      watchChannels: new Set(['CWATCH']), uploadLimitBytes: 1000 * 1024 * 1024, maxAudioBytes: 1024 * 1024, maxVideoBytes: 1024 * 1024, apiUrl: fake.apiUrl, apiRetries: 0,
    });
    await bot.start();
    events = `http://127.0.0.1:${port}/slack/events`;
  });
  after(async () => {
    // answers still being given finish before the fake goes away
    await s.core.settled();
    await bot.stop();
    await fake.close();
    await s.close();
  });

  it('answers signed garbage, odd shapes and raw junk, and still serves a real command', async () => {
    const json = 'application/json';
    const urlenc = 'application/x-www-form-urlencoded';
    const signed: [string, string][] = [
      ['{not json', json],
      ['[]', json],
      ['null', json],
      [JSON.stringify({ type: 'event_callback', team_id: TEAM_ID, event: { type: 'message', subtype: 'file_share', channel: 'CWATCH', ts: '1.2', files: 'nope' } }), json],
      [JSON.stringify({ type: 'event_callback', team_id: TEAM_ID, event: { type: 'message', subtype: 'file_share', channel: 'CWATCH', user: 'U9', ts: '../../x', files: [{ name: 'a.mp3', mimetype: 'audio/mpeg', url_private_download: 'http://[::1' }] } }), json],
      [form({ payload: '{broken' }), urlenc],
      [form({ payload: JSON.stringify({ type: 'message_action', callback_id: 'visualize_message', trigger_id: 't:/x', user: { id: 'U1' }, channel: { id: 'C1' }, message: {} }) }), urlenc],
      [form({ payload: JSON.stringify({ type: 'message_action', callback_id: 'clipmatch_library_add', trigger_id: 't:/y', user: { id: 'U1' }, channel: { id: 'C1' }, message: { files: [{ name: 'v.mp4', mimetype: 'video/mp4', url_private_download: 'http://[::1' }] } }) }), urlenc],
      [form({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ type: 'button', action_id: 'clipmatch_cancel', value: 'discord-%%' }] }) }), urlenc],
      [form({ command: '/visualize', text: 'x'.repeat(5000), team_id: TEAM_ID, channel_id: 'C1', user_id: 'U1', trigger_id: 'a b c' }), urlenc],
      [form({ command: '/visualize' }), urlenc],
      ['%%%%', urlenc],
      ['plain', 'text/plain'],
    ];
    for (const [body, type] of signed) {
      const res = await postSigned(events, body, type);
      assert.ok(res.status < 600, `${body.slice(0, 40)}: ${res.status}`);
      await res.arrayBuffer();
    }
    for (const junk of ['GET //[ HTTP/1.1\r\nhost: x\r\n\r\n', 'POST /slack/events HTTP/1.1\r\ncontent-length: 10\r\n\r\n{', '\x16\x03\x01garbage\r\n\r\n']) {
      await raw(port, junk);
    }
    const from = fake.calls.length;
    const res = await postSigned(
      events,
      form({ team_id: TEAM_ID, channel_id: 'CGEN', user_id: 'U7', command: '/visualize', text: 'ftp://nope', trigger_id: '7777.8888.z', response_url: `${fake.origin}/r` }),
      urlenc,
    );
    assert.equal(res.status, 200);
    await fake.waitFor((c) => c.method === 'chat.update' && c.args.text === 'Only http(s) links are accepted.', from);
  });
});
