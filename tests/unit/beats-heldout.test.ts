// The held-out beat set's parsers (bench/beats/heldout.ts) on tiny inputs made here: a Frets on Fire
// song.ini and chart, an LMMS project (plain and qCompress'd), a Hydrogen song, an Ogg page header, and the
// reference check's envelope sampling. No Debian files needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { checkReference } from '../../bench/beats/check-reference.js';
import {
  audibleReference,
  fofDelayMs,
  fofMixArgs,
  fofReference,
  hydrogenProblem,
  hydrogenReference,
  lmmsReference,
  lmmsXml,
  oggVorbisSeconds,
  onPath,
  parseHydrogen,
  parseIni,
  parseLmms,
  parseXml,
} from '../../bench/beats/heldout.js';
import { writeSmf } from '../../bench/beats/smf.js';

const close = (a: readonly number[], b: readonly number[], eps = 1e-9) => {
  assert.equal(a.length, b.length, `${a.length} beats, expected ${b.length}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < eps, `beat ${i}: ${x} vs ${b[i]}`));
};

test('song.ini: [song] delay in ms, absent = 0, keys case-insensitive, comments skipped', () => {
  const ini = parseIni('\uFEFF[song]\r\nname = Chaos God\r\n; a comment\r\nDelay = -250\r\n[other]\r\ndelay = 9\r\n');
  assert.equal(ini['song']!['name'], 'Chaos God');
  assert.equal(fofDelayMs(ini), -250);
  assert.equal(fofDelayMs(parseIni('[song]\nname = x\n')), 0);
  assert.equal(fofDelayMs(parseIni('[song]\ndelay = \n')), 0);
  assert.throws(() => fofDelayMs(parseIni('[song]\ndelay = 1.5\n')));
});

test('FoF reference: the quarter-note grid of the tempo map shifted by the delay, 0 to the audio end', () => {
  // 120 BPM for 4 beats, then 60 BPM: beats at 0, .5, 1, 1.5, 2, 3, 4...
  const midi = writeSmf({
    ppq: 480,
    tempos: [
      { tick: 0, bpm: 120 },
      { tick: 4 * 480, bpm: 60 },
    ],
    signatures: [{ tick: 0, num: 4, den: 4 }],
    tracks: [{ channel: 0, notes: [{ tick: 480, dur: 240, key: 60, vel: 100, channel: 0 }] }],
  });
  // the grid goes on past the chart's last event to the end of the audio
  close(fofReference(midi, 0, 5), [0, 0.5, 1, 1.5, 2, 3, 4, 5]);
  // a positive delay plays the chart later in the audio (FoF: chart position = audio position - delay)
  close(fofReference(midi, 100, 3.2), [0.1, 0.6, 1.1, 1.6, 2.1, 3.1]);
  // a negative one drops the beats it moves before 0
  close(fofReference(midi, -600, 2), [0.4, 0.9, 1.4]);
});

test('FoF mix: stems summed at unit gain (amix normalize off) into a mono float wav', () => {
  const args = fofMixArgs(['/s/song.ogg', '/s/guitar.ogg', '/s/rhythm.ogg'], '/o.wav');
  assert.deepEqual(args.filter((a) => a.endsWith('.ogg')), ['/s/song.ogg', '/s/guitar.ogg', '/s/rhythm.ogg']);
  assert.ok(args.includes('amix=inputs=3:duration=longest:normalize=0'));
  assert.equal(args[args.length - 1], '/o.wav');
  assert.ok(!fofMixArgs(['/s/song.ogg'], '/o.wav').includes('-filter_complex'));
});

test('Ogg Vorbis duration: last granule position over the identification header rate', () => {
  const page = (granule: bigint, payload: Buffer) => {
    const h = Buffer.alloc(27);
    h.write('OggS', 0, 'ascii');
    h.writeBigInt64LE(granule, 6);
    h[26] = 1;
    return Buffer.concat([h, Buffer.from([payload.length]), payload]);
  };
  const id = Buffer.alloc(30);
  id[0] = 1;
  id.write('vorbis', 1, 'ascii');
  id[11] = 2;
  id.writeUInt32LE(44100, 12);
  const ogg = Buffer.concat([page(0n, id), page(44100n * 3n, Buffer.alloc(20)), page(-1n, Buffer.alloc(5))]);
  assert.equal(oggVorbisSeconds(ogg), 3);
  assert.throws(() => oggVorbisSeconds(Buffer.from('RIFF....')));
});

test('XML reader: attributes, entities, CDATA, comments, self-closing tags; unbalanced tags throw', () => {
  const doc = parseXml('<?xml version="1.0"?><!DOCTYPE x><!-- c --><a k="1 &amp; 2" q=\'>\'><b/><c>t&lt;<![CDATA[<raw>]]></c></a>');
  const a = doc.children[0]!;
  assert.equal(a.name, 'a');
  assert.deepEqual(a.attrs, { k: '1 & 2', q: '>' });
  assert.deepEqual(a.children.map((c) => c.name), ['b', 'c']);
  assert.equal(a.children[1]!.text, 't<<raw>');
  assert.throws(() => parseXml('<a><b></a>'));
  assert.throws(() => parseXml('<a>'));
});

const lmmsProject = (head: string, tracks: string, extra = '') =>
  `<?xml version="1.0"?>\n<!DOCTYPE lmms-project>\n<lmms-project version="1.0" type="song">${head}<song><trackcontainer type="song">${tracks}</trackcontainer>${extra}</song></lmms-project>`;

/** Qt's qCompress: the uncompressed length (4 bytes, big-endian), then a zlib stream */
const qCompress = (s: string) => {
  const raw = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(raw.length);
  return Buffer.concat([len, deflateSync(raw)]);
};

test('LMMS: bpm, metre and song length from a compressed project; beats every 60/bpm s from 0 to the end', () => {
  const xml = lmmsProject(
    '<head bpm="150" timesig_numerator="3" timesig_denominator="4" mastervol="100"/>',
    '<track type="0" muted="0"><instrumenttrack/><pattern pos="0" len="192" type="1"/><pattern pos="192" len="96" type="1"/></track>' +
      '<track type="1" muted="0"><bbtrack><trackcontainer type="bbtrackcontainer"><track type="0"><pattern pos="0" len="9999"/></track></trackcontainer></bbtrack><bbtco pos="96" len="192"/></track>' +
      '<track type="2" muted="1"><sampletrack/><sampletco pos="0" len="5000"/></track>' +
      '<track type="5"><automationtrack/><automationpattern pos="0" len="4000"/></track>',
  );
  for (const buf of [qCompress(xml), Buffer.from(xml)]) {
    assert.equal(lmmsXml(buf), xml);
    const p = parseLmms(buf);
    assert.equal(p.bpm, 150);
    assert.deepEqual(p.timesig, { num: 3, den: 4 });
    // song-level clips only (not the beat/bassline editor's, not muted tracks, not automation): 288 ticks
    assert.equal(p.lengthTicks, 288);
    assert.equal(p.tempoAutomated, null);
    // 288 ticks = 6 quarters at 0.4 s
    close(lmmsReference(p), [0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4], 1e-9);
  }
  // pre-1.0 projects (<multimedia-project>) read the same
  assert.equal(parseLmms(Buffer.from(xml.replaceAll('lmms-project', 'multimedia-project'))).bpm, 150);
});

test('LMMS: a tempo under automation or a controller is flagged; other automation is not', () => {
  const track = '<track type="0"><pattern pos="0" len="192"/></track>';
  const autoOn = (id: string) => `<track type="5"><automationtrack/><automationpattern pos="0" len="192"><time pos="0" value="120"/><object id="${id}"/></automationpattern></track>`;
  const automated = lmmsProject('<head timesig_numerator="4" timesig_denominator="4"><bpm value="120" id="77"/></head>', track + autoOn('77'));
  assert.match(parseLmms(qCompress(automated)).tempoAutomated ?? '', /automation/);
  const controlled = lmmsProject('<head><bpm value="120" id="5"><connection><ControllerConnection id="0"/></connection></bpm></head>', track);
  assert.match(parseLmms(Buffer.from(controlled)).tempoAutomated ?? '', /controller/);
  const volumeOnly = lmmsProject('<head bpm="120"><mastervol value="100" id="9"/></head>', track + autoOn('9'));
  const p = parseLmms(Buffer.from(volumeOnly));
  assert.equal(p.tempoAutomated, null);
  assert.equal(p.bpm, 120);
});

const h2song = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<song><version>1.2.0</version><bpm>100</bpm><mode>song</mode>${body}</song>`;
const patterns = '<patternList><pattern><name>a</name><size>192</size><denominator>4</denominator></pattern><pattern><name>b</name><size>96</size></pattern></patternList>';

test('Hydrogen: bpm and pattern sequence; each column as long as its longest pattern', () => {
  const s = parseHydrogen(
    h2song(`${patterns}<patternSequence><group><patternID>a</patternID></group><group><patternID>b</patternID></group><group><patternID>a</patternID><patternID>b</patternID></group></patternSequence><BPMTimeLine/>`),
  );
  assert.equal(s.bpm, 100);
  assert.deepEqual(s.columns, [192, 96, 192]);
  assert.equal(hydrogenProblem(s), null);
  // 480 ticks = 10 quarters at 0.6 s
  close(hydrogenReference(s), Array.from({ length: 11 }, (_, k) => k * 0.6), 1e-9);
});

test('Hydrogen: tempo markers, pattern mode and odd pattern sizes are reasons to leave a song out', () => {
  const seq = '<patternSequence><group><patternID>a</patternID></group></patternSequence>';
  const markers = h2song(`${patterns}${seq}<isTimelineActivated>true</isTimelineActivated><BPMTimeLine><newBPM><BAR>1</BAR><BPM>140</BPM></newBPM></BPMTimeLine>`);
  assert.match(hydrogenProblem(parseHydrogen(markers)) ?? '', /tempo markers/);
  const inactive = markers.replace('<isTimelineActivated>true', '<isTimelineActivated>false');
  assert.equal(hydrogenProblem(parseHydrogen(inactive)), null);
  assert.match(hydrogenProblem(parseHydrogen(h2song(`${patterns}${seq}`).replace('<mode>song', '<mode>pattern'))) ?? '', /mode/);
  const odd = h2song(`<patternList><pattern><name>a</name><size>72</size></pattern></patternList>${seq}`);
  assert.match(hydrogenProblem(parseHydrogen(odd)) ?? '', /quarter/);
});

test('audible reference: beats in a silent lead-in and tail are dropped', () => {
  const sr = 1000;
  const pcm = new Float32Array(10 * sr);
  for (let i = 2 * sr; i < 7 * sr; i++) pcm[i] = 0.1 * Math.sin(i);
  const beats = Array.from({ length: 11 }, (_, k) => k);
  assert.deepEqual(audibleReference(beats, pcm, sr), [2, 3, 4, 5, 6, 7]);
  assert.deepEqual(audibleReference(beats, new Float32Array(sr), sr), []);
});

test('reference check: clicks on the grid peak at 0 and not at the off-beat', () => {
  const sr = 16000;
  const pcm = new Float32Array(20 * sr);
  const beats: number[] = [];
  for (let t = 0.5; t < 19.5; t += 0.5) beats.push(t);
  for (const t of beats) for (let j = 0; j < 400; j++) pcm[Math.round(t * sr) + j] = Math.exp(-j / 60) * Math.sin(j * 1.3);
  const right = checkReference(pcm, sr, beats);
  assert.ok(Math.abs(right.bestLagMs) <= 16, `peak at ${right.bestLagMs} ms`);
  assert.ok(right.at['0']! > 3 * right.at['0.5 beat']!);
  const late = checkReference(pcm, sr, beats.map((t) => t + 0.1));
  assert.ok(Math.abs(late.bestLagMs + 100) <= 16, `peak at ${late.bestLagMs} ms`);
});

test('a renderer not on the PATH is found missing (its source is left out, not failed on)', () => {
  assert.equal(onPath('sh', '/nonexistent:/bin:/usr/bin'), true);
  assert.equal(onPath('clipmatch-no-such-renderer', '/bin:/usr/bin'), false);
  assert.equal(onPath('sh', ''), false);
});
