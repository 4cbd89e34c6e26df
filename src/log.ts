// One structured logger for the whole project. It writes to stderr so that `--json` output on stdout
// stays machine-readable; modules and jobs take a child (`logger.child({ module: 'ingest' })`).
import { pino } from 'pino';
import { env } from './config.js';

const SECRET_KEYS = ['token', 'secret', 'password', 'authorization', 'DISCORD_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'];

export const logger = pino(
  {
    level: env().LOG_LEVEL,
    base: undefined,
    redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)], censor: '[redacted]' },
  },
  pino.destination(2),
);

export type Logger = typeof logger;
export const childLogger = (bindings: Record<string, unknown>): Logger => logger.child(bindings);
