// The typed job list's helpers: ids from platform ids, user errors across the queue, Redis URLs,
// the worker's stage mapping.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UnrecoverableError } from 'bullmq';
import { UserError } from '../../src/core/errors.js';
import { jobIdFor, jobOptions, redisOptions, toQueueError, userErrorFromReason } from '../../src/jobs/queue.js';
import { nextStage } from '../../src/jobs/stages.js';
import { SHEET_RESERVE_BYTES, videoBudgetMb } from '../../worker/visualize.processor.js';
import { BYTES_PER_MB, chooseEncoding, containerOverheadBytes } from '../../src/core/bitrate.js';

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
  it('looks service stage names up in one typed list, never moving backwards', () => {
    assert.equal(nextStage('decode', 'downloading'), 'analysing');
    assert.equal(nextStage('search', 'analysing'), 'matching');
    assert.equal(nextStage('render', 'matching'), 'rendering');
    assert.equal(nextStage('something else', 'matching'), 'matching');
    // a library index rebuilt mid-job reports index/embed after matching began: still matching
    assert.equal(nextStage('index', 'matching'), 'matching');
    assert.equal(nextStage('embed', 'matching'), 'matching');
    // free-form spellings are not guessed at
    assert.equal(nextStage('render montage', 'analysing'), 'analysing');
    assert.equal(nextStage('toString', 'analysing'), 'analysing');
  });
  it('renders to fit the reply: a 3-minute song under a 10 MiB limit fits with its sheet', () => {
    const limit = 10 * 1024 * 1024;
    const maxMb = videoBudgetMb({ uploadLimitBytes: limit }, 50);
    assert.equal(maxMb, (limit - SHEET_RESERVE_BYTES) / BYTES_PER_MB);
    const enc = chooseEncoding(180, maxMb, '16:9');
    // what the encoder is asked for, plus the mp4 overhead, plus the largest possible sheet
    const expected = ((enc.videoKbps + enc.audioKbps) * 1000 * 180) / 8 + containerOverheadBytes(180, enc.fps);
    assert.ok(expected <= enc.maxBytes, `${expected} <= ${enc.maxBytes}`);
    assert.ok(enc.maxBytes + SHEET_RESERVE_BYTES <= limit);
    // the operator links large videos: the worker's own cap; no limit reported: the worker's own cap
    assert.equal(videoBudgetMb({ uploadLimitBytes: limit, fitUpload: false }, 50), 50);
    assert.equal(videoBudgetMb({}, 50), 50);
    assert.equal(videoBudgetMb({ uploadLimitBytes: 1000 * 1024 * 1024 }, 50), 50);
  });
});
