// Socket Mode: the real Bolt app and Socket Mode client against a fake Slack on loopback (Web API plus
// the WebSocket that apps.connections.open hands out): a /visualize envelope is acknowledged over the
// socket and answered through the Web API, like over HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCommands } from '../../commands/registry.js';
import { SlackBot } from '../../src/bots/slack/slack.adapter.js';
import { quietLog, startStack } from '../helpers/bot-fakes.js';
import type { Stack } from '../helpers/bot-fakes.js';
import { APP_TOKEN, BOT_TOKEN, startFakeSlack, TEAM_ID } from '../helpers/fake-slack.js';
import type { FakeSlack } from '../helpers/fake-slack.js';

describe('slack adapter in Socket Mode', { timeout: 60_000 }, () => {
  let s: Stack;
  let fake: FakeSlack;
  let bot: SlackBot;
  before(async () => {
    s = await startStack();
    await s.startWorker();
    fake = await startFakeSlack();
    bot = new SlackBot({
      botToken: BOT_TOKEN, appToken: APP_TOKEN, port: 0, core: s.core, registry: loadCommands(), log: quietLog,
      watchChannels: new Set(), uploadLimitBytes: 1000 * 1024 * 1024, maxAudioBytes: 1024 * 1024, maxVideoBytes: 1024 * 1024, apiUrl: fake.apiUrl, apiRetries: 0,
    });
    await bot.start();
    await fake.socketReady;
  });
  after(async () => {
    // answers still being given finish before the fake goes away
    await s.core.settled();
    await bot.stop();
    await fake.close();
    await s.close();
  });

  it('acknowledges a slash command envelope and answers it through the Web API', async () => {
    const from = fake.calls.length;
    const open = fake.calls.find((c) => c.method === 'apps.connections.open');
    assert.equal(open?.authorization, `Bearer ${APP_TOKEN}`, 'the socket is opened with the app-level token');
    const ack = await fake.sendEnvelope('slash_commands', {
      token: 'legacy', team_id: TEAM_ID, team_domain: 'music', channel_id: 'CSOCK', channel_name: 'general', user_id: 'U1', user_name: 'listener',
      command: '/visualize', text: 'https://example.org/song.mp3', api_app_id: 'A1', response_url: 'https://hooks.slack.com/commands/x', trigger_id: '5555.6666.sock',
    });
    assert.match(ack.envelope_id, /^env-/);
    const post = await fake.waitFor((c) => c.method === 'chat.postMessage', from);
    assert.equal(post.args.channel, 'CSOCK');
    const done = await fake.waitFor((c) => c.method === 'files.completeUploadExternal', from);
    assert.equal(done.args.channel_id, 'CSOCK');
    assert.equal((await s.queue.getJob('slack-5555.6666.sock'))?.data.userId, 'U1');
  });
});
