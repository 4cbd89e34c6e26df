// /library without Redis: the lifecycle on in-memory ports (a member without the permission is refused
// before anything is claimed, stored or queued; what each op queues; one answer, none for command-line
// jobs), the command read the same from Discord options and Slack text, its Discord registration (Manage
// Server only), the processor over a fake LibraryOps (stages, blobs to files, the address check before the
// ops), the answers' words, job priorities and the Slack admins setting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import { libraryCommand, parseLibrary } from '../../commands/library.command.js';
import { loadCommands } from '../../commands/registry.js';
import { botSettings } from '../../src/bots/bot.config.js';
import { toDiscordCommands } from '../../src/bots/discord/discord.commands.js';
import { LibraryLifecycle } from '../../src/bots/library.lifecycle.js';
import { addedAnswer, LIBRARY_MESSAGES, statsAnswer } from '../../src/bots/render.js';
import { ConfigError, parseEnv } from '../../src/config.js';
import { isUserError } from '../../src/core/errors.js';
import type { JobProgress, LibraryJobData, LibraryJobResult, LibraryRequest } from '../../src/jobs/jobs.types.js';
import { jobOptions, LIBRARY_PRIORITY } from '../../src/jobs/queue.js';
import { nextLibraryStage } from '../../src/jobs/stages.js';
import { makeLibraryProcessor } from '../../worker/library.processor.js';
import { FakeLibraryOps, RecordingUI } from '../helpers/bot-fakes.js';
import { makeVideo } from '../helpers/media.js';
import { memoryPorts } from '../helpers/memory-ports.js';
import { discordProblems } from '../helpers/spec-validator.js';

const log = pino({ level: 'silent' });
let n = 0;
const req = (over: Partial<LibraryRequest> = {}): LibraryRequest => ({
  platform: 'discord', requestId: `l${++n}`, userId: 'u1', serverId: 'g1', channelId: 'c1', op: 'stats', permitted: true, ...over,
});
function setup() {
  const ports = memoryPorts<LibraryJobData, LibraryJobResult>(2, 4);
  const lc = new LibraryLifecycle(ports, { maxQueue: 10, editEveryMs: 0, deliveryAttempts: 2, deliveryRetryMs: 1 }, log);
  return { ports, lc };
}

describe('library lifecycle', () => {
  it('refuses a member without the permission before anything is claimed, stored or queued', async () => {
    const { ports, lc } = setup();
    for (const platform of ['discord', 'slack'] as const) {
      const ui = new RecordingUI();
      const r = req({ platform, op: 'add', source: { kind: 'url', url: 'https://example.org/v.mp4' }, permitted: false });
      assert.equal(await lc.submit(r, ui), 'refused');
      assert.deepEqual(ui.finals(), [{ kind: 'error', message: LIBRARY_MESSAGES.notAllowed[platform] }]);
    }
    assert.equal(ports.queue.jobs.size, 0);
    assert.equal(ports.claims.claimed.size, 0);
    assert.equal(ports.limits.inFlight(), 0);
    lc.close();
  });

  it('queues each op with its requester and reply target', async () => {
    const { ports, lc } = setup();
    const ui = new RecordingUI(0, { channelId: 'c1', messageId: 'm1' });
    const add = req({ op: 'add', source: { kind: 'url', url: 'https://example.org/v.mp4' } });
    assert.equal(await lc.submit(add, ui), 'queued');
    assert.deepEqual(ports.queue.jobs.get(`discord-${add.requestId}`)?.data, {
      v: 1, op: 'ingest', batchId: `chat-discord-${add.requestId}`, source: { kind: 'url', url: 'https://example.org/v.mp4' },
      requester: { platform: 'discord', requestId: add.requestId, userId: 'u1', serverId: 'g1', reply: { channelId: 'c1', messageId: 'm1' } },
    });
    const rm = req({ op: 'remove', ref: '  Some title ', userId: 'u2' });
    assert.equal(await lc.submit(rm, new RecordingUI()), 'queued');
    const d = ports.queue.jobs.get(`discord-${rm.requestId}`)?.data;
    assert.equal(d?.op === 'remove' && d.ref, 'Some title');
    assert.deepEqual(ui.events[0], { kind: 'status', view: { stage: 'queued', position: 1 } });
    lc.close();
  });

  it('says what is missing: no video, no reference, an unknown word, a non-video file, a worker path', async () => {
    const { ports, lc } = setup();
    const refusal = async (r: Partial<LibraryRequest>) => {
      const ui = new RecordingUI();
      assert.equal(await lc.submit(req(r), ui), 'refused');
      return (ui.finals()[0] as { message: string }).message;
    };
    assert.equal(await refusal({ op: 'add' }), LIBRARY_MESSAGES.noVideo.discord);
    assert.equal(await refusal({ op: 'add', platform: 'slack' }), LIBRARY_MESSAGES.noVideo.slack, "in each platform's own words");
    assert.equal(await refusal({ op: 'remove' }), LIBRARY_MESSAGES.noRef);
    assert.equal(await refusal({ op: 'remove', ref: 'x'.repeat(201) }), LIBRARY_MESSAGES.noRef);
    const { op: _op, ...noOp } = req();
    assert.equal(await refusal({ ...noOp, op: undefined }), LIBRARY_MESSAGES.unknownOp);
    assert.equal(await refusal({ op: 'add', source: { kind: 'attachment', url: 'https://cdn/x.txt', name: 'x.txt', contentType: 'text/plain' } }), 'That file (text/plain) is not a video.');
    assert.equal(await refusal({ op: 'add', source: { kind: 'file', path: '/etc/passwd' } }), LIBRARY_MESSAGES.noVideo.discord);
    assert.equal(await refusal({ op: 'add', source: { kind: 'url', url: 'file:///etc/passwd' } }), 'Only http(s) links are accepted.');
    assert.equal(ports.queue.jobs.size, 0);
    assert.equal(ports.limits.inFlight(), 0);
    lc.close();
  });

  it('answers once with the result, frees the slot, and leaves command-line jobs alone', async () => {
    const { ports, lc } = setup();
    const ui = new RecordingUI();
    const add = req({ op: 'add', source: { kind: 'url', url: 'https://example.org/v.mp4' } });
    await lc.submit(add, ui);
    const jobId = `discord-${add.requestId}`;
    const result = { status: 'skipped' as const, title: 'v.mp4', clips: 0, seconds: 0, reason: 'no video stream' };
    await lc.completed(jobId, result);
    await lc.completed(jobId, result);
    assert.deepEqual(ui.finals(), [{ kind: 'summary', view: { title: 'Skipped “v.mp4”: nothing added.', lines: ['Why: no video stream.'] } }]);
    assert.equal(ports.limits.inFlight(), 0);
    // a job `clipmatch ingest --queue` added: no requester, no answer, no delivery mark
    ports.queue.jobs.set('cli-1', { data: { v: 1, op: 'ingest', batchId: 'b1', source: { kind: 'file', path: '/mnt/library/in/a.mp4' } }, state: 'completed' });
    await lc.completed('cli-1', { status: 'added', title: 'a.mp4', clips: 3, seconds: 30 });
    await lc.failed('cli-1', 'boom');
    await lc.settled();
    assert.equal(ports.claims.delivered.has('cli-1'), false);
    lc.close();
  });

  it('tells the admin when the queue lost the job', async () => {
    const { ports, lc } = setup();
    const ui = new RecordingUI();
    await lc.submit(req(), ui);
    ports.queue.jobs.clear();
    await lc.watchdog();
    assert.deepEqual(ui.finals(), [{ kind: 'error', message: LIBRARY_MESSAGES.lost }]);
    lc.close();
  });
});

describe('/library command', () => {
  it('reads Slack text and Discord options the same way', () => {
    assert.deepEqual(parseLibrary({ text: 'add <https://example.org/v.mp4>' }), { op: 'add', arg: '<https://example.org/v.mp4>' });
    assert.deepEqual(parseLibrary({ text: '  STATS ' }), { op: 'stats' });
    assert.deepEqual(parseLibrary({ text: 'remove Night Drive (2019)' }), { op: 'remove', arg: 'Night Drive (2019)' });
    assert.deepEqual(parseLibrary({ text: 'rebuild' }), {});
    assert.deepEqual(parseLibrary({ subcommand: 'remove', strings: { video: 'v1a2b3c4d' } }), { op: 'remove', arg: 'v1a2b3c4d' });
    const base = { platform: 'slack' as const, requestId: 'r', userId: 'U1', serverId: 'T1', channelId: 'C1', files: [] };
    const [fromSlack] = libraryCommand.execute({ ...base, text: 'add <https://example.org/v.mp4>', permitted: true });
    assert.deepEqual(fromSlack?.source, { kind: 'url', url: 'https://example.org/v.mp4' });
    assert.equal(fromSlack?.permitted, true);
    const file = { url: 'https://cdn/v.webm', name: 'v.webm', bytes: 9, contentType: 'video/webm' };
    const [fromDiscord] = libraryCommand.execute({ ...base, platform: 'discord', subcommand: 'add', files: [file], url: 'https://example.org/other.mp4' });
    assert.deepEqual(fromDiscord?.source, { kind: 'attachment', ...file }, 'the attached video wins over the link');
    assert.equal(fromDiscord?.permitted, false, 'not permitted unless the adapter says so');
  });

  it('registers on Discord for Manage Server only, in servers, with three subcommands', () => {
    const all = toDiscordCommands(loadCommands());
    assert.deepEqual(discordProblems('PUT', '/applications/100000000000000001/commands', all as unknown as Record<string, unknown>), [], "what commands:deploy sends matches Discord's API description");
    const body = all.find((c) => c.name === 'library') as unknown as {
      default_member_permissions?: number; contexts?: number[]; options: { type: number; name: string; options: { name: string; type: number; required: boolean }[] }[];
    };
    assert.equal(body.default_member_permissions, 32, 'Manage Server (1 << 5)');
    assert.deepEqual(body.contexts, [0], 'guilds only');
    assert.deepEqual(body.options.map((o) => [o.type, o.name]), [[1, 'add'], [1, 'stats'], [1, 'remove']]);
    assert.deepEqual(body.options[0]?.options.map((o) => [o.name, o.type]), [['video', 11], ['url', 3]]);
    assert.deepEqual(body.options[2]?.options.map((o) => [o.name, o.type, o.required]), [['video', 3, true]]);
    const menu = all.find((c) => c.name === 'Add to clip library') as unknown as { type: number; default_member_permissions?: number; contexts?: number[] };
    assert.deepEqual(menu, { type: 3, name: 'Add to clip library', default_member_permissions: 32, contexts: [0] }, 'the message menu is for managers in servers too');
    const visualize = all.filter((c) => c.name === 'visualize' || c.name === 'Visualize') as { default_member_permissions?: string }[];
    assert.equal(visualize.length, 2);
    assert.ok(visualize.every((c) => c.default_member_permissions === undefined), '/visualize and its menu stay open to everyone');
  });
});

/** A job as the processor sees it: its data and the progress it reports. */
function job(data: LibraryJobData) {
  const progress: JobProgress[] = [];
  const j = { id: 'j1', data, updateProgress: async (p: JobProgress) => void progress.push(p) } as unknown as Job<LibraryJobData, LibraryJobResult>;
  return { j, progress };
}
const signal = new AbortController().signal;

describe('library processor', () => {
  it('maps the port progress names onto typed stages, never backwards', async () => {
    const ops = new FakeLibraryOps(2);
    const run = makeLibraryProcessor({ ops, blobs: { get: async () => Buffer.alloc(0) }, progressEveryMs: 0, allowPrivate: ['127.0.0.1:9'] });
    const { j, progress } = job({ v: 1, op: 'ingest', batchId: 'b', source: { kind: 'url', url: 'http://127.0.0.1:9/v.mp4' } });
    const res = await run(j, signal);
    assert.deepEqual(res, { status: 'added', ...[...ops.videos.values()][0] });
    assert.deepEqual(progress.map((p) => p.stage), ['fetching', 'fetching', 'probing', 'cutting', 'cutting', 'saving']);
    assert.deepEqual(progress.filter((p) => p.stage === 'cutting').map((p) => p.fraction), [0.5, 1]);
    assert.equal(nextLibraryStage('download', 'saving'), 'saving');
    assert.equal(nextLibraryStage('toString', 'probing'), 'probing');
  });

  it('refuses a job whose requester cancelled before this attempt started, before the ops see it', async () => {
    const ops = new FakeLibraryOps();
    const asked: string[] = [];
    const run = makeLibraryProcessor({ ops, blobs: { get: async () => Buffer.alloc(0) }, progressEveryMs: 0, isCancelled: async (id) => (asked.push(id), id === 'j1') });
    const { j } = job({ v: 1, op: 'ingest', batchId: 'b', source: { kind: 'url', url: 'https://example.org/v.mp4' } });
    await assert.rejects(run(j, signal), (err) => isUserError(err) && err.code === 'CANCELLED');
    assert.deepEqual(asked, ['j1']);
    assert.equal(ops.added.length, 0);
  });

  it('refuses a private or loopback link before the ops see it, as songs are refused', async () => {
    const ops = new FakeLibraryOps();
    const run = makeLibraryProcessor({ ops, blobs: { get: async () => Buffer.alloc(0) }, progressEveryMs: 0 });
    for (const [url, cls] of [['http://127.0.0.1/v.mp4', 'loopback'], ['http://[::ffff:10.0.0.1]/v.mp4', 'private'], ['http://169.254.169.254/latest', 'link-local']]) {
      await assert.rejects(run(job({ v: 1, op: 'ingest', batchId: 'b', source: { kind: 'url', url: url as string } }).j, signal), (err) => {
        assert.ok(isUserError(err));
        assert.equal(err.code, 'FORBIDDEN_ADDRESS');
        assert.match(err.message, new RegExp(`it points to a ${cls} address$`));
        return true;
      });
    }
    assert.equal(ops.added.length, 0);
  });

  it('hands a stored Slack file to the ops as our own remux of it, under its name', async () => {
    let seen: Buffer | undefined;
    const ops = new FakeLibraryOps();
    const add = ops.addVideo.bind(ops);
    ops.addVideo = async (source, o) => {
      assert.equal(source.kind, 'file');
      if (source.kind === 'file') seen = await readFile(source.path);
      return add(source, o);
    };
    const dir = await mkdtemp(join(tmpdir(), 'clipmatch-blob-'));
    try {
      makeVideo(join(dir, 'upload.mp4'), { seconds: 2 });
      const bytes = await readFile(join(dir, 'upload.mp4'));
      const run = makeLibraryProcessor({ ops, blobs: { get: async () => bytes }, progressEveryMs: 0 });
      const res = await run(job({ v: 1, op: 'ingest', batchId: 'b', source: { kind: 'blob', key: 'p:library:blob:j1:input', name: 'clip one.mp4', bytes: bytes.length } }).j, signal);
      assert.equal(seen?.subarray(0, 4).toString('hex'), '1a45dfa3', 'a Matroska file of our own, not the bytes as sent');
      assert.equal('title' in res && res.title, 'clip_one.mp4');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an upload that is no video without handing it to the ops', async () => {
    const ops = new FakeLibraryOps();
    const run = makeLibraryProcessor({ ops, blobs: { get: async () => Buffer.from('not a video at all') }, progressEveryMs: 0 });
    await assert.rejects(run(job({ v: 1, op: 'ingest', batchId: 'b', source: { kind: 'blob', key: 'k', name: 'x.mp4', bytes: 18 } }).j, signal), /could not be read as a video/);
    assert.equal(ops.added.length, 0);
  });

  it('runs stats and remove', async () => {
    const ops = new FakeLibraryOps();
    await ops.addVideo({ kind: 'file', path: '/lib/a.mp4' }, {});
    const run = makeLibraryProcessor({ ops, blobs: { get: async () => Buffer.alloc(0) }, progressEveryMs: 0 });
    const requester = { platform: 'slack' as const, requestId: 'r', userId: 'U1', serverId: 'T1', reply: { channelId: 'C1' } };
    const stats = job({ v: 1, op: 'stats', requester });
    const counted = await run(stats.j, signal);
    assert.equal('videos' in counted && counted.videos, 1);
    assert.deepEqual(stats.progress, [{ stage: 'counting' }]);
    const rm = job({ v: 1, op: 'remove', ref: 'a.mp4', requester });
    const res = await run(rm.j, signal);
    assert.equal('removed' in res && res.removed.length, 1);
    assert.equal(ops.videos.size, 0);
  });
});

describe('library answers, priorities and settings', () => {
  it('words each result', () => {
    assert.deepEqual(addedAnswer({ status: 'added', title: 'T', clips: 1, seconds: 10 }), { title: 'Added “T” to the library.', lines: ['1 clip added, 0:10 of footage.'] });
    const s = statsAnswer({ videos: 0, clips: 0, seconds: 0, flaggedSeconds: {}, skipped: 0 });
    assert.deepEqual(s.lines, ['Left out of montages: nothing.', 'Skipped at ingest: 0 videos.', 'No index built yet.']);
  });

  it('puts stats and remove first, an admin add next, a command-line batch last', () => {
    const requester = { platform: 'discord' as const, requestId: 'r', userId: 'u', serverId: 'g', reply: { channelId: 'c' } };
    assert.equal(jobOptions('library', { attempts: 2 }, { v: 1, op: 'stats', requester }).priority, undefined);
    assert.equal(jobOptions('library', { attempts: 2 }, { v: 1, op: 'ingest', batchId: 'b', source: { kind: 'url', url: 'https://x/v' }, requester }).priority, LIBRARY_PRIORITY.chatAdd);
    assert.equal(jobOptions('library', { attempts: 2 }, { v: 1, op: 'ingest', batchId: 'b', source: { kind: 'file', path: '/v' } }).priority, LIBRARY_PRIORITY.batch);
    assert.ok(LIBRARY_PRIORITY.chatAdd < LIBRARY_PRIORITY.batch);
  });

  it('validates SLACK_LIBRARY_ADMINS', () => {
    const slack = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    assert.deepEqual([...(botSettings(parseEnv({ ...slack, SLACK_LIBRARY_ADMINS: 'U123ABC, W0042 ,' })).slack?.libraryAdmins ?? [])], ['U123ABC', 'W0042']);
    assert.deepEqual([...(botSettings(parseEnv(slack)).slack?.libraryAdmins ?? [])], []);
    const problems = (e: Record<string, string>) => {
      try {
        botSettings(parseEnv(e));
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
    };
    assert.match(problems({ ...slack, SLACK_LIBRARY_ADMINS: 'U1OK2,@alice' }).join('\n'), /^SLACK_LIBRARY_ADMINS: not Slack user ids .*: @alice$/m);
    assert.match(problems({ DISCORD_TOKEN: 'd', SLACK_LIBRARY_ADMINS: 'U123' }).join('\n'), /SLACK_LIBRARY_ADMINS: set, but Slack is not configured/);
  });

  it('caps the Slack video the bot reads for "Add to clip library" (SLACK_LIBRARY_UPLOAD_MB, at most what Redis holds as one string)', () => {
    const slack = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    assert.equal(botSettings(parseEnv(slack)).slack?.maxVideoBytes, 200 * 2 ** 20, 'default 200 MiB');
    assert.equal(botSettings(parseEnv({ ...slack, SLACK_LIBRARY_UPLOAD_MB: '50' })).slack?.maxVideoBytes, 50 * 2 ** 20);
    for (const bad of ['0', '501', 'lots']) assert.throws(() => parseEnv({ ...slack, SLACK_LIBRARY_UPLOAD_MB: bad }), ConfigError, bad);
  });
});
