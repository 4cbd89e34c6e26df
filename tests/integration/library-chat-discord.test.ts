// /library on Discord: the real discord.js client against the fake Discord on loopback (every request checked
// against Discord's API description), the real library queue, events and worker with the real library
// processor over an in-memory LibraryOps. A member without Manage Server is refused with nothing queued; an
// admin's add goes through the queue with progress edits and one final answer; stats and remove answer; a
// private-address link is refused with the same words as the same link given to /visualize.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SnowflakeUtil } from 'discord.js';
import { Redis } from 'ioredis';
import { loadCommands } from '../../commands/registry.js';
import { DiscordBot } from '../../src/bots/discord/discord.adapter.js';
import { LIBRARY_MESSAGES } from '../../src/bots/render.js';
import { BlobStore } from '../../src/jobs/blobs.js';
import { makeFetchAudio } from '../../worker/audio-source.js';
import { APP_ID, buttonClick, CHANNEL_ID, GUILD_ID, startFakeDiscord, targetMessage, USER } from '../helpers/fake-discord.js';
import type { FakeDiscord, RecordedRequest } from '../helpers/fake-discord.js';
import { FakeLibraryOps, quietLog, REDIS_URL, startLibraryStack, startStack } from '../helpers/bot-fakes.js';
import type { LibraryStack, Stack } from '../helpers/bot-fakes.js';

const id = () => SnowflakeUtil.generate().toString();
/** Discord's permission bits as the interaction carries them: View Channel + Send Messages, and Manage Server (1 << 5) */
const MEMBER = String((1n << 10n) | (1n << 11n));
const MANAGER = String((1n << 10n) | (1n << 11n) | (1n << 5n));

function interaction(name: string, options: unknown[], permissions: string, resolved?: unknown) {
  const iid = id();
  return {
    id: iid, application_id: APP_ID, type: 2, token: `ltoken-${iid}`, version: 1, guild_id: GUILD_ID, channel_id: CHANNEL_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'general' },
    member: { user: USER, roles: [], permissions, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
    app_permissions: MANAGER, locale: 'en-US', guild_locale: 'en-US', entitlements: [], authorizing_integration_owners: { '0': GUILD_ID },
    context: 0, attachment_size_limit: 10 * 1024 * 1024,
    data: { id: id(), name, type: 1, options, ...(resolved ? { resolved } : {}) },
  };
}
const library = (sub: string, options: unknown[], permissions = MANAGER, resolved?: unknown) =>
  interaction('library', [{ type: 1, name: sub, options }], permissions, resolved);

describe('/library on discord', { timeout: 60_000 }, () => {
  let s: Stack;
  let lib: LibraryStack;
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let ops: FakeLibraryOps;
  let host: string;
  const redis = new Redis(REDIS_URL);

  before(async () => {
    fake = await startFakeDiscord();
    host = new URL(fake.apiUrl).host;
    s = await startStack();
    // /visualize with the real song fetch: its refusal of a private address is what /library must match
    await s.startWorker({ fetchAudio: makeFetchAudio({ maxBytes: 1024 * 1024, maxSeconds: 600, timeoutMs: 10_000, blobs: new BlobStore(redis, s.prefix) }) });
    lib = await startLibraryStack({ prefix: s.prefix });
    ops = new FakeLibraryOps(3);
    // the fake Discord plays the attachment CDN: loopback, so allowed here as a public host would be
    await lib.startWorker({ ops, allowPrivate: [host] });
    bot = new DiscordBot({ token: 'test-token', core: s.core, library: lib.core, registry: loadCommands(), log: quietLog, visualizeChannels: new Set(), apiUrl: fake.apiUrl });
    await bot.start();
  });
  after(async () => {
    await Promise.all([s.core.settled(), lib.core.settled()]);
    await bot.stop();
    await fake.close();
    await lib.close();
    await s.close();
    redis.disconnect();
  });

  const edits = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/webhooks/${APP_ID}/${token}/messages/@original`;
  const answer = (token: string) => (r: RecordedRequest) => edits(token)(r) && Array.isArray(r.json?.embeds) && (r.json.embeds as unknown[]).length > 0;
  const description = (r: RecordedRequest) => (r.json?.embeds as { description?: string }[])[0]?.description ?? '';
  const cancelId = (r: RecordedRequest) => (r.json?.components as { components: { custom_id: string }[] }[] | undefined)?.[0]?.components[0]?.custom_id;
  /** a click on the button `customId` of the message `shown` (a status edit) by `user` */
  const click = (shown: RecordedRequest, customId: string, user: typeof USER) => {
    const base = library('add', []);
    const button = buttonClick(base, { id: base.id, token: base.token, customId, user, permissions: MANAGER, shown: shown.json });
    fake.dispatch('INTERACTION_CREATE', button);
    return button;
  };

  it('refuses /library add from a member without Manage Server, with nothing queued', async () => {
    const from = fake.requests.length;
    const it = library('add', [{ name: 'url', type: 3, value: `http://${host}/clip.mp4` }], MEMBER);
    fake.dispatch('INTERACTION_CREATE', it);
    const ack = await fake.waitFor((r) => r.path === `/interactions/${it.id}/${it.token}/callback`, from);
    assert.equal(ack.json?.type, 5, 'deferred first');
    const refusal = await fake.waitFor(edits(it.token), from);
    assert.equal(refusal.json?.content, LIBRARY_MESSAGES.notAllowed.discord);
    assert.equal(await lib.jobCount(), 0, 'nothing queued');
    assert.equal(ops.added.length, 0);
    assert.deepEqual(await redis.keys(`${s.prefix}:library:claim:*`), [], 'not even claimed');
  });

  it("goes through the queue for an admin's link: progress edits with /library's Cancel button, then clips added and seconds", async () => {
    const release = ops.hold();
    const from = fake.requests.length;
    const it = library('add', [{ name: 'url', type: 3, value: `http://${host}/clip.mp4` }]);
    fake.dispatch('INTERACTION_CREATE', it);
    // held after its first clip until the reply shows it
    const cutting = await fake.waitFor((r) => edits(it.token)(r) && r.json?.content === 'Cutting clips 33%…', from);
    assert.equal(cancelId(cutting), `clipmatch-library-cancel:discord-${it.id}`, "the status carries /library's Cancel button");
    const job = await lib.queue.getJob(`discord-${it.id}`);
    assert.equal(job?.data.op, 'ingest');
    assert.deepEqual(job?.data.op === 'ingest' && job.data.source, { kind: 'url', url: `http://${host}/clip.mp4` });
    assert.equal(job?.data.requester?.userId, USER.id);
    assert.equal(job?.opts.priority, 1, 'an admin add goes before a command-line batch');
    release();
    const final = await fake.waitFor(answer(it.token), from);
    assert.equal(description(final), 'Added “clip.mp4” to the library.\n3 clips added, 0:30 of footage.');
    const shown = fake.requests.slice(from).filter(edits(it.token)).map((r) => r.json?.content);
    // each stage of the port's progress names shows, in order (edits are not throttled in this test)
    const stages = ['Downloading the video', 'Reading the video', 'Cutting clips', 'Adding to the library'];
    const firstOf = stages.map((t) => shown.findIndex((c) => typeof c === 'string' && c.startsWith(t)));
    assert.ok(firstOf.every((i, k) => i >= 0 && (k === 0 || i > (firstOf[k - 1] ?? 0))), `stages in order in ${JSON.stringify(shown)}`);
    assert.equal(fake.requests.slice(from).filter(answer(it.token)).length, 1, 'exactly one final answer');
  });

  it('cancels a running add when its admin clicks Cancel, and refuses another admin', async (t) => {
    t.after(ops.hold());
    const from = fake.requests.length;
    const before = ops.videos.size;
    const it = library('add', [{ name: 'url', type: 3, value: `http://${host}/long.mp4` }]);
    fake.dispatch('INTERACTION_CREATE', it);
    // held after its first clip: the job is running on the worker
    const cutting = await fake.waitFor((r) => edits(it.token)(r) && r.json?.content === 'Cutting clips 33%…', from);
    const customId = cancelId(cutting)!;
    const other = click(cutting, customId, { ...USER, id: '400000000000000009', username: 'other-admin' });
    const refusal = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(other.token), from);
    assert.equal(refusal.json?.content, LIBRARY_MESSAGES.notYours);
    const deferred = fake.requests.find((r) => r.path === `/interactions/${other.id}/${other.token}/callback`);
    assert.equal((deferred?.json?.data as { flags?: number } | undefined)?.flags, 64, 'an ephemeral answer');
    const mine = click(cutting, customId, USER);
    const reply = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(mine.token), from);
    assert.equal(reply.json?.content, LIBRARY_MESSAGES.cancelling, 'a running job is aborted on its worker');
    const final = await fake.waitFor((r) => edits(it.token)(r) && r.json?.content === LIBRARY_MESSAGES.cancelled, from);
    assert.deepEqual(final.json?.components, [], 'the Cancel button is gone');
    const job = await lib.queue.getJob(`discord-${it.id}`);
    assert.equal(await job?.getState(), 'failed');
    assert.equal(job?.attemptsMade, 1, 'a cancel is not retried');
    assert.equal(ops.videos.size, before, 'nothing added');
    assert.equal(fake.requests.slice(from).filter(answer(it.token)).length, 0, 'no added-answer after the cancel');
  });

  it('adds an attached video, and says so when it is already there', async () => {
    const aid = id();
    const attachment = { id: aid, filename: 'film.webm', size: 4000, url: `http://${host}/attachments/1/2/film.webm`, proxy_url: `http://${host}/p/film.webm`, content_type: 'video/webm' };
    const add = () => library('add', [{ name: 'video', type: 11, value: aid }], MANAGER, { attachments: { [aid]: attachment } });
    const from = fake.requests.length;
    const first = add();
    fake.dispatch('INTERACTION_CREATE', first);
    assert.equal(description(await fake.waitFor(answer(first.token), from)), 'Added “film.webm” to the library.\n3 clips added, 0:30 of footage.');
    const again = add();
    fake.dispatch('INTERACTION_CREATE', again);
    assert.equal(description(await fake.waitFor(answer(again.token), from)), '“film.webm” is already in the library.\n3 clips, 0:30 of footage; nothing added.');
    assert.deepEqual(ops.added.at(-1), { kind: 'attachment', url: attachment.url, name: 'film.webm', bytes: 4000, contentType: 'video/webm' });
  });

  it('answers stats and remove', async () => {
    const from = fake.requests.length;
    const stats = library('stats', []);
    fake.dispatch('INTERACTION_CREATE', stats);
    const st = description(await fake.waitFor(answer(stats.token), from));
    assert.match(st, /^The library holds 2 videos: 6 clips, 1:00 of footage\.\n/);
    assert.match(st, /Left out of montages: title 0:10\./);
    assert.match(st, /Index version in use: 2\./);
    const remove = library('remove', [{ name: 'video', type: 3, value: 'clip.mp4' }]);
    fake.dispatch('INTERACTION_CREATE', remove);
    const rm = description(await fake.waitFor(answer(remove.token), from));
    assert.match(rm, /^Removed 1 video: 3 clips, 0:30 of footage\.\nclip\.mp4 \(v[0-9a-f]{12}\): 3 clips, 0:30$/);
    const none = library('remove', [{ name: 'video', type: 3, value: 'clip.mp4' }]);
    fake.dispatch('INTERACTION_CREATE', none);
    assert.match(description(await fake.waitFor(answer(none.token), from)), /^No video in the library matches “clip\.mp4”\./);
  });

  it('refuses a private-address link with the same words as /visualize', async () => {
    const from = fake.requests.length;
    const link = 'http://10.20.30.40/v.mp4';
    const add = library('add', [{ name: 'url', type: 3, value: link }]);
    const song = interaction('visualize', [{ name: 'url', type: 3, value: link }], MEMBER);
    fake.dispatch('INTERACTION_CREATE', add);
    fake.dispatch('INTERACTION_CREATE', song);
    const [a, b] = await Promise.all([fake.waitFor(edits(add.token), from).then(() => fake.waitFor((r) => edits(add.token)(r) && /not allowed/.test(String(r.json?.content)), from)), fake.waitFor((r) => edits(song.token)(r) && /not allowed/.test(String(r.json?.content)), from)]);
    assert.equal(a.json?.content, 'links to 10.20.30.40 are not allowed: it points to a private address');
    assert.equal(a.json?.content, b.json?.content);
    assert.ok(!ops.added.some((v) => v.kind === 'url' && v.url === link), 'never handed to the library');
    const job = await lib.queue.getJob(`discord-${add.id}`);
    assert.equal(await job?.getState(), 'failed');
    assert.equal(job?.attemptsMade, 1, 'a user error is not retried');
  });

  it('adds the video of a message through Apps -> Add to clip library, for managers only', async () => {
    /** the context menu on a message holding a text file and a video, run by a member with `permissions` */
    const menu = (permissions: string) => {
      const target = id();
      const base = interaction('Add to clip library', [], permissions);
      const file = (filename: string, content_type: string) => ({ id: id(), filename, size: 5000, url: `http://${host}/attachments/1/2/${filename}`, proxy_url: `http://${host}/p/${filename}`, content_type });
      return {
        ...base,
        data: {
          id: id(), name: 'Add to clip library', type: 3, target_id: target,
          resolved: { messages: { [target]: targetMessage(target, 'footage', [file('notes.txt', 'text/plain'), file('reel.mp4', 'video/mp4')]) } },
        },
      };
    };
    const from = fake.requests.length;
    const no = menu(MEMBER);
    fake.dispatch('INTERACTION_CREATE', no);
    assert.equal((await fake.waitFor(edits(no.token), from)).json?.content, LIBRARY_MESSAGES.notAllowed.discord);
    assert.equal(await lib.queue.getJob(`discord-${no.id}`), undefined, 'nothing queued for a member');

    const yes = menu(MANAGER);
    fake.dispatch('INTERACTION_CREATE', yes);
    const ack = await fake.waitFor((r) => r.path === `/interactions/${yes.id}/${yes.token}/callback`, from);
    assert.equal(ack.json?.type, 5, 'deferred first');
    const final = await fake.waitFor(answer(yes.token), from);
    assert.equal(description(final), 'Added “reel.mp4” to the library.\n3 clips added, 0:30 of footage.');
    const job = await lib.queue.getJob(`discord-${yes.id}`);
    assert.deepEqual(job?.data.op === 'ingest' && job.data.source, { kind: 'attachment', url: `http://${host}/attachments/1/2/reel.mp4`, name: 'reel.mp4', bytes: 5000, contentType: 'video/mp4' }, 'the video, not the first file');
  });
});

