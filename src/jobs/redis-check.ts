// What BullMQ needs from Redis, checked at start by the bot and every worker: `maxmemory-policy
// noeviction` (an evicted job key is a job lost without a trace) and persistence (AOF or RDB snapshots;
// without either a Redis restart drops every queued and running job). Problems are warnings, not
// refusals: managed Redis may hide CONFIG, and a test Redis may run without persistence on purpose.
import type { Redis } from 'ioredis';

export async function checkRedis(redis: Pick<Redis, 'config' | 'info'>): Promise<string[]> {
  const warnings: string[] = [];
  try {
    const policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
    if (policy !== undefined && policy !== 'noeviction') {
      warnings.push(`Redis maxmemory-policy is ${policy}; BullMQ needs noeviction (jobs can vanish otherwise). See docs/bot.md "Production Redis".`);
    }
  } catch {
    // CONFIG may be disabled (managed Redis): fall back to INFO, which reports the policy too
    const mem = await redis.info('memory').catch(() => '');
    const policy = /maxmemory_policy:(\S+)/.exec(mem)?.[1];
    if (policy && policy !== 'noeviction') warnings.push(`Redis maxmemory-policy is ${policy}; BullMQ needs noeviction. See docs/bot.md "Production Redis".`);
  }
  const info = await redis.info('persistence').catch(() => '');
  const aof = /aof_enabled:(\d)/.exec(info)?.[1];
  let save: string | undefined;
  try {
    save = ((await redis.config('GET', 'save')) as string[])[1];
  } catch {
    save = undefined; // unknown: say nothing about RDB
  }
  if (aof === '0' && save === '') {
    warnings.push('Redis has no persistence (appendonly no, save ""): a Redis restart loses every queued and running job. See docs/bot.md "Production Redis".');
  }
  return warnings;
}
