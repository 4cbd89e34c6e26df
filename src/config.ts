// The one place that reads process.env. Every key is validated once, at start, and every bad key is
// listed together so an operator fixes them in one pass. `.env.example` documents each key.
import { z } from 'zod';

const optionalString = z.string().trim().min(1).optional();
const intFromEnv = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CLIPMATCH_LIBRARY: z.string().default('data/library'),
  CLIPMATCH_MODEL: z.string().optional(),
  CLIPMATCH_THREADS: intFromEnv(0),
  // Inference engine (docs/gpu.md): auto = onnxruntime when it loads, else tfjs; ORT providers tried in order.
  CLIPMATCH_INFERENCE: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
  CLIPMATCH_ORT_PROVIDERS: z.string().default('tensorrt,cuda,cpu'),
  CLIPMATCH_CACHE_DIR: z.string().optional(),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  // The shared catalogue (PostgreSQL) for workers on many hosts; unset: SQLite in the library folder.
  DATABASE_URL: optionalString,
  CLIPMATCH_DB_SCHEMA: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain identifier').default('clipmatch'),
  // Which queues `npm run worker` serves: visualize, library (ingest, stats, remove, index), or both.
  WORKER_QUEUES: z.string().regex(/^(visualize|library)(,(visualize|library))*$/, 'visualize, library or visualize,library').default('visualize,library'),
  // Niceness of the library worker process: ingest never slows renders down (0 = same as renders).
  LIBRARY_NICE: z.coerce.number().int().min(0).max(19).default(10),
  // How long a library job's lock lasts before another worker takes the job over (a killed worker's).
  LIBRARY_LOCK_MS: intFromEnv(30_000, 1000),
  QUEUE_PREFIX: z.string().min(1).default('clipmatch'),
  DISCORD_TOKEN: optionalString,
  DISCORD_APP_ID: optionalString,
  DISCORD_GUILD_ID: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_PORT: intFromEnv(3000, 1),
  // Bot and worker limits (docs/bot.md explains each).
  BOT_MAX_AUDIO_MB: intFromEnv(25, 1),
  BOT_MAX_AUDIO_SECONDS: intFromEnv(600, 10),
  BOT_FETCH_TIMEOUT_S: intFromEnv(60, 1),
  BOT_JOB_TIMEOUT_S: intFromEnv(900, 10),
  BOT_USER_CONCURRENCY: intFromEnv(1, 1),
  BOT_SERVER_CONCURRENCY: intFromEnv(3, 1),
  BOT_COOLDOWN_S: intFromEnv(30),
  BOT_MAX_QUEUE: intFromEnv(50, 1),
  BOT_VIDEO_MAX_MB: intFromEnv(50, 1),
  // fit: every video is rendered to fit the channel's upload limit; link: up to BOT_VIDEO_MAX_MB, linked when larger (needs PUBLIC_BASE_URL)
  BOT_LARGE_VIDEOS: z.enum(['fit', 'link']).default('fit'),
  BOT_JOB_ATTEMPTS: intFromEnv(3, 1),
  WORKER_CONCURRENCY: intFromEnv(1, 1),
  // Library jobs (ingest, stats, remove) one worker process runs at once, apart from visualize jobs.
  LIBRARY_CONCURRENCY: intFromEnv(1, 1),
  // /library requests at once per admin and per server (docs/bot.md "Library admin").
  LIBRARY_USER_CONCURRENCY: intFromEnv(2, 1),
  LIBRARY_SERVER_CONCURRENCY: intFromEnv(4, 1),
  // Slack user ids (comma-separated) allowed to run /library; Discord uses the Manage Server permission.
  SLACK_LIBRARY_ADMINS: z.string().default(''),
  // Large videos are served by the bot over HTTP at PUBLIC_BASE_URL (unset = no links, too-large videos are reported).
  PUBLIC_BASE_URL: z.string().url().optional(),
  FILES_PORT: intFromEnv(8080, 1),
  FILES_DIR: z.string().default('data/bot-files'),
  FILES_TTL_HOURS: intFromEnv(24, 1),
  DISCORD_VISUALIZE_CHANNELS: z.string().default(''),
  SLACK_WATCH_CHANNELS: z.string().default(''),
  SLACK_UPLOAD_LIMIT_MB: intFromEnv(1000, 1),
  // a Slack video for /library waits in Redis as one string until the worker takes it (Redis' cap: 512 MB)
  SLACK_LIBRARY_UPLOAD_MB: z.coerce.number().int().min(1).max(500).default(200),
  YTDLP_PATH: z.string().default('yt-dlp'),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an environment (process.env by default) and lists every bad key at once. A key set to
 * nothing (`DISCORD_TOKEN=` as .env.example has it, or only spaces) counts as unset: its default applies. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const given = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const res = envSchema.safeParse(given);
  if (!res.success) {
    throw new ConfigError(res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return res.data;
}

let cached: Env | undefined;
/** The validated environment of this process, parsed on first use. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}
