// The real discord.js client against a fake Discord on loopback (REST + gateway), with the real queue
// and worker code behind it (fake render): acknowledgement, progress edits, final reply with files,
// a link when the video exceeds the reported upload limit, and audio posted in a marked channel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnowflakeUtil } from 'discord.js';
import { loadCommands } from '../../commands/registry.js';
import { DiscordBot } from '../../src/bots/discord/discord.adapter.js';
import { startFileServer } from '../../src/bots/files.server.js';
import type { FilePublisher } from '../../src/bots/files.server.js';
import { APP_ID, buttonClick, CHANNEL_ID, GUILD_ID, MARKED_CHANNEL_ID, menuChoice, startFakeDiscord, targetMessage, USER } from '../helpers/fake-discord.js';
import type { FakeDiscord, RecordedRequest } from '../helpers/fake-discord.js';
import { fakeRender, quietLog, startStack } from '../helpers/bot-fakes.js';
import type { VisualizeOptions } from '../../src/core/visualize.types.js';
import { BYTES_PER_MB, chooseEncoding, containerOverheadBytes } from '../../src/core/bitrate.js';
import { SHEET_RESERVE_BYTES } from '../../worker/visualize.processor.js';
import type { Stack } from '../helpers/bot-fakes.js';

// real snowflakes: discord.js reads an interaction's age from its id (tokens expire after 15 minutes)
const id = () => SnowflakeUtil.generate().toString();

function slashInteraction(options: unknown[], over: Record<string, unknown> = {}) {
  const iid = id();
  return {
    id: iid,
    application_id: APP_ID,
    type: 2,
    token: `itoken-${iid}`,
    version: 1,
    guild_id: GUILD_ID,
    channel_id: CHANNEL_ID,
    channel: { id: CHANNEL_ID, type: 0, guild_id: GUILD_ID, name: 'general' },
    member: { user: USER, roles: [], permissions: '2248473465835073', joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': GUILD_ID },
    context: 0,
    attachment_size_limit: 10 * 1024 * 1024,
    data: { id: id(), name: 'visualize', type: 1, options },
    ...over,
  };
}

describe('discord adapter', { timeout: 60_000 }, () => {
  let s: Stack;
  let fake: FakeDiscord;
  let bot: DiscordBot;
  let files: FilePublisher;
  let worker: Awaited<ReturnType<Stack['startWorker']>>;
  before(async () => {
    files = await startFileServer({ dir: join(tmpdir(), `clipmatch-files-${process.pid}`), port: 0, host: '127.0.0.1', ttlMs: 60_000 });
    // the operator links large videos (BOT_LARGE_VIDEOS=link with PUBLIC_BASE_URL)
    s = await startStack({ deps: { files }, core: { linkLargeVideos: true } });
    worker = await s.startWorker();
    fake = await startFakeDiscord();
    bot = new DiscordBot({ token: 'test-token', core: s.core, registry: loadCommands(), log: quietLog, visualizeChannels: new Set(), apiUrl: fake.apiUrl });
    await bot.start();
  });
  after(async () => {
    await s.core.settled();
    await bot.stop();
    await fake.close();
    await s.close();
    await files.close();
  });

  const description = (r: RecordedRequest) => (r.json?.embeds as { description?: string }[] | undefined)?.[0]?.description ?? '';
  const finalEdit = (token: string) => (r: RecordedRequest) =>
    r.method === 'PATCH' && r.path === `/webhooks/${APP_ID}/${token}/messages/@original` && Array.isArray(r.json?.embeds) && (r.json.embeds as unknown[]).length > 0;

  it('defers, edits progress, and replies with the contact sheet and the video', async () => {
    const from = fake.requests.length;
    const it = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/song.mp3' }]);
    fake.dispatch('INTERACTION_CREATE', it);

    const ack = await fake.waitFor((r) => r.path === `/interactions/${it.id}/${it.token}/callback`, from);
    assert.equal(ack.method, 'POST');
    assert.equal(ack.json?.type, 5, 'DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE');

    const final = await fake.waitFor(finalEdit(it.token), from);
    const edits = fake.requests.slice(from).filter((r) => r.method === 'PATCH' && r.path.includes(it.token));
    const progress = edits.filter((r) => r !== final);
    assert.ok(progress.length >= 1, 'at least one progress edit');
    for (const p of progress) {
      assert.match(String(p.json?.content), /…$/);
      const button = (p.json?.components as { components: { custom_id: string; label: string }[] }[])[0]?.components[0];
      assert.equal(button?.label, 'Cancel');
      assert.equal(button?.custom_id, `clipmatch-cancel:discord-${it.id}`);
    }
    const embed = (final.json?.embeds as { fields: { name: string; value: string }[]; image: { url: string } }[])[0];
    assert.deepEqual(embed?.fields.map((f) => f.name), ['Closest clips', 'Farthest clips']);
    assert.match(embed?.fields[0]?.value ?? '', /^1\. Source 1 @ 0:10 \(distance 0\.100\)/);
    assert.equal(embed?.image.url, 'attachment://clipmatch.mp4.sheet.png');
    assert.deepEqual(final.files.map((f) => f.name), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4']);
    const retake = (final.json?.components as { components: { custom_id: string; label: string }[] }[])[0]?.components[0];
    assert.equal(retake?.label, 'Another take');
    assert.equal(retake?.custom_id, `clipmatch-retake:discord-${it.id}:${USER.id}`);
  });

  it('makes another take of a delivered video for its requester only, with a new seed and the same beat correction', async () => {
    const from = fake.requests.length;
    const first = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/again.mp3' }, { name: 'beats', type: 3, value: 'offbeat' }]);
    fake.dispatch('INTERACTION_CREATE', first);
    const done = await fake.waitFor(finalEdit(first.token), from);
    const customId = (done.json?.components as { components: { custom_id: string }[] }[])[0]?.components[0]?.custom_id ?? '';
    const click = (user: typeof USER) => {
      const bid = id();
      const button = buttonClick(slashInteraction([]), { id: bid, token: `rtoken-${bid}`, customId, user, permissions: '2248473465835073' });
      fake.dispatch('INTERACTION_CREATE', button);
      return button;
    };
    const stranger = click({ ...USER, id: '400000000000000009', username: 'stranger' });
    const refusal = await fake.waitFor((r) => r.path === `/interactions/${stranger.id}/${stranger.token}/callback`, from);
    assert.equal(refusal.json?.type, 4);
    assert.equal((refusal.json?.data as { content?: string; flags?: number }).content, 'Only the person who asked for this video can ask for another take.');
    assert.equal((refusal.json?.data as { flags?: number }).flags, 64);
    const mine = click(USER);
    const again = await fake.waitFor(finalEdit(mine.token), from);
    assert.deepEqual(again.files.map((f) => f.name), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4']);
    const [a, b] = await Promise.all([s.queue.getJob(`discord-${first.id}`), s.queue.getJob(`discord-${mine.id}`)]);
    assert.deepEqual(b?.data.source, a?.data.source, 'the same song');
    assert.equal(a?.data.seed, undefined);
    assert.ok(typeof b?.data.seed === 'number' && b.data.seed > 0, 'a new seed');
    assert.equal(a?.data.beats, 'offbeat', 'the beats option reaches the job');
    assert.equal(b?.data.beats, 'offbeat', 'another take keeps the correction');
    assert.equal(b?.data.userId, USER.id);
    assert.equal(await s.queue.getJob(`discord-${stranger.id}`), undefined, 'no job for the stranger');
  });

  it('fixes the beat of a delivered video from the menu under it: the same song and seed, the chosen correction, for its requester only', async () => {
    const from = fake.requests.length;
    const first = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/offbeat.mp3' }]);
    fake.dispatch('INTERACTION_CREATE', first);
    const done = await fake.waitFor(finalEdit(first.token), from);
    assert.match(description(done), /cut to 120 BPM, matched/, 'the tempo the cuts follow');
    const rows = done.json?.components as { components: { type: number; custom_id: string; placeholder?: string; options?: { value: string; label: string }[] }[] }[];
    const menu = rows[1]?.components[0];
    assert.equal(menu?.type, 3, 'a string select under the Another take button');
    assert.equal(menu?.custom_id, `clipmatch-beats:discord-${first.id}:${USER.id}`);
    assert.equal(menu?.placeholder, 'Cuts off the beat? Fix the beat grid');
    assert.deepEqual(menu?.options?.map((o) => o.value), ['offbeat', 'half', 'double', 'half-offbeat']);
    const choose = (user: typeof USER, value: string) => {
      const mid = id();
      const pick = menuChoice(slashInteraction([]), { id: mid, token: `mtoken-${mid}`, customId: menu?.custom_id ?? '', user, permissions: '2248473465835073', values: [value] });
      fake.dispatch('INTERACTION_CREATE', pick);
      return pick;
    };
    const stranger = choose({ ...USER, id: '400000000000000009', username: 'stranger' }, 'half');
    const refusal = await fake.waitFor((r) => r.path === `/interactions/${stranger.id}/${stranger.token}/callback`, from);
    const said = refusal.json?.data as { content?: string; flags?: number };
    assert.equal(said.content, 'Only the person who asked for this video can change its beats.');
    assert.equal(said.flags, 64, 'ephemeral');
    const mine = choose(USER, 'offbeat');
    const fixed = await fake.waitFor(finalEdit(mine.token), from);
    assert.match(description(fixed), /cut to 120 BPM \(beats: offbeat\), matched/);
    const offered = (fixed.json?.components as { components: { options?: { value: string }[] }[] }[])[1]?.components[0]?.options?.map((o) => o.value);
    assert.deepEqual(offered, ['half', 'double', 'half-offbeat', 'tracked'], 'the new video offers the way back');
    const [a, b] = await Promise.all([s.queue.getJob(`discord-${first.id}`), s.queue.getJob(`discord-${mine.id}`)]);
    assert.deepEqual(b?.data.source, a?.data.source, 'the same song');
    assert.equal(b?.data.beats, 'offbeat');
    assert.equal(b?.data.seed, a?.data.seed, 'the same seed');
    assert.equal(await s.queue.getJob(`discord-${stranger.id}`), undefined, 'no job for the stranger');
  });

  it('links the video when it exceeds the upload limit the interaction reports', async () => {
    const from = fake.requests.length;
    const it = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/big.mp3' }], { attachment_size_limit: 16 });
    fake.dispatch('INTERACTION_CREATE', it);
    const final = await fake.waitFor(finalEdit(it.token), from);
    assert.deepEqual(final.files.map((f) => f.name), ['clipmatch.mp4.sheet.png']);
    const link = /Video: (\S+)/.exec(String(final.json?.content))?.[1];
    assert.ok(link, `a link in ${String(final.json?.content)}`);
    const res = await fetch(link);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.match(await res.text(), /^fake-mp4-/);
  });

  it('answers in the channel once the interaction token has expired', async () => {
    const from = fake.requests.length;
    const old = SnowflakeUtil.generate({ timestamp: Date.now() - 20 * 60_000 }).toString();
    const it = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/late.mp3' }], { id: old, token: `itoken-${old}` });
    fake.dispatch('INTERACTION_CREATE', it);
    const post = await fake.waitFor((r) => r.method === 'POST' && r.path === `/channels/${CHANNEL_ID}/messages` && r.files.length > 0, from);
    assert.match(String(post.json?.content), new RegExp(`^<@${USER.id}>`));
    assert.deepEqual(post.files.map((f) => f.name), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4']);
  });

  it('answers audio posted in a channel whose topic marks it', async () => {
    const from = fake.requests.length;
    const mid = id();
    fake.dispatch('MESSAGE_CREATE', {
      id: mid, channel_id: MARKED_CHANNEL_ID, guild_id: GUILD_ID, author: USER, content: 'new track',
      member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
      timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [],
      mention_roles: [], embeds: [], pinned: false, type: 0, flags: 0,
      attachments: [{ id: id(), filename: 'track.mp3', size: 1000, url: 'https://cdn.discordapp.com/attachments/1/2/track.mp3', proxy_url: 'https://media.discordapp.net/track.mp3', content_type: 'audio/mpeg' }],
    });
    const reply = await fake.waitFor((r) => r.method === 'POST' && r.path === `/channels/${MARKED_CHANNEL_ID}/messages`, from);
    assert.equal((reply.json?.message_reference as { message_id: string }).message_id, mid);
    assert.equal(reply.json?.content, 'Queued…');
    const final = await fake.waitFor((r) => r.method === 'PATCH' && r.path.startsWith(`/channels/${MARKED_CHANNEL_ID}/messages/`) && r.files.length > 0, from);
    assert.deepEqual(final.files.map((f) => f.name), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4']);
  });

  it('visualizes the audio of a message through the context menu', async () => {
    const from = fake.requests.length;
    const target = id();
    const it = slashInteraction([], {
      data: {
        id: id(), name: 'Visualize', type: 3, target_id: target,
        resolved: {
          messages: {
            [target]: targetMessage(target, 'my song', [{ id: id(), filename: 'mine.ogg', size: 2000, url: 'https://cdn.discordapp.com/attachments/1/2/mine.ogg', proxy_url: 'https://media.discordapp.net/mine.ogg', content_type: 'audio/ogg' }]),
          },
        },
      },
    });
    fake.dispatch('INTERACTION_CREATE', it);
    const ack = await fake.waitFor((r) => r.path === `/interactions/${it.id}/${it.token}/callback`, from);
    assert.equal(ack.json?.type, 5);
    const final = await fake.waitFor(finalEdit(it.token), from);
    assert.deepEqual(final.files.map((f) => f.name), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4']);
    const job = await s.queue.getJob(`discord-${it.id}`);
    assert.deepEqual(job?.data.source, { kind: 'attachment', url: 'https://cdn.discordapp.com/attachments/1/2/mine.ogg', name: 'mine.ogg', bytes: 2000, contentType: 'audio/ogg' });
  });

  it('cancels a waiting job when its requester clicks Cancel, and refuses anyone else', async (t) => {
    await worker.worker.pause();
    t.after(() => worker.worker.resume());
    const from = fake.requests.length;
    const it = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/wait.mp3' }]);
    fake.dispatch('INTERACTION_CREATE', it);
    const queued = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(it.token) && /^Queued/.test(String(r.json?.content)), from);
    const customId = (queued.json?.components as { components: { custom_id: string }[] }[])[0]?.components[0]?.custom_id;
    assert.equal(customId, `clipmatch-cancel:discord-${it.id}`);
    const click = (user: typeof USER) => {
      const bid = id();
      const button = buttonClick(slashInteraction([]), { id: bid, token: `btoken-${bid}`, customId: customId!, user, permissions: '2248473465835073', shown: queued.json });
      fake.dispatch('INTERACTION_CREATE', button);
      return button;
    };
    const stranger = click({ ...USER, id: '400000000000000009', username: 'stranger' });
    const refusal = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(stranger.token), from);
    assert.equal(refusal.json?.content, 'Only the person who asked for this video can cancel it.');
    const deferred = fake.requests.find((r) => r.path === `/interactions/${stranger.id}/${stranger.token}/callback`);
    assert.equal(deferred?.json?.type, 5);
    assert.equal((deferred?.json?.data as { flags?: number } | undefined)?.flags, 64, 'an ephemeral answer');
    const mine = click(USER);
    const answer = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(mine.token), from);
    assert.equal(answer.json?.content, 'Cancelled.');
    const original = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(it.token) && r.json?.content === 'Cancelled.', from);
    assert.deepEqual(original.json?.components, [], 'the Cancel button is gone');
    assert.equal(await s.queue.getJob(`discord-${it.id}`), undefined, 'the job was removed');
  });

  it('ignores audio in an ordinary channel', async () => {
    const from = fake.requests.length;
    fake.dispatch('MESSAGE_CREATE', {
      id: id(), channel_id: CHANNEL_ID, guild_id: GUILD_ID, author: USER, content: '', timestamp: new Date().toISOString(),
      edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], embeds: [], pinned: false, type: 0,
      attachments: [{ id: id(), filename: 'a.mp3', size: 10, url: 'https://cdn.discordapp.com/a.mp3', proxy_url: 'https://media.discordapp.net/a.mp3', content_type: 'audio/mpeg' }],
    });
    // a slash command dispatched afterwards is answered; the message before it was not
    const it = slashInteraction([]);
    fake.dispatch('INTERACTION_CREATE', it);
    const answer = await fake.waitFor((r) => r.method === 'PATCH' && r.path.includes(it.token), from);
    assert.match(String(answer.json?.content), /Attach an audio file or give a link/);
    assert.equal(fake.requests.slice(from).filter((r) => r.path.startsWith(`/channels/${CHANNEL_ID}/messages`)).length, 0);
  });
});

describe('discord adapter on a default server (videos rendered to fit)', { timeout: 60_000 }, () => {
  let s: Stack;
  let fake: FakeDiscord;
  let bot: DiscordBot;
  const renders: Omit<VisualizeOptions, 'signal'>[] = [];
  before(async () => {
    s = await startStack();
    // a 3-minute song; the render records what it was asked for
    await s.startWorker({
      fetchAudio: async (_src, dir) => ({ path: join(dir, 'song.flac'), duration: 180 }),
      render: fakeRender({ onStart: ({ signal: _s, ...o }) => renders.push(o) }),
    });
    fake = await startFakeDiscord();
    bot = new DiscordBot({ token: 'test-token', core: s.core, registry: loadCommands(), log: quietLog, visualizeChannels: new Set(), apiUrl: fake.apiUrl });
    await bot.start();
  });
  after(async () => {
    await s.core.settled();
    await bot.stop();
    await fake.close();
    await s.close();
  });

  it('carries the 10 MiB limit the interaction reports to the render, which fits video and sheet into it', async () => {
    const limit = 10 * 1024 * 1024;
    const from = fake.requests.length;
    const it = slashInteraction([{ name: 'url', type: 3, value: 'https://example.org/three-minutes.mp3' }], { attachment_size_limit: limit });
    fake.dispatch('INTERACTION_CREATE', it);
    const final = await fake.waitFor(
      (r) => r.method === 'PATCH' && r.path === `/webhooks/${APP_ID}/${it.token}/messages/@original` && r.files.length > 0,
      from,
    );
    assert.deepEqual(final.files.map((f) => f.name), ['clipmatch.mp4.sheet.png', 'clipmatch.mp4'], 'the video is attached');
    assert.ok(final.files.reduce((a, f) => a + f.bytes, 0) <= limit);
    const opts = renders.at(-1);
    assert.ok(opts?.maxMb, 'the render got a size cap');
    assert.equal(opts.maxMb, (limit - SHEET_RESERVE_BYTES) / BYTES_PER_MB);
    // the encoding a real render would use for 180 s under that cap, with the mp4's overhead and the
    // largest sheet, stays within the limit
    const enc = chooseEncoding(180, opts.maxMb, '16:9');
    const bytes = ((enc.videoKbps + enc.audioKbps) * 1000 * 180) / 8 + containerOverheadBytes(180, enc.fps);
    assert.ok(bytes + SHEET_RESERVE_BYTES <= limit, `${bytes} + sheet <= ${limit}`);
    assert.equal(opts.maxSeconds, 600, 'the duration cap travels to the child too');
  });
});
