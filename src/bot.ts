// `npm run bot`: the bot process. It only acknowledges, enqueues and renders; workers do the work.
// SIGTERM/SIGINT: stop taking requests, close connections. Jobs keep running on the workers, and their
// results are delivered after the next start (QueueEvents resumes from the last event handled).
import { Redis } from 'ioredis';
import { loadCommands } from '../commands/registry.js';
import { ConfigError, env } from './config.js';
import { childLogger } from './log.js';
import { botSettings } from './bots/bot.config.js';
import { LibraryCore, VisualizeCore } from './bots/core.js';
import { DiscordBot } from './bots/discord/discord.adapter.js';
import { startFileServer } from './bots/files.server.js';
import type { FilePublisher } from './bots/files.server.js';
import { SlackBot } from './bots/slack/slack.adapter.js';
import { checkRedis } from './jobs/redis-check.js';
import { consumerConnection, createLibraryEvents, createLibraryQueue, createVisualizeEvents, createVisualizeQueue, keys, LIBRARY_QUEUE, producerConnection } from './jobs/queue.js';

const log = childLogger({ module: 'bot' });

const timeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what} timed out`)), ms).unref())]);

async function main(): Promise<void> {
  const cfg = env();
  const settings = botSettings(cfg);
  const registry = loadCommands();
  log.info({ platforms: Object.keys(settings), prefix: cfg.QUEUE_PREFIX }, 'starting');

  const redis = new Redis(producerConnection(cfg.REDIS_URL));
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  try {
    await timeout(new Promise((resolve) => redis.once('ready', resolve)), 10_000, 'connecting to Redis');
  } catch {
    throw new Error(`Redis is unreachable at ${new URL(cfg.REDIS_URL).host} (REDIS_URL)`);
  }
  for (const w of await checkRedis(redis)) log.warn(w);
  const queue = createVisualizeQueue(producerConnection(cfg.REDIS_URL), cfg.QUEUE_PREFIX);
  queue.on('error', (err) => log.warn({ err: err.message }, 'queue error'));
  const lastEventId = (await redis.get(keys.lastEvent(cfg.QUEUE_PREFIX))) ?? undefined;
  const events = createVisualizeEvents(consumerConnection(cfg.REDIS_URL), cfg.QUEUE_PREFIX, lastEventId);
  events.on('error', (err) => log.warn({ err: err.message }, 'queue events error'));
  // /library jobs go to their own queue, answered through the same lifecycle
  const libraryQueue = createLibraryQueue(producerConnection(cfg.REDIS_URL), cfg.QUEUE_PREFIX);
  libraryQueue.on('error', (err) => log.warn({ err: err.message }, 'library queue error'));
  const libraryLastEvent = (await redis.get(keys.lastEvent(cfg.QUEUE_PREFIX, LIBRARY_QUEUE))) ?? undefined;
  const libraryEvents = createLibraryEvents(consumerConnection(cfg.REDIS_URL), cfg.QUEUE_PREFIX, libraryLastEvent);
  libraryEvents.on('error', (err) => log.warn({ err: err.message }, 'library queue events error'));

  let files: FilePublisher | undefined;
  if (cfg.PUBLIC_BASE_URL) {
    files = await startFileServer({ dir: cfg.FILES_DIR, port: cfg.FILES_PORT, publicBaseUrl: cfg.PUBLIC_BASE_URL, ttlMs: cfg.FILES_TTL_HOURS * 3600_000, log: log.child({ module: 'files' }) });
    log.info({ port: cfg.FILES_PORT, base: cfg.PUBLIC_BASE_URL }, 'serving large videos');
  }

  const core = new VisualizeCore({
    queue,
    events,
    redis,
    prefix: cfg.QUEUE_PREFIX,
    log,
    ...(files ? { files } : {}),
    config: {
      limits: {
        userConcurrency: cfg.BOT_USER_CONCURRENCY,
        serverConcurrency: cfg.BOT_SERVER_CONCURRENCY,
        cooldownMs: cfg.BOT_COOLDOWN_S * 1000,
        slotTtlMs: (cfg.BOT_JOB_TIMEOUT_S + 600) * 1000 * cfg.BOT_JOB_ATTEMPTS,
      },
      maxAudioBytes: cfg.BOT_MAX_AUDIO_MB * 1024 * 1024,
      maxQueue: cfg.BOT_MAX_QUEUE,
      attempts: cfg.BOT_JOB_ATTEMPTS,
      editEveryMs: 1500,
      workDir: `${cfg.FILES_DIR}/.work`,
      linkLargeVideos: cfg.BOT_LARGE_VIDEOS === 'link',
    },
  });
  const library = new LibraryCore({
    queue: libraryQueue,
    events: libraryEvents,
    redis,
    prefix: cfg.QUEUE_PREFIX,
    log: log.child({ module: 'library' }),
    config: {
      limits: {
        userConcurrency: cfg.LIBRARY_USER_CONCURRENCY,
        serverConcurrency: cfg.LIBRARY_SERVER_CONCURRENCY,
        cooldownMs: 0,
        // an ingest runs about as long as its video at two cores: slots of long videos free themselves late
        slotTtlMs: 6 * 3600_000,
      },
      // admins are few; the cap only guards Redis (a command-line batch waits in the same queue)
      maxQueue: 100_000,
      attempts: cfg.BOT_JOB_ATTEMPTS,
      editEveryMs: 1500,
    },
  });
  // adapters register how to answer their jobs after a restart (core.onRecover): no thunk, no cycle
  const discord = settings.discord
    ? new DiscordBot({ token: settings.discord.token, core, library, registry, log: log.child({ platform: 'discord' }), visualizeChannels: settings.discord.visualizeChannels })
    : undefined;
  const slack = settings.slack
    ? new SlackBot({ ...settings.slack, core, library, registry, log: log.child({ platform: 'slack' }), maxAudioBytes: cfg.BOT_MAX_AUDIO_MB * 1024 * 1024 })
    : undefined;
  await Promise.all([discord?.start(), slack?.start()]);
  log.info('ready');

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ sig }, 'shutting down; running jobs continue on the workers');
    void (async () => {
      core.close();
      library.close();
      await Promise.allSettled([discord?.stop(), slack?.stop()]);
      await Promise.allSettled([
        timeout(events.close(), 5000, 'events'),
        timeout(queue.close(), 5000, 'queue'),
        timeout(libraryEvents.close(), 5000, 'library events'),
        timeout(libraryQueue.close(), 5000, 'library queue'),
        files?.close(),
      ]);
      redis.disconnect();
      process.exit(0);
    })();
  };
  // a promise nobody awaited must not take Discord and Slack down with it: log it and keep serving
  process.on('unhandledRejection', (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'unhandled rejection'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // tokens never appear here: ConfigError lists key names and rules, not values
  if (err instanceof ConfigError) console.error(`clipmatch bot: ${err.message}\nSee .env.example and docs/bot.md.`);
  else log.fatal({ err: err instanceof Error ? err.message : String(err) }, 'bot failed to start');
  process.exit(1);
});
