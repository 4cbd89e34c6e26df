// The fakes' request checks catch what the platforms would refuse: a wrong Discord body, a Slack call with
// a missing or unknown argument. (Their acceptance of what the bot sends is shown by the bot suites.)
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { discordProblems, slackProblems } from '../helpers/spec-validator.js';

describe('platform API descriptions', { timeout: 30_000 }, () => {
  it('checks Discord bodies against the operation schema', () => {
    assert.deepEqual(discordProblems('POST', '/interactions/1/tok/callback', { type: 5 }), []);
    assert.notDeepEqual(discordProblems('POST', '/interactions/1/tok/callback', { type: 'deferred' }), []);
    assert.deepEqual(discordProblems('PATCH', '/webhooks/1/tok/messages/@original', { content: 'hi', components: [] }), []);
    assert.notDeepEqual(discordProblems('PATCH', '/webhooks/1/tok/messages/@original', { embeds: [{ title: 5 }] }), []);
    assert.notDeepEqual(discordProblems('POST', '/channels/1/messages', { content: 'x'.repeat(5000) }), [], 'content over 4000 characters');
    assert.notDeepEqual(discordProblems('PUT', '/no/such/route', {}), []);
  });
  it('checks Slack arguments against the method parameters', () => {
    assert.deepEqual(slackProblems('chat.postMessage', { channel: 'C1', text: 'x', team_id: 'T1' }), []);
    assert.deepEqual(slackProblems('chat.update', { channel: 'C1', text: 'x' }), ['chat.update: missing required ts']);
    assert.deepEqual(slackProblems('chat.postEphemeral', { channel: 'C1', user: 'U1', text: 'x', colour: 'red' }), ['chat.postEphemeral: unknown argument colour']);
    assert.deepEqual(slackProblems('files.getUploadURLExternal', { filename: 'a.mp4', length: 'ten' }), ['files.getUploadURLExternal: length must be integer, got "ten"']);
    assert.deepEqual(slackProblems('chat.update', { channel: 'C1', ts: '1.2', blocks: '{"type":"section"}' }), ['chat.update: blocks must be a JSON array']);
  });
});
