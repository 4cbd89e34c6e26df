// Which platforms this bot process serves, decided from the validated env: a platform is on when any of
// its keys is set, and then every key it needs must be set. All problems are listed at once.
import { ConfigError } from '../config.js';
import type { Env } from '../config.js';

export interface DiscordSettings {
  token: string;
  appId?: string;
  visualizeChannels: Set<string>;
}

export interface SlackSettings {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  port: number;
  watchChannels: Set<string>;
  uploadLimitBytes: number;
  /** the largest Slack video the bot reads for /library (SLACK_LIBRARY_UPLOAD_MB) */
  maxVideoBytes: number;
  /** who may run /library (SLACK_LIBRARY_ADMINS) */
  libraryAdmins: Set<string>;
}

export interface BotSettings {
  discord?: DiscordSettings;
  slack?: SlackSettings;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const ids = (list: string) => new Set(list.split(',').map((s) => s.trim()).filter(Boolean));

export function botSettings(e: Env): BotSettings {
  const problems: string[] = [];
  const out: BotSettings = {};
  const discordOn = !!(e.DISCORD_TOKEN || e.DISCORD_APP_ID || e.DISCORD_GUILD_ID || e.DISCORD_VISUALIZE_CHANNELS);
  const slackOn = !!(e.SLACK_BOT_TOKEN || e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN || e.SLACK_WATCH_CHANNELS);
  if (!discordOn && !slackOn) {
    problems.push('no platform configured: set DISCORD_TOKEN (Discord) and/or SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN (Slack)');
  }
  if (discordOn) {
    if (!e.DISCORD_TOKEN) problems.push('DISCORD_TOKEN: required for Discord (Developer Portal -> Bot -> Reset Token)');
    else out.discord = { token: e.DISCORD_TOKEN, ...(e.DISCORD_APP_ID ? { appId: e.DISCORD_APP_ID } : {}), visualizeChannels: ids(e.DISCORD_VISUALIZE_CHANNELS) };
  }
  if (slackOn) {
    if (!e.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: required for Slack (OAuth & Permissions -> Bot User OAuth Token, xoxb-...)');
    else if (!e.SLACK_BOT_TOKEN.startsWith('xoxb-')) problems.push('SLACK_BOT_TOKEN: must be a bot token (xoxb-...)');
    if (!e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
      problems.push('SLACK_SIGNING_SECRET: required for Slack over HTTP (Basic Information -> Signing Secret), or set SLACK_APP_TOKEN for Socket Mode');
    }
    if (e.SLACK_APP_TOKEN && !e.SLACK_APP_TOKEN.startsWith('xapp-')) problems.push('SLACK_APP_TOKEN: must be an app-level token (xapp-...)');
    const badAdmins = [...ids(e.SLACK_LIBRARY_ADMINS)].filter((id) => !SLACK_USER_ID.test(id));
    if (badAdmins.length) problems.push(`SLACK_LIBRARY_ADMINS: not Slack user ids (U... or W..., from a profile's "Copy member ID"): ${badAdmins.join(', ')}`);
    if (e.SLACK_BOT_TOKEN && problems.length === 0) {
      out.slack = {
        botToken: e.SLACK_BOT_TOKEN,
        ...(e.SLACK_SIGNING_SECRET ? { signingSecret: e.SLACK_SIGNING_SECRET } : {}),
        ...(e.SLACK_APP_TOKEN ? { appToken: e.SLACK_APP_TOKEN } : {}),
        port: e.SLACK_PORT,
        watchChannels: ids(e.SLACK_WATCH_CHANNELS),
        uploadLimitBytes: e.SLACK_UPLOAD_LIMIT_MB * 1024 * 1024,
        maxVideoBytes: e.SLACK_LIBRARY_UPLOAD_MB * 1024 * 1024,
        libraryAdmins: ids(e.SLACK_LIBRARY_ADMINS),
      };
    }
  }
  if (!slackOn && e.SLACK_LIBRARY_ADMINS.trim()) problems.push('SLACK_LIBRARY_ADMINS: set, but Slack is not configured (SLACK_BOT_TOKEN)');
  if (problems.length) throw new ConfigError(problems);
  return out;
}
