// /library on Slack: the real Bolt app (HTTP receiver, signed requests) and @slack/web-api against the fake
// Slack on loopback (every call checked against Slack's API description), the real library queue, events and
// worker with the real library processor over an in-memory LibraryOps. Only SLACK_LIBRARY_ADMINS may use it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadCommands } from '../../commands/registry.js';
import { SlackBot } from '../../src/bots/slack/slack.adapter.js';
import { LIBRARY_MESSAGES } from '../../src/bots/render.js';
import { FakeLibraryOps, quietLog, REDIS_URL, startLibraryStack, startStack } from '../helpers/bot-fakes.js';
import type { LibraryStack, Stack } from '../helpers/bot-fakes.js';
import { blockAction, BOT_TOKEN, form, postSigned, SIGNING_SECRET, startFakeSlack, TEAM_ID } from '../helpers/fake-slack.js';
import type { FakeSlack, SlackCall } from '../helpers/fake-slack.js';
import { makeVideo, probeStreams, tempDir } from '../helpers/media.js';
import { freePort } from '../helpers/ports.js';

/** the cap on a Slack video the bot reads for /library, small here so a too-large file is cheap to make */
const MAX_VIDEO = 200 * 1024;

describe('/library on slack', { timeout: 60_000 }, () => {
  let s: Stack;
  let lib: LibraryStack;
  let fake: FakeSlack;
  let bot: SlackBot;
  let events: string;
  let ops: FakeLibraryOps;
  let n = 0;
  const redis = new Redis(REDIS_URL);
  const media = tempDir('clipmatch-libslack-');
  /** the files the worker's ops were handed, read when they were (the processor removes them afterwards) */
  const handed: { path: string; streams: string[] }[] = [];

  before(async () => {
    fake = await startFakeSlack();
    s = await startStack();
    lib = await startLibraryStack({ prefix: s.prefix });
    ops = new FakeLibraryOps(2);
    const addVideo = ops.addVideo.bind(ops);
    ops.addVideo = async (source, opts) => {
      if (source.kind === 'file') handed.push({ path: source.path, streams: probeStreams(source.path) });
      return addVideo(source, opts);
    };
    await lib.startWorker({ ops, allowPrivate: [new URL(fake.origin).host] });
    fake.files.set('clip.mp4', readFileSync(makeVideo(join(media.dir, 'clip.mp4'), { seconds: 2 })));
    fake.files.set('huge.mp4', Buffer.alloc(MAX_VIDEO + 1, 1));
    const port = await freePort();
    bot = new SlackBot({
      botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port, core: s.core, library: lib.core, libraryAdmins: new Set(['UADMIN']),
      registry: loadCommands(), log: quietLog, watchChannels: new Set(), uploadLimitBytes: 1000 * 1024 * 1024, maxAudioBytes: 1024 * 1024,
      maxVideoBytes: MAX_VIDEO, apiUrl: fake.apiUrl, apiRetries: 0,
    });
    await bot.start();
    events = `http://127.0.0.1:${port}/slack/events`;
  });
  after(async () => {
    await Promise.all([s.core.settled(), lib.core.settled()]);
    await bot.stop();
    await fake.close();
    await lib.close();
    await s.close();
    redis.disconnect();
    media.cleanup();
  });

  /** posts `/library <text>` as `user`; returns the trigger id (the job is slack-<trigger>) */
  async function command(user: string, text: string): Promise<string> {
    const trigger = `7000.${++n}.lib`;
    const res = await postSigned(
      events,
      form({ token: 'legacy', team_id: TEAM_ID, channel_id: 'CADM', channel_name: 'admin', user_id: user, user_name: user, command: '/library', text, response_url: `${fake.origin}/respond`, trigger_id: trigger, api_app_id: 'A1' }),
      'application/x-www-form-urlencoded',
    );
    assert.equal(res.status, 200, 'acknowledged within the request');
    return trigger;
  }
  /** `user` runs the "Add to clip library" shortcut on a message in CADM holding `files`; returns the trigger id */
  async function shortcut(user: string, files: { name: string; mimetype: string }[]): Promise<string> {
    const trigger = `7200.${++n}.short`;
    const ts = `1700000100.${String(n).padStart(6, '0')}`;
    const payload = {
      type: 'message_action', token: 'legacy', action_ts: `${ts}1`, team: { id: TEAM_ID, domain: 'music' }, user: { id: user, name: user },
      channel: { id: 'CADM', name: 'admin' }, callback_id: 'clipmatch_library_add', trigger_id: trigger, response_url: `${fake.origin}/respond`,
      message_ts: ts,
      message: {
        type: 'message', user: 'U2', ts, text: 'footage',
        files: files.map((f, i) => ({ id: `FV${n}${i}`, name: f.name, mimetype: f.mimetype, size: fake.files.get(f.name)?.length ?? 0, url_private_download: `${fake.origin}/files/${f.name}` })),
      },
    };
    const res = await postSigned(events, form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
    assert.equal(res.status, 200, 'acknowledged within the request');
    return trigger;
  }
  const fileGets = (from: number) => fake.calls.slice(from).filter((c) => c.method === 'GET file').map((c) => c.args.path);
  const update = (pred: (text: string) => boolean) => (c: SlackCall) => c.method === 'chat.update' && c.args.channel === 'CADM' && pred(c.args.text ?? '');
  /** the status message's button: its action id and value (the job id) */
  const cancelButton = (c: SlackCall) => {
    const b = (JSON.parse(c.args.blocks ?? '[]') as { elements?: { action_id: string; value: string }[] }[])[1]?.elements?.[0];
    return b && { action_id: b.action_id, value: b.value };
  };
  /** `user` clicks the button `action` (value `value`) on the status message `shown` */
  const click = (shown: SlackCall, action: string, value: string, user: string) =>
    postSigned(
      events,
      blockAction({ user, trigger: `7100.${++n}.click`, channel: 'CADM', messageTs: shown.args.ts, text: shown.args.text, actionId: action, value, label: 'Cancel', responseUrl: `${fake.origin}/respond` }),
      'application/x-www-form-urlencoded',
    );

  it('refuses /library add from someone who is not a library admin, with nothing queued', async () => {
    const from = fake.calls.length;
    await command('UMEMBER', `add <${fake.origin}/public/v.mp4>`);
    const post = await fake.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === 'CADM', from);
    assert.equal(post.args.text, 'Queued…');
    const refusal = await fake.waitFor(update((t) => t === LIBRARY_MESSAGES.notAllowed.slack), from);
    assert.ok(refusal.args.ts, 'the status message is edited into the refusal');
    assert.equal(await lib.jobCount(), 0, 'nothing queued');
    assert.equal(ops.added.length, 0);
  });

  it("takes an admin's link through the queue: progress with /library's Cancel button, then the clips added", async () => {
    const release = ops.hold();
    const from = fake.calls.length;
    const trigger = await command('UADMIN', `add <${fake.origin}/public/v.mp4>`);
    const cutting = await fake.waitFor(update((t) => t === 'Cutting clips 50%…'), from);
    assert.deepEqual(cancelButton(cutting), { action_id: 'clipmatch_library_cancel', value: `slack-${trigger}` }, "/library's Cancel button");
    release();
    const done = await fake.waitFor(update((t) => t.startsWith('*Added')), from);
    assert.equal(done.args.text, '*Added “v.mp4” to the library.*\n2 clips added, 0:20 of footage.');
    const job = await lib.queue.getJob(`slack-${trigger}`);
    assert.equal(job?.data.requester?.platform, 'slack');
    assert.deepEqual(job?.data.op === 'ingest' && job.data.source, { kind: 'url', url: `${fake.origin}/public/v.mp4` });
  });

  it('cancels a running add when its admin clicks Cancel, and refuses anyone else', async (t) => {
    t.after(ops.hold());
    const before = ops.videos.size;
    const from = fake.calls.length;
    const trigger = await command('UADMIN', `add <${fake.origin}/public/long.mp4>`);
    // held after its first clip: the job is running on the worker
    const cutting = await fake.waitFor(update((t) => t === 'Cutting clips 50%…'), from);
    const button = cancelButton(cutting)!;
    const mark = fake.calls.length;
    assert.equal((await click(cutting, button.action_id, button.value, 'UOTHER')).status, 200);
    const no = await fake.waitFor((c) => c.method === 'chat.postEphemeral' && c.args.user === 'UOTHER', mark);
    assert.equal(no.args.text, LIBRARY_MESSAGES.notYours);
    assert.equal((await click(cutting, button.action_id, button.value, 'UADMIN')).status, 200);
    const yes = await fake.waitFor((c) => c.method === 'chat.postEphemeral' && c.args.user === 'UADMIN', mark);
    assert.equal(yes.args.text, LIBRARY_MESSAGES.cancelling, 'a running job is aborted on its worker');
    const final = await fake.waitFor(update((t) => t === LIBRARY_MESSAGES.cancelled), from);
    assert.equal(final.args.ts, cutting.args.ts, 'the status message says so');
    const job = await lib.queue.getJob(`slack-${trigger}`);
    assert.equal(await job?.getState(), 'failed');
    assert.equal(job?.attemptsMade, 1, 'a cancel is not retried');
    assert.equal(ops.videos.size, before, 'nothing added');
  });

  it('answers stats and remove; an unknown word gets the usage', async () => {
    const from = fake.calls.length;
    await command('UADMIN', 'stats');
    const st = await fake.waitFor(update((t) => t.startsWith('*The library holds')), from);
    assert.match(st.args.text ?? '', /^\*The library holds 1 video: 2 clips, 0:20 of footage\.\*/);
    await command('UADMIN', 'remove v.mp4');
    const rm = await fake.waitFor(update((t) => t.startsWith('*Removed')), from);
    assert.match(rm.args.text ?? '', /^\*Removed 1 video: 2 clips, 0:20 of footage\.\*\nv\.mp4 \(v[0-9a-f]{12}\)/);
    await command('UADMIN', 'rebuild everything');
    await fake.waitFor(update((t) => t === LIBRARY_MESSAGES.unknownOp), from);
  });

  it('refuses a link to a private address as for a song', async () => {
    const from = fake.calls.length;
    await command('UADMIN', 'add <http://192.168.1.20/v.mp4>');
    const no = await fake.waitFor(update((t) => /not allowed/.test(t)), from);
    assert.equal(no.args.text, 'links to 192.168.1.20 are not allowed: it points to a private address');
    assert.ok(!ops.added.some((v) => v.kind === 'url' && v.url.includes('192.168')));
  });

  it('adds the video of a message through the "Add to clip library" shortcut: read with the bot token, remuxed on the worker, answered in the thread', async () => {
    const from = fake.calls.length;
    const trigger = await shortcut('UADMIN', [{ name: 'notes.txt', mimetype: 'text/plain' }, { name: 'clip.mp4', mimetype: 'video/mp4' }]);
    const post = await fake.waitFor((c) => c.method === 'chat.postMessage' && c.args.channel === 'CADM', from);
    assert.match(post.args.thread_ts ?? '', /^1700000100\./, 'answered in the thread of the message');
    const done = await fake.waitFor(update((t) => t.startsWith('*Added')), from);
    assert.deepEqual(fileGets(from), ['/files/clip.mp4'], 'only the video was read, once, by the bot');
    const job = await lib.queue.getJob(`slack-${trigger}`);
    const source = job?.data.op === 'ingest' ? job.data.source : undefined;
    assert.equal(source?.kind, 'blob', 'handed over through Redis: workers hold no Slack token');
    assert.equal(source?.kind === 'blob' && source.bytes, fake.files.get('clip.mp4')?.length);
    const last = handed.at(-1);
    assert.match(last?.path ?? '', /clip\.mp4$/, "the ops get the worker's own copy, under the file's name");
    assert.deepEqual(last?.streams, ['video', 'audio'], 'a remux with the video and audio streams');
    assert.match(done.args.text ?? '', /^\*Added “clip\.mp4” to the library\.\*/);
    await lib.core.settled();
    assert.deepEqual(await redis.keys(`${s.prefix}:library:blob:slack-${trigger}*`), [], 'the upload is removed with the answer');
  });

  it('refuses the shortcut from a non-admin before reading the file, and a video over the cap after reading no more than the cap', async () => {
    let from = fake.calls.length;
    const refused = await shortcut('UMEMBER', [{ name: 'clip.mp4', mimetype: 'video/mp4' }]);
    await fake.waitFor(update((t) => t === LIBRARY_MESSAGES.notAllowed.slack), from);
    assert.deepEqual(fileGets(from), [], 'nothing read for a non-admin');
    assert.equal(await lib.queue.getJob(`slack-${refused}`), undefined, 'nothing queued');

    from = fake.calls.length;
    const big = await shortcut('UADMIN', [{ name: 'huge.mp4', mimetype: 'video/mp4' }]);
    const no = await fake.waitFor(update((t) => /over the limit/.test(t)), from);
    assert.match(no.args.text ?? '', /^That file is over the limit of 0\.2 MB\.$/);
    assert.equal(await lib.queue.getJob(`slack-${big}`), undefined, 'nothing queued');
    assert.deepEqual(await redis.keys(`${s.prefix}:library:blob:slack-${big}*`), [], 'nothing stored');
  });

  it('tells an admin who runs the shortcut on a message without a video what to do', async () => {
    const from = fake.calls.length;
    await shortcut('UADMIN', []);
    await fake.waitFor(update((t) => t === LIBRARY_MESSAGES.noVideo.slack), from);
  });
});

