// Per-user and per-server concurrent jobs plus a per-user cooldown, kept in Redis so they hold across
// bot restarts. One Lua script checks and takes both slots atomically; entries carry an expiry so a
// slot leaked by a lost event frees itself.
import type { Redis } from 'ioredis';
import { UserError } from '../core/errors.js';
import type { Platform } from './jobs.types.js';
import { keys } from './queue.js';

export interface LimitConfig {
  userConcurrency: number;
  serverConcurrency: number;
  cooldownMs: number;
  /** a slot older than this is considered leaked */
  slotTtlMs: number;
}

// KEYS: user zset, server zset, cooldown key. ARGV: now, expiry, jobId, userMax, serverMax, cooldownMs
// Returns {0} on success, {1, n} user busy, {2, n} server busy, {3, ms} cooldown left.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local cd = redis.call('PTTL', KEYS[3])
if cd > 0 then return {3, cd} end
local u = redis.call('ZCARD', KEYS[1])
if u >= tonumber(ARGV[4]) then return {1, u} end
local s = redis.call('ZCARD', KEYS[2])
if s >= tonumber(ARGV[5]) then return {2, s} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2] - now)
redis.call('PEXPIRE', KEYS[2], ARGV[2] - now)
if tonumber(ARGV[6]) > 0 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[6]) end
return {0}
`;

export interface LimitSubject {
  platform: Platform;
  userId: string;
  serverId: string;
  jobId: string;
}

/** What the limited requests are called in refusals: visualize's videos, or the library's requests. */
export interface LimitWords {
  /** "a video" */
  one: string;
  /** "videos" */
  many: string;
}
const VIDEO_WORDS: LimitWords = { one: 'a video', many: 'videos' };

export class Limits {
  /**
   * `scope` keeps another kind of request in slots of its own ('' = visualize; 'library' = library admin),
   * so an admin's /library stats never waits for their own video, nor the other way round.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cfg: LimitConfig,
    private readonly scope = '',
    private readonly words: LimitWords = VIDEO_WORDS,
  ) {}

  /** Takes a user slot and a server slot for the job, or throws a UserError saying why not. */
  async acquire(s: LimitSubject): Promise<void> {
    const now = Date.now();
    const res = (await this.redis.eval(
      ACQUIRE,
      3,
      keys.inflightUser(this.prefix, s.platform, s.userId, this.scope),
      keys.inflightServer(this.prefix, s.platform, s.serverId, this.scope),
      keys.cooldown(this.prefix, s.platform, s.userId, this.scope),
      now,
      now + this.cfg.slotTtlMs,
      s.jobId,
      this.cfg.userConcurrency,
      this.cfg.serverConcurrency,
      this.cfg.cooldownMs,
    )) as number[];
    const code = res[0] ?? 0;
    if (code === 0) return;
    switch (code) {
      case 1:
        throw new UserError(
          'RATE_LIMITED',
          this.cfg.userConcurrency === 1
            ? `You already have ${this.words.one} in progress; wait for it to finish (or cancel it).`
            : `You already have ${this.cfg.userConcurrency} ${this.words.many} in progress; wait for one to finish.`,
        );
      case 2:
        throw new UserError('RATE_LIMITED', `This server already has several ${this.words.many} in progress; try again in a few minutes.`);
      default:
        throw new UserError('RATE_LIMITED', `Please wait ${Math.ceil((res[1] ?? 0) / 1000)} s before your next request.`);
    }
  }

  /** Frees the job's slots (the cooldown runs out on its own). */
  async release(s: LimitSubject): Promise<void> {
    await this.redis
      .multi()
      .zrem(keys.inflightUser(this.prefix, s.platform, s.userId, this.scope), s.jobId)
      .zrem(keys.inflightServer(this.prefix, s.platform, s.serverId, this.scope), s.jobId)
      .exec();
  }
}
