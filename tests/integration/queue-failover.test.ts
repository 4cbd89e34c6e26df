// A worker process killed mid-job leaves a stalled job that another worker completes, and the user gets
// exactly one answer. Also: with Redis unreachable the user hears so at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { VisualizeCore } from '../../src/bots/core.js';
import { consumerConnection, createVisualizeEvents, createVisualizeQueue, producerConnection } from '../../src/jobs/queue.js';
import { quietLog, RecordingUI, startStack, testCoreConfig } from '../helpers/bot-fakes.js';
import type { Stack } from '../helpers/bot-fakes.js';

describe('queue failover', { timeout: 60_000 }, () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(async () => {
    await s.close();
  });

  it('completes a killed worker\'s job on another worker with exactly one reply', async () => {
    // the doomed worker runs in its own process so it can be SIGKILLed mid-job
    const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/doomed-worker.ts', s.prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const saw = (word: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => out.includes(word) && resolve();
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          check();
        });
        child.once('exit', (code) => reject(new Error(`doomed worker exited early (${code}): ${out}`)));
        check();
      });
    await saw('READY');

    const ui = new RecordingUI();
    const req = { platform: 'slack' as const, requestId: `kill${Date.now()}`, userId: 'u1', serverId: 'T1', channelId: 'C1',
      source: { kind: 'url' as const, url: 'https://example.org/a.mp3' } };
    assert.equal(await s.core.submit(req, ui), 'queued');
    await saw('RENDERING');
    child.kill('SIGKILL');
    await once(child, 'exit');

    // the survivor finds the job stalled once its lock lapses, and completes it
    const survivor = await s.startWorker();
    const final = await ui.done;
    assert.equal(final.kind, 'result');
    await survivor.close();
    const job = await s.queue.getJob(`slack-${req.requestId}`);
    assert.equal(await job?.getState(), 'completed');
    assert.equal(ui.finals().length, 1);
  });

  it('tells the user at once when Redis is unreachable', async () => {
    const down = 'redis://127.0.0.1:1';
    // raw clients, so teardown can drop them: BullMQ's close() waits for a connection that never comes
    const clients = [producerConnection(down), producerConnection(down), consumerConnection(down)].map((o) => {
      const c = new Redis({ ...o, retryStrategy: () => null });
      c.on('error', () => undefined);
      return c;
    });
    const [redis, queueConn, eventsConn] = clients as [Redis, Redis, Redis];
    const queue = createVisualizeQueue(queueConn, 'unreachable');
    queue.on('error', () => undefined);
    const events = createVisualizeEvents(eventsConn, 'unreachable');
    events.on('error', () => undefined);
    const core = new VisualizeCore({ queue, events, redis, prefix: 'unreachable', config: testCoreConfig(), log: quietLog });
    const ui = new RecordingUI();
    const t0 = Date.now();
    assert.equal(await core.submit({ platform: 'discord', requestId: '1', userId: 'u', serverId: 'g', channelId: 'c',
      source: { kind: 'url', url: 'https://example.org/a.mp3' } }, ui), 'refused');
    assert.deepEqual(ui.events, [{ kind: 'error', message: "The video queue can't be reached right now (a server problem on our side). Please try again later." }]);
    assert.ok(Date.now() - t0 < 5000, 'answered within 5 s');
    clients.forEach((c) => c.disconnect());
  });
});
