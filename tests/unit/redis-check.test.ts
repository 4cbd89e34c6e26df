// What the bot and workers say at start about the Redis they were given: an evicting policy and a
// Redis without persistence are warned about; CONFIG disabled (managed Redis) falls back to INFO.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { checkRedis } from '../../src/jobs/redis-check.js';

type Fake = Parameters<typeof checkRedis>[0];
const fake = (config: Record<string, string> | 'disabled', info: Record<string, string>): Fake =>
  ({
    config: async (_op: string, key: string) => {
      if (config === 'disabled') throw new Error("ERR unknown command 'CONFIG'");
      return [key, config[key] ?? ''];
    },
    info: async (section: string) => info[section] ?? '',
  }) as unknown as Fake;

describe('redis check', () => {
  it('accepts noeviction with persistence', async () => {
    assert.deepEqual(await checkRedis(fake({ 'maxmemory-policy': 'noeviction', save: '3600 1' }, { persistence: 'aof_enabled:0\r\n' })), []);
    assert.deepEqual(await checkRedis(fake({ 'maxmemory-policy': 'noeviction', save: '' }, { persistence: 'aof_enabled:1\r\n' })), []);
  });
  it('warns about an evicting policy and about no persistence', async () => {
    const w = await checkRedis(fake({ 'maxmemory-policy': 'allkeys-lru', save: '' }, { persistence: 'aof_enabled:0\r\n' }));
    assert.equal(w.length, 2);
    assert.match(w[0] ?? '', /allkeys-lru; BullMQ needs noeviction/);
    assert.match(w[1] ?? '', /no persistence/);
  });
  it('reads the policy from INFO where CONFIG is disabled, and says nothing it cannot know', async () => {
    const w = await checkRedis(fake('disabled', { memory: 'maxmemory_policy:volatile-lru\r\n', persistence: 'aof_enabled:0\r\n' }));
    assert.deepEqual(w.length, 1);
    assert.match(w[0] ?? '', /volatile-lru/);
  });
  it('reads the real Redis of the tests', async () => {
    const r = new Redis('redis://127.0.0.1:6379');
    try {
      const policy = ((await r.config('GET', 'maxmemory-policy')) as string[])[1];
      const w = await checkRedis(r);
      assert.equal(w.some((x) => /maxmemory-policy/.test(x)), policy !== 'noeviction');
    } finally {
      r.disconnect();
    }
  });
});
