// A request through the real Redis queue to a worker and back, with the real processor code around a
// fake render: progress, result files, user errors not retried, faults retried, limits, duplicates, cancel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/core/errors.js';
import type { VisualizeRequest } from '../../src/bots/core.js';
import { abortableDelay, fakeRender, RecordingUI, startStack } from '../helpers/bot-fakes.js';
import type { Stack } from '../helpers/bot-fakes.js';

let n = 0;
const request = (over: Partial<VisualizeRequest> = {}): VisualizeRequest => ({
  platform: 'discord',
  requestId: `${Date.now()}${n++}`,
  userId: `u${n}`,
  serverId: 'g1',
  channelId: 'c1',
  source: { kind: 'url', url: 'https://example.org/song.mp3' },
  ...over,
});

describe('visualize queue', { timeout: 60_000 }, () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(async () => {
    await s.close();
  });

  it('goes through a worker and back with progress and the result files', async (t) => {
    const w = await s.startWorker();
    t.after(() => w.close());
    const ui = new RecordingUI();
    assert.equal(await s.core.submit(request(), ui), 'queued');
    const final = await ui.done;
    assert.equal(final.kind, 'result');
    if (final.kind !== 'result') return;
    assert.deepEqual(final.view.closest.map((h) => h.clipId), ['clip1', 'clip2', 'clip3']);
    assert.deepEqual(final.view.farthest.map((h) => h.clipId), ['clip7', 'clip8', 'clip9']);
    assert.match(final.videoBytes?.toString() ?? '', /^fake-mp4-/);
    assert.equal(final.view.at, 12);
    // edits are throttled, so stages may be skipped, but they only move forward
    const order = ['queued', 'downloading', 'analysing', 'matching', 'rendering', 'uploading'];
    const stages = ui.events.flatMap((e) => (e.kind === 'status' ? [order.indexOf(e.view.stage)] : []));
    assert.deepEqual(stages, [...stages].sort((a, b) => a - b), `stages: ${stages.join(',')}`);
    assert.equal(stages.at(-1), order.indexOf('uploading'));
    assert.equal(ui.finals().length, 1);
  });

  it('passes the seed of another take, the beat correction and the duration cap to the render', async (t) => {
    const seen: { seed?: number; maxSeconds?: number; grid?: unknown }[] = [];
    const w = await s.startWorker({ render: fakeRender({ onStart: (o) => seen.push({ seed: o.seed, maxSeconds: o.maxSeconds, grid: o.grid }) }) });
    t.after(() => w.close());
    const ui = new RecordingUI();
    await s.core.submit(request({ seed: 42, beats: 'half-offbeat' }), ui);
    assert.equal((await ui.done).kind, 'result');
    assert.deepEqual(seen, [{ seed: 42, maxSeconds: 600, grid: { level: 'half', phase: 0.5 } }]);
  });

  it('answers a user error once, without retrying it', async (t) => {
    let calls = 0;
    const w = await s.startWorker({
      fetchAudio: async () => {
        calls++;
        throw new UserError('TOO_LONG', 'That song is 900 s long; the limit is 600 s.');
      },
    });
    t.after(() => w.close());
    const ui = new RecordingUI();
    await s.core.submit(request(), ui);
    const final = await ui.done;
    assert.deepEqual(final, { kind: 'error', message: 'That song is 900 s long; the limit is 600 s.' });
    assert.equal(calls, 1);
  });

  it('retries a transient fault and answers once', async (t) => {
    let calls = 0;
    const render = fakeRender();
    const w = await s.startWorker({
      render: async (o, p) => {
        if (++calls === 1) throw new Error('ECONNRESET while reading the library');
        return render(o, p);
      },
    });
    t.after(() => w.close());
    const ui = new RecordingUI();
    await s.core.submit(request(), ui);
    assert.equal((await ui.done).kind, 'result');
    assert.equal(calls, 2);
    assert.equal(ui.finals().length, 1);
  });

  it('ignores a redelivered event with the same id', async (t) => {
    const req = request();
    const a = new RecordingUI();
    const b = new RecordingUI();
    assert.equal(await s.core.submit(req, a), 'queued');
    assert.equal(await s.core.submit(req, b), 'duplicate');
    assert.equal(b.events.length, 0);
    const w = await s.startWorker();
    t.after(() => w.close());
    assert.equal((await a.done).kind, 'result');
  });

  it('refuses bad links and oversize attachments at once', async () => {
    const ui1 = new RecordingUI();
    await s.core.submit(request({ source: { kind: 'url', url: 'file:///etc/passwd' } }), ui1);
    assert.deepEqual(ui1.events, [{ kind: 'error', message: 'Only http(s) links are accepted.' }]);
    const ui2 = new RecordingUI();
    const big = { kind: 'attachment' as const, url: 'https://cdn.example/x.mp3', name: 'x.mp3', bytes: 50 * 1024 * 1024 };
    await s.core.submit(request({ source: big }), ui2);
    assert.match((ui2.events[0] as { message: string }).message, /limit is 1\.0 MB/);
  });

  it('limits a user to one job at a time, and a Cancel removes a waiting job', async (t) => {
    const user = 'same-user';
    const first = new RecordingUI();
    const second = new RecordingUI();
    // a paused worker: the first job waits in the queue
    const w = await s.startWorker();
    t.after(() => w.close());
    await w.worker.pause();
    const req1 = request({ userId: user });
    await s.core.submit(req1, first);
    await s.core.submit(request({ userId: user }), second);
    assert.deepEqual(first.events, [{ kind: 'status', view: { stage: 'queued', position: 1 } }]);
    assert.equal(second.events[0]?.kind, 'error');
    assert.match((second.events[0] as { message: string }).message, /already have a video in progress/);
    assert.equal(await s.core.cancel(`discord-${req1.requestId}`, 'someone-else'), 'Only the person who asked for this video can cancel it.');
    assert.equal(await s.core.cancel(`discord-${req1.requestId}`, user), 'Cancelled.');
    assert.deepEqual(await first.done, { kind: 'error', message: 'Cancelled.' });
    // the slot is free again
    const third = new RecordingUI();
    assert.equal(await s.core.submit(request({ userId: user }), third), 'queued');
    w.worker.resume();
    assert.equal((await third.done).kind, 'result');
  });

  it('cancels a running job through the worker', async (t) => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const w = await s.startWorker({
      render: async (o) => {
        started();
        await abortableDelay(60_000, o.signal);
        throw new Error('not cancelled');
      },
    });
    t.after(() => w.close());
    const ui = new RecordingUI();
    const req = request();
    await s.core.submit(req, ui);
    await running;
    assert.equal(await s.core.cancel(`discord-${req.requestId}`, req.userId), 'Cancelling…');
    assert.deepEqual(await ui.done, { kind: 'error', message: 'Cancelled.' });
  });

  it('answers "busy" when the queue is full', async () => {
    const busy = await startStack({ core: { maxQueue: 1, limits: { userConcurrency: 5, serverConcurrency: 5, cooldownMs: 0, slotTtlMs: 60_000 } } });
    try {
      const a = new RecordingUI();
      const b = new RecordingUI();
      await busy.core.submit(request(), a);
      await busy.core.submit(request(), b);
      assert.deepEqual(b.events, [{ kind: 'error', message: 'The bot is busy, try again in a few minutes.' }]);
    } finally {
      await busy.close();
    }
  });

  it('holds the queue cap under 20 concurrent requests: the check and the add are one step', async () => {
    const capped = await startStack({ core: { maxQueue: 5, limits: { userConcurrency: 50, serverConcurrency: 50, cooldownMs: 0, slotTtlMs: 60_000 } } });
    try {
      const uis = Array.from({ length: 20 }, () => new RecordingUI());
      const outcomes = await Promise.all(uis.map((ui) => capped.core.submit(request(), ui)));
      assert.equal(outcomes.filter((o) => o === 'queued').length, 5, outcomes.join(','));
      assert.equal(outcomes.filter((o) => o === 'refused').length, 15);
      const counts = await capped.queue.getJobCounts('waiting', 'delayed', 'prioritized', 'paused');
      assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 5);
      for (const ui of uis.filter((_, i) => outcomes[i] === 'refused')) {
        assert.deepEqual(ui.events, [{ kind: 'error', message: 'The bot is busy, try again in a few minutes.' }]);
      }
    } finally {
      await capped.close();
    }
  });

  it('tells the user when the queue lost their job, and frees the slot (watchdog)', async (t) => {
    const user = 'lost-user';
    const ui = new RecordingUI();
    const req = request({ userId: user });
    assert.equal(await s.core.submit(req, ui), 'queued');
    // what a Redis restart without persistence does to a job: gone
    await (await s.queue.getJob(`discord-${req.requestId}`))?.remove();
    await s.core.watchdog();
    assert.deepEqual(await ui.done, { kind: 'error', message: 'Your request was lost on our side (a server restart). Please send it again.' });
    const again = new RecordingUI();
    const w = await s.startWorker();
    t.after(() => w.close());
    assert.equal(await s.core.submit(request({ userId: user }), again), 'queued', 'the slot is free');
    assert.equal((await again.done).kind, 'result');
  });
});
