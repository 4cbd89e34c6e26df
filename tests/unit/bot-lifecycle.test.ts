// The request lifecycle on in-memory ports: intake order (limits before any download, staged bytes
// removed on refusal), messages that follow the error, per-user DM buckets, exactly one final answer
// under faults (delivery retried until it succeeds, lost jobs answered by the watchdog), cancel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { visualizeCommand } from '../../commands/visualize.command.js';
import { RequestLifecycle } from '../../src/bots/lifecycle.js';
import type { IntakeRequest, ResultView } from '../../src/bots/lifecycle.js';
import { QueueUnavailableError } from '../../src/bots/lifecycle.ports.js';
import { MESSAGES } from '../../src/bots/render.js';
import type { VisualizeJobResult } from '../../src/jobs/jobs.types.js';
import { RecordingUI } from '../helpers/bot-fakes.js';
import { memoryPorts } from '../helpers/memory-ports.js';
import type { MemoryPorts } from '../helpers/memory-ports.js';

const log = pino({ level: 'silent' });
let n = 0;
const req = (over: Partial<IntakeRequest> = {}): IntakeRequest => ({
  platform: 'slack',
  requestId: `r${n++}`,
  userId: `u${n}`,
  serverId: 'T1',
  channelId: 'C1',
  source: { kind: 'url', url: 'https://example.org/a.mp3' },
  ...over,
});

function setup(opts: { perUser?: number; perServer?: number; maxQueue?: number; linkLargeVideos?: boolean } = {}) {
  const ports = memoryPorts(opts.perUser ?? 1, opts.perServer ?? 3);
  const lc = new RequestLifecycle(
    ports,
    {
      maxAudioBytes: 1000,
      maxQueue: opts.maxQueue ?? 10,
      editEveryMs: 0,
      workDir: join(tmpdir(), 'clipmatch-lifecycle-test'),
      deliveryAttempts: 3,
      deliveryRetryMs: 1,
      ...(opts.linkLargeVideos ? { linkLargeVideos: true } : {}),
    },
    log,
  );
  return { ports, lc };
}

/** A finished job's result, its files in the blob port. */
function result(ports: MemoryPorts, jobId: string): VisualizeJobResult {
  ports.blobs.blobs.set(`${jobId}:video`, Buffer.from('mp4'));
  ports.blobs.blobs.set(`${jobId}:sheet`, Buffer.from('png'));
  return {
    closest: [], farthest: [], at: 3, duration: 30,
    video: { key: `${jobId}:video`, name: 'v.mp4', bytes: 3, contentType: 'video/mp4' },
    sheet: { key: `${jobId}:sheet`, name: 's.png', bytes: 3, contentType: 'image/png' },
  };
}

/** A UI whose first `failures` result() calls throw, as a platform refusing an upload would. */
class FlakyUI extends RecordingUI {
  results = 0;
  constructor(private failures: number) {
    super();
  }
  override async result(view: ResultView): Promise<void> {
    this.results++;
    if (this.failures-- > 0) throw new Error('upload failed: 503');
    return super.result(view);
  }
}

describe('intake', () => {
  it('queues with what the worker needs to fit the reply, and ignores a redelivered event', async () => {
    const { ports, lc } = setup();
    const r = req({ seed: 7, beats: 'half' });
    const ui = new RecordingUI(10 * 1024 * 1024);
    assert.equal(await lc.submit(r, ui), 'queued');
    const data = ports.queue.jobs.get(`slack-${r.requestId}`)?.data;
    assert.equal(data?.uploadLimitBytes, 10 * 1024 * 1024);
    assert.equal(data?.fitUpload, true, 'no file links: render to fit');
    assert.equal(data?.seed, 7);
    assert.equal(data?.beats, 'half', 'the beat-grid correction travels with the job');
    assert.deepEqual(ui.events, [{ kind: 'status', view: { stage: 'queued', position: 1 } }]);
    assert.equal(await lc.submit(r, new RecordingUI()), 'duplicate');
  });

  it('checks the limits before downloading, and removes staged bytes when the request is refused later', async () => {
    const { ports, lc } = setup();
    let downloads = 0;
    const download = async () => {
      downloads++;
      return Buffer.from('song');
    };
    const file = { kind: 'attachment' as const, url: 'https://files.slack.com/x', name: 'a.mp3', bytes: 4, contentType: 'audio/mpeg' };
    // the user's slot is taken: refused before any download
    const first = req({ source: file, download });
    assert.equal(await lc.submit(first, new RecordingUI()), 'queued');
    assert.equal(downloads, 1);
    const blocked = new RecordingUI();
    assert.equal(await lc.submit(req({ userId: first.userId, source: file, download }), blocked), 'refused');
    assert.equal(downloads, 1, 'no download for a request over the limits');
    assert.match((blocked.events[0] as { message: string }).message, /already have a video/);
    // the queue fills between the early check and the add: the staged bytes go again
    const late = req({ source: file, download });
    ports.queue.add = async () => 'full';
    assert.equal(await lc.submit(late, new RecordingUI()), 'refused');
    assert.equal(downloads, 2);
    assert.equal(ports.blobs.blobs.has(ports.blobs.inputKey(`slack-${late.requestId}`)), false, 'staged input removed');
    assert.equal(ports.limits.inFlight(), 1, "the refused request's slot is free again");
  });

  it('refuses a download larger than the cap and keeps nothing', async () => {
    const { ports, lc } = setup();
    const ui = new RecordingUI();
    const r = req({ source: { kind: 'attachment', url: 'https://files.slack.com/x', name: 'a.mp3' }, download: async () => Buffer.alloc(2000) });
    assert.equal(await lc.submit(r, ui), 'refused');
    assert.match((ui.events[0] as { message: string }).message, /limit is/);
    assert.equal(ports.blobs.blobs.size, 0);
  });

  it('says "queue down" for a transport error and "something went wrong" for any other fault', async () => {
    const { ports, lc } = setup();
    ports.queue.failAdd = new QueueUnavailableError(new Error('connect ECONNREFUSED'));
    const a = new RecordingUI();
    await lc.submit(req(), a);
    assert.deepEqual(a.events, [{ kind: 'error', message: MESSAGES.queueDown }]);
    ports.queue.failAdd = new Error('ERR Error running script: bad argument');
    const b = new RecordingUI();
    await lc.submit(req(), b);
    assert.deepEqual(b.events, [{ kind: 'error', message: MESSAGES.fault }]);
    assert.equal(ports.limits.inFlight(), 0);
  });

  it('gives every direct-message user a bucket of their own', async () => {
    const { lc } = setup({ perServer: 1 });
    for (let i = 0; i < 4; i++) {
      const ui = new RecordingUI();
      assert.equal(await lc.submit(req({ serverId: 'dm' }), ui), 'queued', `DM user ${i + 1}`);
    }
    const inServer = [new RecordingUI(), new RecordingUI()];
    await lc.submit(req({ serverId: 'T9' }), inServer[0]!);
    await lc.submit(req({ serverId: 'T9' }), inServer[1]!);
    assert.match((inServer[1]!.events[0] as { message: string }).message, /server already has/);
  });

  it('makes one job per audio file of a message, each with its own id and source', () => {
    const files = ['a.mp3', 'b.mp3'].map((name) => ({ url: `https://files.slack.com/${name}`, name, contentType: 'audio/mpeg' }));
    const reqs = visualizeCommand.execute({ platform: 'slack', requestId: 'C1-1.2', userId: 'U', serverId: 'T', channelId: 'C1', files, claimed: true });
    assert.deepEqual(reqs.map((r) => [r.requestId, r.source?.kind === 'attachment' ? r.source.name : '']), [['C1-1.2-1', 'a.mp3'], ['C1-1.2-2', 'b.mp3']]);
    const one = visualizeCommand.execute({ platform: 'slack', requestId: 'C1-1.3', userId: 'U', serverId: 'T', channelId: 'C1', files: files.slice(0, 1), claimed: true });
    assert.deepEqual(one.map((r) => [r.requestId, r.claimed]), [['C1-1.3', true]]);
  });
});

describe('delivery', () => {
  it('retries a failed upload and marks the job done only once it went out', async () => {
    const { ports, lc } = setup();
    const r = req();
    const jobId = `slack-${r.requestId}`;
    const ui = new FlakyUI(1);
    await lc.submit(r, ui);
    await lc.completed(jobId, result(ports, jobId), '1-0');
    assert.equal(ports.claims.delivered.has(jobId), false, 'not done after a failed upload');
    await lc.settled();
    assert.equal((await ui.done).kind, 'result');
    assert.equal(ui.results, 2);
    assert.equal(ui.finals().length, 1);
    assert.ok(ports.claims.delivered.has(jobId));
    assert.equal(ports.blobs.blobs.size, 0, 'result files removed after delivery');
    assert.equal(ports.limits.inFlight(), 0);
    // a replayed completed event posts nothing more
    await lc.completed(jobId, result(ports, jobId));
    assert.equal(ui.results, 2);
    lc.close();
  });

  it('tells the user once when delivery keeps failing', async () => {
    const { ports, lc } = setup();
    const r = req();
    const jobId = `slack-${r.requestId}`;
    const ui = new FlakyUI(99);
    await lc.submit(r, ui);
    await lc.completed(jobId, result(ports, jobId));
    await lc.settled();
    assert.deepEqual(await ui.done, { kind: 'error', message: MESSAGES.deliveryFailed });
    assert.equal(ui.results, 3, 'three attempts');
    assert.ok(ports.claims.delivered.has(jobId));
    lc.close();
  });

  it('answers a job the queue lost and frees its slot (watchdog)', async () => {
    const { ports, lc } = setup();
    const r = req();
    const ui = new RecordingUI();
    await lc.submit(r, ui);
    ports.queue.jobs.clear(); // Redis restarted without persistence
    await lc.watchdog();
    assert.deepEqual(ui.finals(), [{ kind: 'error', message: MESSAGES.lost }]);
    assert.equal(ports.limits.inFlight(), 0);
    assert.equal(await lc.submit(req({ userId: r.userId }), new RecordingUI()), 'queued', 'the user can ask again');
  });

  it('answers a job that ended while its event was missed (watchdog)', async () => {
    const { ports, lc } = setup();
    const r = req();
    const jobId = `slack-${r.requestId}`;
    const ui = new RecordingUI();
    await lc.submit(r, ui);
    const job = ports.queue.jobs.get(jobId)!;
    ports.queue.jobs.set(jobId, { ...job, state: 'completed', result: result(ports, jobId) });
    await lc.watchdog();
    await lc.settled();
    assert.equal((await ui.done).kind, 'result');
    await lc.watchdog();
    assert.equal(ui.finals().length, 1);
  });

  it('removes a waiting job on Cancel by its requester only, and answers it once', async () => {
    const { ports, lc } = setup();
    const r = req();
    const jobId = `slack-${r.requestId}`;
    const ui = new RecordingUI();
    await lc.submit(r, ui);
    assert.equal(await lc.cancel(jobId, 'someone-else'), MESSAGES.notYours);
    assert.equal(await lc.cancel(jobId, r.userId), MESSAGES.cancelled);
    assert.deepEqual(ui.finals(), [{ kind: 'error', message: MESSAGES.cancelled }]);
    assert.equal(ports.queue.jobs.size, 0);
    assert.equal(await lc.cancel(jobId, r.userId), MESSAGES.alreadyDone);
  });

  it('fixes the beat of a delivered video: the same song and seed with the chosen correction; another take: a new seed, the same correction', async () => {
    const { ports, lc } = setup({ perUser: 5, perServer: 5 });
    const first = req({ beats: 'half', seed: 7 });
    const jobId = `slack-${first.requestId}`;
    await lc.submit(first, new RecordingUI());
    ports.queue.jobs.set(jobId, { ...ports.queue.jobs.get(jobId)!, state: 'completed', result: result(ports, jobId) });
    const take = async (beats?: 'offbeat' | 'tracked') => {
      const requestId = `r${n++}`;
      assert.equal(await lc.retake(jobId, first.userId, requestId, new RecordingUI(), undefined, beats), 'queued');
      return ports.queue.jobs.get(`slack-${requestId}`)!.data;
    };
    const offbeat = await take('offbeat');
    assert.equal(offbeat.beats, 'offbeat', 'the chosen correction instead of the first one');
    assert.equal(offbeat.seed, 7, 'the same seed: only where the cuts fall changes');
    assert.deepEqual(offbeat.source, first.source);
    const tracked = await take('tracked');
    assert.equal(tracked.beats, undefined, '"as tracked" takes the correction away');
    assert.equal(tracked.seed, 7);
    const again = await take();
    assert.equal(again.beats, 'half', 'Another take keeps the correction');
    assert.notEqual(again.seed, 7, 'with a new seed');
    const other = new RecordingUI();
    assert.equal(await lc.retake(jobId, 'someone-else', `r${n++}`, other, undefined, 'double'), 'refused');
    assert.deepEqual(other.events, [{ kind: 'error', message: MESSAGES.retakeNotYours }]);
  });

  it('answers a Cancel click with Redis down by saying so, and cancels nothing', async () => {
    const { ports, lc } = setup();
    const r = req();
    const jobId = `slack-${r.requestId}`;
    const ui = new RecordingUI();
    await lc.submit(r, ui);
    ports.queue.failGet = new QueueUnavailableError(new Error('connect ECONNREFUSED'));
    assert.equal(await lc.cancel(jobId, r.userId), MESSAGES.queueDown);
    ports.queue.failGet = new Error('ERR unexpected reply');
    assert.equal(await lc.cancel(jobId, r.userId), MESSAGES.fault);
    assert.equal(ports.queue.jobs.get(jobId)?.state, 'waiting', 'the job is still queued');
    assert.deepEqual(ui.finals(), [], 'no final answer was given');
    ports.queue.jobs.set(jobId, { ...ports.queue.jobs.get(jobId)!, state: 'active' });
    ports.queue.failCancel = new QueueUnavailableError(new Error('connect ECONNREFUSED'));
    assert.equal(await lc.cancel(jobId, r.userId), MESSAGES.queueDown);
    assert.deepEqual(ports.queue.cancelled, []);
    assert.equal(await lc.cancel(jobId, r.userId), MESSAGES.cancelling, 'with Redis back, the same click works');
    assert.deepEqual(ports.queue.cancelled, [jobId]);
  });
});
