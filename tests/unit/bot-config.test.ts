// The bot starts only with a complete configuration for each platform it is set up for, and lists
// every missing key at once; one platform alone is fine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseEnv as parseDotenv } from 'node:util';
import { ConfigError, parseEnv } from '../../src/config.js';
import { botSettings } from '../../src/bots/bot.config.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    botSettings(parseEnv(env));
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
};

describe('configuration from a .env file', () => {
  it('.env.example as shipped (its tokens left empty) is a valid configuration: an empty key is unset', () => {
    const file = parseDotenv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8'));
    assert.ok(Object.values(file).some((v) => v === ''), '.env.example leaves keys empty');
    const e = parseEnv(file);
    assert.equal(e.DISCORD_TOKEN, undefined);
    assert.equal(e.DATABASE_URL, undefined);
    // filled in for one platform, the others left empty: that platform alone
    assert.deepEqual(Object.keys(botSettings(parseEnv({ ...file, DISCORD_TOKEN: 'd' }))), ['discord']);
  });
  it('a key of only spaces takes its default; a bad value is still refused', () => {
    assert.equal(parseEnv({ CLIPMATCH_THREADS: '  ', QUEUE_PREFIX: '' }).QUEUE_PREFIX, 'clipmatch');
    assert.throws(() => parseEnv({ PUBLIC_BASE_URL: 'not a url' }), ConfigError);
  });
});

describe('bot settings', () => {
  it('runs with Discord only or Slack only', () => {
    assert.deepEqual(Object.keys(botSettings(parseEnv({ DISCORD_TOKEN: 'd' }))), ['discord']);
    assert.deepEqual(Object.keys(botSettings(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }))), ['slack']);
    assert.deepEqual(Object.keys(botSettings(parseEnv({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }))), ['slack']);
  });
  it('lists every missing key of the platforms configured', () => {
    const p = problems({ DISCORD_APP_ID: '1', SLACK_APP_TOKEN: 'xapp-1' });
    assert.equal(p.length, 2);
    assert.match(p[0] ?? '', /^DISCORD_TOKEN/);
    assert.match(p[1] ?? '', /^SLACK_BOT_TOKEN/);
    assert.match(problems({ SLACK_BOT_TOKEN: 'xoxb-1' })[0] ?? '', /^SLACK_SIGNING_SECRET/);
    assert.match(problems({})[0] ?? '', /no platform configured/);
  });
  it('never echoes token values', () => {
    const p = problems({ SLACK_BOT_TOKEN: 'not-a-bot-token-secret', SLACK_SIGNING_SECRET: 's' });
    assert.match(p[0] ?? '', /must be a bot token/);
    assert.ok(!p.join(' ').includes('not-a-bot-token-secret'));
  });
  it('parses channel lists', () => {
    const s = botSettings(parseEnv({ DISCORD_TOKEN: 'd', DISCORD_VISUALIZE_CHANNELS: ' 1, 2 ,' }));
    assert.deepEqual([...(s.discord?.visualizeChannels ?? [])], ['1', '2']);
  });
});
