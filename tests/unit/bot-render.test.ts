// Words and throttled edits shared by both platforms.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { beatChoices, clock, hitLine, parseBeatChoice, resultLines, statusText } from '../../src/bots/render.js';
import { Tracker } from '../../src/bots/tracker.js';
import type { ReplyUI } from '../../src/bots/core.js';
import type { StatusView } from '../../src/bots/render.js';

describe('render', () => {
  it('formats stages, positions and clock times', () => {
    assert.equal(statusText({ stage: 'queued', position: 3 }), 'Queued (position 3)…');
    assert.equal(statusText({ stage: 'rendering', fraction: 0.456 }), 'Rendering the video 46%…');
    assert.equal(clock(83.9), '1:23');
    assert.equal(clock(3725), '1:02:05');
    assert.equal(hitLine({ clipId: 'c', videoId: 'v', source: 'Live at X', start: 70, distance: 0.25 }, 0), '1. Live at X @ 1:10 (distance 0.250)');
    const r = resultLines({ closest: [], farthest: [], at: 12, duration: 95 });
    assert.equal(r.title, 'Your video is ready: 1:35 long, matched on the song at 0:12.');
    assert.equal(resultLines({ closest: [], farthest: [], at: 12, duration: 95, tempo: 119.6 }).title, 'Your video is ready: 1:35 long, cut to 120 BPM, matched on the song at 0:12.');
    assert.equal(resultLines({ closest: [], farthest: [], at: 0, duration: 95, tempo: 60, beats: 'half' }).title, 'Your video is ready: 1:35 long, cut to 60 BPM (beats: half), matched on the song at 0:00.');
    assert.equal(resultLines({ closest: [], farthest: [], at: 0, duration: 95, tempo: 0 }).title, 'Your video is ready: 1:35 long, matched on the song at 0:00.', 'no pulse, no tempo');
  });

  it('offers every other correction of the beat grid, and takes back only its own choices', () => {
    assert.deepEqual(beatChoices(undefined).map((c) => c.value), ['offbeat', 'half', 'double', 'half-offbeat']);
    assert.deepEqual(beatChoices('offbeat').map((c) => c.value), ['half', 'double', 'half-offbeat', 'tracked']);
    for (const c of beatChoices('half')) assert.ok(c.label.length <= 75 && c.description.length <= 75, `${c.value}: within Slack's 75 characters`);
    assert.equal(parseBeatChoice('half-offbeat'), 'half-offbeat');
    assert.equal(parseBeatChoice('tracked'), 'tracked');
    for (const bad of ['toString', '__proto__', 'triple', '', undefined]) assert.equal(parseBeatChoice(bad), undefined, String(bad));
  });
});

describe('tracker', () => {
  it('coalesces a burst of progress into few edits, in order, and the last view wins', async () => {
    const shown: StatusView[] = [];
    const ui = { target: { channelId: 'c' }, uploadLimitBytes: 1, status: async (v: StatusView) => void shown.push(v), result: async () => undefined, error: async () => undefined } satisfies ReplyUI;
    const t = new Tracker(40, pino({ level: 'silent' }));
    t.track('j', ui, { platform: 'discord', userId: 'u', serverId: 's', jobId: 'j' });
    for (let i = 0; i <= 10; i++) t.progress('j', { stage: 'rendering', fraction: i / 10 });
    const fin = await new Promise<ReturnType<Tracker['finish']>>((resolve) => setTimeout(() => resolve(t.finish('j')), 150));
    await fin?.idle;
    assert.ok(shown.length >= 1 && shown.length <= 3, `edits: ${shown.length}`);
    assert.deepEqual(shown.at(-1), { stage: 'rendering', fraction: 1 });
    t.progress('j', { stage: 'uploading' });
    assert.equal(t.finish('j'), undefined, 'a finished job takes no more edits');
  });
});
