// The typed job list's helpers: ids from platform ids, user errors across the queue, Redis URLs,
// the worker's stage mapping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { UserError } from '../../src/core/errors.js';
import { jobIdFor, jobOptions, redisOptions, toQueueError, userErrorFromReason } from '../../src/jobs/queue.js';
import { stageOf } from '../../worker/visualize.processor.js';

describe('jobs', () => {
  it('derives job ids from platform ids and refuses odd ones', () => {
    assert.equal(jobIdFor('discord', '1234567890'), 'discord-1234567890');
    assert.equal(jobIdFor('slack', 'C1-1700000000.000100'), 'slack-C1-1700000000.000100');
    assert.throws(() => jobIdFor('slack', 'a:b'));
  });
  it('carries a UserError through the queue as an unrecoverable failure', () => {
    const q = toQueueError(new UserError('TOO_LONG', 'That song is too long: 12:00 > 10:00.'));
    assert.ok(q instanceof UnrecoverableError);
    const back = userErrorFromReason((q as Error).message);
    assert.equal(back?.code, 'TOO_LONG');
    assert.equal(back?.message, 'That song is too long: 12:00 > 10:00.');
    const fault = new Error('ECONNRESET');
    assert.equal(toQueueError(fault), fault);
    assert.equal(userErrorFromReason('ECONNRESET'), undefined);
  });
  it('sets retries with backoff in one place', () => {
    assert.deepEqual(jobOptions('visualize', { attempts: 3 }).backoff, { type: 'exponential', delay: 5000 });
    assert.equal(jobOptions('visualize', { attempts: 4 }).attempts, 4);
  });
  it('reads Redis URLs', () => {
    assert.deepEqual(redisOptions('redis://u:p%40ss@h:6390/2'), { host: 'h', port: 6390, username: 'u', password: 'p@ss', db: 2 });
    assert.deepEqual(redisOptions('rediss://h'), { host: 'h', port: 6379, tls: {} });
  });
  it('maps service stage names onto the stages people see', () => {
    assert.equal(stageOf('decode song', 'downloading'), 'analysing');
    assert.equal(stageOf('match', 'analysing'), 'matching');
    assert.equal(stageOf('render montage', 'matching'), 'rendering');
    assert.equal(stageOf('something else', 'matching'), 'matching');
  });
});
