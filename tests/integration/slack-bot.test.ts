// The real Bolt app (HTTP receiver, signature verification) and @slack/web-api against a fake Slack on
// loopback, with the real queue, worker and audio-source code behind it (fake render): acknowledgement,
// status edits with a Cancel button, the result via files.uploadV2, and a shared private file.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadCommands } from '../../commands/registry.js';
import { SlackBot } from '../../src/bots/slack/slack.adapter.js';
import { ffmpeg } from '../../src/media/ffmpeg.js';
import { BlobStore } from '../../src/jobs/blobs.js';
import { makeFetchAudio } from '../../worker/audio-source.js';
import { quietLog, REDIS_URL, startStack } from '../helpers/bot-fakes.js';
import type { Stack } from '../helpers/bot-fakes.js';
import { blockAction, BOT_TOKEN, form, menuAction, postSigned, SIGNING_SECRET, startFakeSlack, TEAM_ID } from '../helpers/fake-slack.js';
import type { FakeSlack, SlackCall } from '../helpers/fake-slack.js';
import { freePort } from '../helpers/ports.js';

describe('slack adapter', { timeout: 60_000 }, () => {
  let s: Stack;
  let fake: FakeSlack;
  let bot: SlackBot;
  let events: string;
  let dir: string;
  let song: Buffer;
  let worker: Awaited<ReturnType<Stack['startWorker']>>;
  const decoded = new Map<string, number>();
  const redis = new Redis(REDIS_URL);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clipmatch-slack-'));
    await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-ar', '16000', '-y', join(dir, 'song.mp3')]);
    song = await readFile(join(dir, 'song.mp3'));
    s = await startStack({ core: { limits: { userConcurrency: 2, serverConcurrency: 10, cooldownMs: 0, slotTtlMs: 600_000 } } });
    fake = await startFakeSlack();
    const real = makeFetchAudio({
      maxBytes: 1024 * 1024, maxSeconds: 600, timeoutMs: 10_000, blobs: new BlobStore(redis, s.prefix), allowPrivate: [new URL(fake.origin).host],
    });
    // records which bytes each job decoded, by the file name the job carries
    const fetchAudio: typeof real = async (source, dir, signal) => {
      const got = await real(source, dir, signal);
      if (source.kind === 'blob') decoded.set(source.name, got.duration);
      return got;
    };
    worker = await s.startWorker({ fetchAudio });
    fake.files.set('song.mp3', song);
    const port = await freePort();
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
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  const completed = (c: SlackCall) => c.method === 'files.completeUploadExternal';

  it('refuses a request with a bad signature', async () => {
    const res = await postSigned(events, form({ command: '/visualize', text: 'https://example.org/a.mp3' }), 'application/x-www-form-urlencoded', 'wrong-secret');
    assert.equal(res.status, 401);
  });

  it('acknowledges /visualize <link>, edits progress, uploads the result with files.uploadV2', async () => {
    const from = fake.calls.length;
    const res = await postSigned(
      events,
      form({
        token: 'legacy', team_id: TEAM_ID, team_domain: 'music', channel_id: 'CGEN', channel_name: 'general', user_id: 'U1', user_name: 'listener',
        command: '/visualize', text: `<${fake.origin}/public/song.mp3> 9:16 beats=half-offbeat`, response_url: `${fake.origin}/respond`, trigger_id: '1111.2222.abc', api_app_id: 'A1',
      }),
      'application/x-www-form-urlencoded',
    );
    assert.equal(res.status, 200, 'acknowledged within the request');
    const post = await fake.waitFor((c) => c.method === 'chat.postMessage', from);
    assert.equal(post.args.channel, 'CGEN');
    assert.equal(post.args.text, 'Queued…');
    assert.equal(post.authorization, `Bearer ${BOT_TOKEN}`);

    const done = await fake.waitFor(completed, from);
    const calls = fake.calls.slice(from, fake.calls.indexOf(done) + 1);
    const updates = calls.filter((c) => c.method === 'chat.update');
    assert.ok(updates.length >= 1);
    const blocks = JSON.parse(updates[0]?.args.blocks ?? '[]') as { type: string; elements?: { action_id: string; value: string }[] }[];
    assert.equal(blocks[1]?.elements?.[0]?.action_id, 'clipmatch_cancel');
    assert.equal(blocks[1]?.elements?.[0]?.value, 'slack-1111.2222.abc');

    const urls = calls.filter((c) => c.method === 'files.getUploadURLExternal');
    assert.deepEqual(urls.map((c) => c.args.filename), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4']);
    assert.equal(calls.filter((c) => c.method === 'upload').length, 2);
    assert.equal(done.args.channel_id, 'CGEN');
    assert.match(done.args.initial_comment ?? '', /\*Closest clips\*\n1\. Source 1 @ 0:10/);
    assert.match(done.args.initial_comment ?? '', /\*Farthest clips\*\n1\. Source 7/);
    await fake.waitFor((c) => c.method === 'chat.update' && c.args.text === 'Done: your video is below.', from);
    const job = await s.queue.getJob('slack-1111.2222.abc');
    assert.deepEqual([job?.data.source, job?.data.aspect, job?.data.beats], [{ kind: 'url', url: `${fake.origin}/public/song.mp3` }, '9:16', 'half-offbeat'], 'link, shape and beat correction read from the text');
  });

  it('visualizes an audio file shared in a watched channel, read with the bot token', async () => {
    const from = fake.calls.length;
    const body = JSON.stringify({
      token: 'legacy', team_id: TEAM_ID, api_app_id: 'A1', type: 'event_callback', event_id: 'Ev1', event_time: 1700000000,
      event: {
        type: 'message', subtype: 'file_share', channel: 'CWATCH', user: 'U2', ts: '1700000001.000200', text: '', channel_type: 'channel',
        files: [{ id: 'F9', name: 'song.mp3', mimetype: 'audio/mpeg', size: song.length, url_private_download: `${fake.origin}/files/song.mp3` }],
      },
    });
    const res = await postSigned(events, body, 'application/json');
    assert.equal(res.status, 200);
    const get = await fake.waitFor((c) => c.method === 'GET file', from);
    assert.equal(get.authorization, `Bearer ${BOT_TOKEN}`);
    const post = await fake.waitFor((c) => c.method === 'chat.postMessage', from);
    assert.equal(post.args.thread_ts, '1700000001.000200');
    const done = await fake.waitFor(completed, from);
    assert.equal(done.args.thread_ts, '1700000001.000200');
    // a redelivered event (Slack retries) is ignored: same message ts, same job, nothing posted
    const posts = () => fake.calls.filter((c) => c.method === 'chat.postMessage').length;
    const before = posts();
    const mark = fake.calls.length;
    assert.equal((await postSigned(events, body, 'application/json')).status, 200);
    // claims go through one Redis connection in order, so once a later request has posted, the
    // duplicate's handler has already decided
    await postSigned(events, form({ team_id: TEAM_ID, channel_id: 'CGEN', user_id: 'U3', command: '/visualize', text: 'ftp://x', trigger_id: '3333.4444.x', response_url: `${fake.origin}/r` }), 'application/x-www-form-urlencoded');
    await fake.waitFor((c) => c.method === 'chat.update' && c.args.text === 'Only http(s) links are accepted.', mark);
    assert.equal(posts(), before + 1, 'only the later request posted');
    const job = await s.queue.getJob('slack-CWATCH-1700000001.000200');
    assert.equal(await job?.getState(), 'completed');
  });

  it('makes one job per shared audio file from its own bytes; a refused one is never downloaded or stored', async () => {
    for (const [name, seconds] of [['a.mp3', 1], ['b.mp3', 2], ['c.mp3', 3]] as const) {
      await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', `sine=frequency=330:duration=${seconds}`, '-ar', '16000', '-y', join(dir, name)]);
      fake.files.set(name, await readFile(join(dir, name)));
    }
    await worker.worker.pause();
    const from = fake.calls.length;
    const ts = '1700000009.000300';
    const files = ['a.mp3', 'b.mp3', 'c.mp3'].map((name, i) => ({
      id: `F${i}`, name, mimetype: 'audio/mpeg', size: fake.files.get(name)?.length, url_private_download: `${fake.origin}/files/${name}`,
    }));
    const body = JSON.stringify({
      token: 'legacy', team_id: TEAM_ID, api_app_id: 'A1', type: 'event_callback', event_id: 'Ev9', event_time: 1700000009,
      event: { type: 'message', subtype: 'file_share', channel: 'CWATCH', user: 'U5', ts, text: '', channel_type: 'channel', files },
    });
    assert.equal((await postSigned(events, body, 'application/json')).status, 200);
    // two jobs fit the user's limit of two; the third is refused before its download
    const refused = await fake.waitFor((c) => c.method === 'chat.update' && /already have 2 videos/.test(c.args.text ?? ''), from);
    assert.ok(refused);
    const gets = fake.calls.slice(from).filter((c) => c.method === 'GET file').map((c) => c.args.path);
    assert.deepEqual(gets, ['/files/a.mp3', '/files/b.mp3']);
    assert.deepEqual(await redis.keys(`${s.prefix}:visualize:blob:slack-CWATCH-${ts}-3:*`), [], 'nothing stored for the refused file');
    const jobs = await Promise.all([1, 2].map((i) => s.queue.getJob(`slack-CWATCH-${ts}-${i}`)));
    assert.deepEqual(jobs.map((j) => (j?.data.source.kind === 'blob' ? j.data.source.name : '')), ['a.mp3', 'b.mp3']);
    worker.worker.resume();
    const uploaded = (c: SlackCall) => c.method === 'files.completeUploadExternal' && c.args.thread_ts === ts;
    const first = await fake.waitFor(uploaded, from);
    await fake.waitFor(uploaded, fake.calls.indexOf(first) + 1);
    assert.ok(Math.abs((decoded.get('a.mp3') ?? 0) - 1) < 0.1, `a.mp3 decoded as ${decoded.get('a.mp3')} s`);
    assert.ok(Math.abs((decoded.get('b.mp3') ?? 0) - 2) < 0.1, `b.mp3 decoded as ${decoded.get('b.mp3')} s`);
  });

  it('visualizes the audio file of a message through the message shortcut', async () => {
    const from = fake.calls.length;
    const payload = {
      type: 'message_action', token: 'legacy', action_ts: '1700000020.1', team: { id: TEAM_ID, domain: 'music' }, user: { id: 'U8', name: 'listener' },
      channel: { id: 'CGEN', name: 'general' }, callback_id: 'visualize_message', trigger_id: '8888.9999.short', response_url: `${fake.origin}/respond`,
      message_ts: '1700000019.000100',
      message: {
        type: 'message', user: 'U2', ts: '1700000019.000100', text: 'listen',
        files: [{ id: 'F7', name: 'song.mp3', mimetype: 'audio/mpeg', size: song.length, url_private_download: `${fake.origin}/files/song.mp3` }],
      },
    };
    const res = await postSigned(events, form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
    assert.equal(res.status, 200);
    const post = await fake.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === 'CGEN', from);
    assert.equal(post.args.thread_ts, '1700000019.000100', 'answered in the thread of the message');
    const done = await fake.waitFor((c) => c.method === 'files.completeUploadExternal' && c.args.thread_ts === '1700000019.000100', from);
    assert.equal(done.args.channel_id, 'CGEN');
    const job = await s.queue.getJob('slack-8888.9999.short');
    assert.equal(job?.data.source.kind, 'blob', 'read with the bot token and handed over through Redis');

    // Another take: the button on the finished status; the private file is downloaded again
    const finished = await fake.waitFor((c) => c.method === 'chat.update' && c.args.channel === 'CGEN' && /Done/.test(c.args.text ?? '') && /clipmatch_retake/.test(c.args.blocks ?? ''), from);
    const button = (JSON.parse(finished.args.blocks ?? '[]') as { elements?: { action_id: string; value: string }[] }[])[1]?.elements?.[0];
    assert.equal(button?.action_id, 'clipmatch_retake');
    assert.equal(button?.value, 'slack-8888.9999.short');
    const click = (user: string, trigger: string) =>
      postSigned(
        events,
        blockAction({ user, trigger, channel: 'CGEN', messageTs: finished.args.ts, threadTs: '1700000019.000100', text: 'Done', actionId: 'clipmatch_retake', value: button?.value, label: 'Another take', responseUrl: `${fake.origin}/respond` }),
        'application/x-www-form-urlencoded',
      );
    const mark = fake.calls.length;
    assert.equal((await click('U9', '1234.5678.nope')).status, 200);
    const no = await fake.waitFor((c) => c.method === 'chat.postEphemeral', mark);
    assert.equal(no.args.text, 'Only the person who asked for this video can ask for another take.');
    assert.equal((await click('U8', '1234.5678.take')).status, 200);
    await fake.waitFor((c) => c.method === 'GET file', mark);
    await fake.waitFor((c) => c.method === 'files.completeUploadExternal' && c.args.thread_ts === '1700000019.000100', mark);
    const take = await s.queue.getJob('slack-1234.5678.take');
    assert.equal(take?.data.source.kind === 'blob' && take.data.source.name, 'song.mp3');
    assert.ok((take?.data.seed ?? 0) > 0);
    assert.equal(await s.queue.getJob('slack-1234.5678.nope'), undefined);

    // Fix the beat: the menu beside the button; the song again (downloaded again), the same seed, the correction
    const menu = (JSON.parse(finished.args.blocks ?? '[]') as { elements?: { type: string; action_id: string; options?: { value: string; text: { text: string } }[] }[] }[])[1]?.elements?.[1];
    assert.equal(menu?.type, 'static_select');
    assert.equal(menu?.action_id, 'clipmatch_beats');
    assert.deepEqual(menu?.options?.map((o) => o.value), ['offbeat', 'half', 'double', 'half-offbeat'].map((c) => `${c}|slack-8888.9999.short`));
    const choose = (user: string, trigger: string, value: string) =>
      postSigned(
        events,
        menuAction({ user, trigger, channel: 'CGEN', messageTs: finished.args.ts, threadTs: '1700000019.000100', actionId: 'clipmatch_beats', value, label: 'Double tempo', responseUrl: `${fake.origin}/respond` }),
        'application/x-www-form-urlencoded',
      );
    const mark2 = fake.calls.length;
    assert.equal((await choose('U9', '1234.5678.nobeat', 'double|slack-8888.9999.short')).status, 200);
    const no2 = await fake.waitFor((c) => c.method === 'chat.postEphemeral', mark2);
    assert.equal(no2.args.text, 'Only the person who asked for this video can change its beats.');
    assert.equal((await choose('U8', '1234.5678.forged', 'triple|slack-8888.9999.short')).status, 200, 'a forged choice is ignored');
    assert.equal((await choose('U8', '1234.5678.beat', 'double|slack-8888.9999.short')).status, 200);
    const posted = await fake.waitFor((c) => c.method === 'files.completeUploadExternal' && /beats: double/.test(c.args.initial_comment ?? ''), mark2);
    assert.equal(posted.args.thread_ts, '1700000019.000100', 'in the same thread');
    const [orig, beat] = await Promise.all([s.queue.getJob('slack-8888.9999.short'), s.queue.getJob('slack-1234.5678.beat')]);
    assert.equal(beat?.data.beats, 'double');
    assert.equal(beat?.data.seed, orig?.data.seed, 'the same seed');
    assert.equal(beat?.data.source.kind === 'blob' && beat.data.source.name, 'song.mp3');
    assert.equal(await s.queue.getJob('slack-1234.5678.nobeat'), undefined);
    assert.equal(await s.queue.getJob('slack-1234.5678.forged'), undefined);
  });
});
