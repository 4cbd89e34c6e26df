// /library on Slack: the real Bolt app (HTTP receiver, signed requests) and @slack/web-api against the fake
// Slack on loopback (every call checked against Slack's API description), the real library queue, events and
// worker with the real library processor over an in-memory LibraryOps. Only SLACK_LIBRARY_ADMINS may use it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCommands } from '../../commands/registry.js';
import { SlackBot } from '../../src/bots/slack/slack.adapter.js';
import { LIBRARY_MESSAGES } from '../../src/bots/render.js';
import { FakeLibraryOps, quietLog, startLibraryStack, startStack } from '../helpers/bot-fakes.js';
import type { LibraryStack, Stack } from '../helpers/bot-fakes.js';
import { blockAction, BOT_TOKEN, form, postSigned, SIGNING_SECRET, startFakeSlack, TEAM_ID } from '../helpers/fake-slack.js';
import type { FakeSlack, SlackCall } from '../helpers/fake-slack.js';
import { freePort } from '../helpers/ports.js';

describe('/library on slack', { timeout: 60_000 }, () => {
  let s: Stack;
  let lib: LibraryStack;
  let fake: FakeSlack;
  let bot: SlackBot;
  let events: string;
  let ops: FakeLibraryOps;
  let n = 0;

  before(async () => {
    fake = await startFakeSlack();
    s = await startStack();
    lib = await startLibraryStack({ prefix: s.prefix });
    ops = new FakeLibraryOps(2);
    await lib.startWorker({ ops, allowPrivate: [new URL(fake.origin).host] });
    const port = await freePort();
    bot = new SlackBot({
      botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, port, core: s.core, library: lib.core, libraryAdmins: new Set(['UADMIN']),
      registry: loadCommands(), log: quietLog, watchChannels: new Set(), uploadLimitBytes: 1000 * 1024 * 1024, maxAudioBytes: 1024 * 1024,
      apiUrl: fake.apiUrl, apiRetries: 0,
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
});
