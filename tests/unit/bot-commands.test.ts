// Commands are data: the registry refuses malformed ones, sources are picked the same way on every
// platform, and the Discord JSON and the Slack manifest agree with the definitions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CommandRegistry, loadCommands } from '../../commands/registry.js';
import { pickSource, visualizeCommand } from '../../commands/visualize.command.js';
import { toDiscordCommands } from '../../src/bots/discord/discord.commands.js';

describe('command registry', () => {
  it('loads /visualize with its message action', () => {
    const r = loadCommands();
    assert.equal(r.get('visualize'), visualizeCommand);
    assert.equal(r.action('visualize_message'), visualizeCommand);
    assert.equal(r.action('Visualize'), visualizeCommand);
  });

  it('rejects malformed commands, naming the problem', () => {
    assert.throws(() => new CommandRegistry([{ definition: { name: 'Bad Name', description: 'x', options: [] }, execute: () => 0 }]), /definition\.name/);
    assert.throws(() => new CommandRegistry([{ definition: { name: 'ok', description: '', options: [] }, execute: () => 0 }]), /definition\.description/);
    assert.throws(() => new CommandRegistry([{ definition: { name: 'ok', description: 'd', options: [] } }]), /execute/);
    assert.throws(() => new CommandRegistry([visualizeCommand, visualizeCommand]), /defined twice/);
  });
});

describe('pickSource', () => {
  it('prefers an audio attachment, then a link, and unwraps Slack <links>', () => {
    const file = { url: 'https://cdn/x.mp3', name: 'x.mp3', bytes: 5, contentType: 'audio/mpeg' };
    assert.deepEqual(pickSource({ files: [file], url: 'https://a/b' }), { kind: 'attachment', ...file });
    assert.deepEqual(pickSource({ files: [], url: ' <https://a/b.mp3> ' }), { kind: 'url', url: 'https://a/b.mp3' });
    assert.deepEqual(pickSource({ files: [{ url: 'k', name: 's.mp3', bytes: 3, blobKey: 'p:blob' }] }), { kind: 'blob', key: 'p:blob', name: 's.mp3', bytes: 3 });
    assert.equal(pickSource({ files: [] }), undefined);
  });
  it('passes the beat-grid correction on to the request', () => {
    const input = { platform: 'discord' as const, requestId: 'r', userId: 'u', serverId: 's', channelId: 'c', files: [], url: 'https://a/b.mp3', beats: 'offbeat' as const };
    const beatsOf = (r: ReturnType<typeof visualizeCommand.execute>[number] | undefined) => (r && 'beats' in r ? r.beats : undefined);
    assert.equal(beatsOf(visualizeCommand.execute(input)[0]), 'offbeat');
    assert.equal(beatsOf(visualizeCommand.execute({ ...input, beats: undefined })[0]), undefined);
  });
  it('passes a lone non-audio file on so the core can say why it is refused', () => {
    assert.equal(pickSource({ files: [{ url: 'u', name: 'notes.txt', contentType: 'text/plain' }] })?.kind, 'attachment');
  });
});

describe('platform registrations', () => {
  it('builds a slash command and a message context menu for Discord', () => {
    const [slash, menu] = toDiscordCommands(loadCommands());
    assert.equal(slash?.type, 1);
    assert.deepEqual((slash as { options: { name: string; type: number }[] }).options.map((o) => [o.name, o.type]), [['audio', 11], ['url', 3], ['aspect', 3], ['beats', 3]]);
    const beats = (slash as { options: { name: string; choices?: { name: string; value: string }[] }[] }).options.find((o) => o.name === 'beats');
    assert.deepEqual(beats?.choices?.map((c) => c.value), ['half', 'double', 'offbeat', 'half-offbeat']);
    assert.deepEqual(menu, { type: 3, name: 'Visualize' });
  });
  it('matches the Slack manifest', () => {
    const m = JSON.parse(readFileSync('slack/manifest.json', 'utf8')) as {
      features: { slash_commands: { command: string }[]; shortcuts: { callback_id: string; type: string }[] };
      oauth_config: { scopes: { bot: string[] } };
    };
    assert.deepEqual(m.features.slash_commands.map((c) => c.command), loadCommands().all().map((c) => `/${c.definition.name}`));
    const actions = loadCommands().all().flatMap((c) => (c.definition.messageAction ? [['message', c.definition.messageAction.callbackId]] : []));
    assert.deepEqual(m.features.shortcuts.map((s) => [s.type, s.callback_id]), actions);
    assert.deepEqual(actions, [['message', 'visualize_message'], ['message', 'clipmatch_library_add']]);
    for (const scope of ['commands', 'chat:write', 'files:write', 'files:read']) assert.ok(m.oauth_config.scopes.bot.includes(scope), scope);
  });
});
