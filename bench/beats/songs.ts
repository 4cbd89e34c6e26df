// Synthetic songs with a known beat grid, written as MIDI and rendered by a real synthesiser: clicks and
// drums, several genres and instrumentations, and the traps a tracker falls into (tempo steps and ramps,
// swing, syncopation, accents on the off-beat, half-time drums, a quiet intro, a drumless breakdown, compound
// metre: 6/8 and 12/8, whose beat is the dotted quarter).
// Deterministic: a seeded generator picks every humanised velocity.
import type { NoteEvent, Song, TempoChange, TimeSignature, Track } from './smf.js';
import { mulberry32 } from '../../src/core/random.js';

const PPQ = 480;
const DRUMS = 9;
const K = { kick: 36, snare: 38, rim: 37, clap: 39, hatC: 42, hatO: 46, hatP: 44, ride: 51, crash: 49, tamb: 54, cowbell: 56, woodHi: 76, woodLo: 77, clave: 75, shaker: 70 };
const GM = { piano: 0, epiano: 4, organ: 16, nylon: 24, steel: 25, jazzGtr: 26, cleanGtr: 27, muted: 28, dist: 30, acBass: 32, fingerBass: 33, pickBass: 34, slap: 36, synBass: 38, strings: 48, pizz: 45, brass: 61, sax: 65, flute: 73, pad: 89, lead: 80, harp: 46, marimba: 12, vibes: 11 };

const rng = mulberry32;

class Builder {
  readonly tracks = new Map<string, Track>();
  private readonly rand: () => number;
  constructor(seed: number) {
    this.rand = rng(seed);
  }
  track(name: string, channel: number, program?: number): Track {
    let t = this.tracks.get(name);
    if (!t) {
      t = { name, channel, program, notes: [] };
      this.tracks.set(name, t);
    }
    return t;
  }
  /** a note at `beat` (quarter notes from the start) lasting `len` beats */
  note(tr: Track, beat: number, len: number, key: number, vel: number): void {
    const v = vel * (0.92 + 0.16 * this.rand());
    const n: NoteEvent = { tick: Math.round(beat * PPQ), dur: Math.max(1, Math.round(len * PPQ)), key, vel: v, channel: tr.channel };
    tr.notes.push(n);
  }
  song(tempos: TempoChange[], signatures: TimeSignature[] = [{ tick: 0, num: 4, den: 4 }]): Song {
    return { ppq: PPQ, tempos, signatures, tracks: [...this.tracks.values()] };
  }
}

const tempo = (beat: number, bpm: number): TempoChange => ({ tick: Math.round(beat * PPQ), bpm });
/** a linear ramp from bpm a to b over [fromBeat, toBeat), one tempo event per beat */
function ramp(fromBeat: number, toBeat: number, a: number, b: number): TempoChange[] {
  const out: TempoChange[] = [];
  for (let q = fromBeat; q < toBeat; q++) out.push(tempo(q, a + ((b - a) * (q - fromBeat)) / (toBeat - fromBeat)));
  return out;
}

// chord roots (MIDI keys) of a I-vi-IV-V and a ii-V-I-vi in C
const POP = [48, 45, 41, 43];
const JAZZ = [50, 43, 48, 45];
const triad = (root: number, minor: boolean) => [root, root + (minor ? 3 : 4), root + 7];

export interface SynthSong {
  name: string;
  what: string;
  song: Song;
}

function clickTrack(): SynthSong {
  const b = new Builder(1);
  const c = b.track('click', DRUMS);
  for (let q = 0; q < 4 * 40; q++) b.note(c, q, 0.1, q % 4 === 0 ? K.woodHi : K.woodLo, q % 4 === 0 ? 110 : 80);
  return { name: 'click-120', what: 'metronome woodblocks, 120 BPM, accented downbeats', song: b.song([tempo(0, 120)]) };
}

function rock(): SynthSong {
  const b = new Builder(2);
  const d = b.track('drums', DRUMS);
  const bass = b.track('bass', 1, GM.pickBass);
  const gtr = b.track('guitar', 2, GM.dist);
  const bars = 44;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[Math.floor(bar / 2) % 4]!;
    for (let e = 0; e < 8; e++) b.note(d, o + e / 2, 0.2, K.hatC, e % 2 ? 60 : 85);
    b.note(d, o, 0.3, K.kick, 110);
    b.note(d, o + 2, 0.3, K.kick, 105);
    b.note(d, o + 2.5, 0.3, K.kick, 90);
    b.note(d, o + 1, 0.3, K.snare, 110);
    b.note(d, o + 3, 0.3, K.snare, 110);
    if (bar % 8 === 0) b.note(d, o, 1, K.crash, 100);
    for (let e = 0; e < 8; e++) b.note(bass, o + e / 2, 0.45, root - 12, 95);
    for (const k of triad(root, root === 45)) {
      b.note(gtr, o, 1.9, k + 12, 80);
      b.note(gtr, o + 2, 1.9, k + 12, 75);
    }
  }
  return { name: 'rock-100', what: 'rock band (drums, picked bass, distorted guitar), 100 BPM', song: b.song([tempo(0, 100)]) };
}

function swing(): SynthSong {
  const b = new Builder(3);
  const d = b.track('drums', DRUMS);
  const bass = b.track('bass', 1, GM.acBass);
  const pno = b.track('piano', 2, GM.piano);
  const sax = b.track('sax', 3, GM.sax);
  const bars = 48;
  const r = rng(33);
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = JAZZ[bar % 4]!;
    // swung ride: 1, 2, 2-let, 3, 4, 4-let; hi-hat foot on 2 and 4
    for (const t of [0, 1, 1 + 2 / 3, 2, 3, 3 + 2 / 3]) b.note(d, o + t, 0.2, K.ride, Number.isInteger(t) ? 80 : 60);
    b.note(d, o + 1, 0.2, K.hatP, 70);
    b.note(d, o + 3, 0.2, K.hatP, 70);
    // walking bass, one note a beat
    for (let q = 0; q < 4; q++) b.note(bass, o + q, 0.9, root - 12 + [0, 4, 7, 9][q]!, 95);
    // comping pushed onto the swung off-beats
    const at = [1 + 2 / 3, 3 + 2 / 3][bar % 2]!;
    for (const k of [root + 10, root + 16, root + 19]) b.note(pno, o + at, 0.5, k, 70);
    // a sax line in swung eighths
    if (bar >= 8) for (let q = 0; q < 4; q++) if (r() < 0.7) b.note(sax, o + q + (r() < 0.5 ? 0 : 2 / 3), 0.5, root + 24 + [0, 3, 5, 7, 10][Math.floor(r() * 5)]!, 85);
  }
  return { name: 'swing-140', what: 'jazz trio + sax, swung ride and off-beat comping, 140 BPM', song: b.song([tempo(0, 140)]) };
}

function funk(): SynthSong {
  const b = new Builder(4);
  const d = b.track('drums', DRUMS);
  const bass = b.track('bass', 1, GM.slap);
  const gtr = b.track('guitar', 2, GM.muted);
  const bars = 36;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    // kick on 1, the "and" of 2 and the "a" of 3; snare on 2 and 4 with ghost notes
    for (const t of [0, 1.5, 2.75]) b.note(d, o + t, 0.2, K.kick, 105);
    b.note(d, o + 1, 0.2, K.snare, 110);
    b.note(d, o + 3, 0.2, K.snare, 110);
    for (const t of [0.75, 2.25, 3.5]) b.note(d, o + t, 0.1, K.snare, 35);
    for (let s = 0; s < 16; s++) b.note(d, o + s / 4, 0.1, K.hatC, s % 4 === 2 ? 80 : 50);
    // syncopated slap bass, mostly on sixteenths off the beat
    for (const [t, k] of [[0, 40], [0.75, 52], [1.5, 40], [2.25, 43], [2.75, 45], [3.5, 47]] as const) b.note(bass, o + t, 0.2, k, 100);
    for (const t of [0.5, 1.25, 2.5, 3.25]) for (const k of [64, 67, 71]) b.note(gtr, o + t, 0.15, k, 75);
  }
  return { name: 'funk-96', what: 'funk: syncopated kick and slap bass, 16th-note guitar stabs, 96 BPM', song: b.song([tempo(0, 96)]) };
}

function tempoStep(): SynthSong {
  const b = new Builder(5);
  const d = b.track('drums', DRUMS);
  const pno = b.track('piano', 1, GM.piano);
  const bass = b.track('bass', 2, GM.fingerBass);
  const bars = 48;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[bar % 4]!;
    b.note(d, o, 0.2, K.kick, 100);
    b.note(d, o + 2, 0.2, K.kick, 100);
    b.note(d, o + 1, 0.2, K.snare, 95);
    b.note(d, o + 3, 0.2, K.snare, 95);
    for (let e = 0; e < 8; e++) b.note(d, o + e / 2, 0.1, K.hatC, 55);
    for (let q = 0; q < 4; q++) for (const k of triad(root + 12, root === 45)) b.note(pno, o + q, 0.8, k, q === 0 ? 85 : 65);
    b.note(bass, o, 1.9, root - 12, 95);
    b.note(bass, o + 2, 1.9, root - 5, 90);
  }
  // 90 BPM for 16 bars, then 132 BPM
  return { name: 'tempo-step-90-132', what: 'pop piano + drums, tempo jumps from 90 to 132 BPM after 16 bars', song: b.song([tempo(0, 90), tempo(64, 132)]) };
}

function tempoRamp(): SynthSong {
  const b = new Builder(6);
  const d = b.track('drums', DRUMS);
  const str = b.track('strings', 1, GM.pizz);
  const bass = b.track('bass', 2, GM.acBass);
  const bars = 48;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[bar % 4]!;
    for (let q = 0; q < 4; q++) {
      b.note(d, o + q, 0.2, q % 2 ? K.clap : K.kick, 95);
      b.note(d, o + q + 0.5, 0.1, K.shaker, 60);
      b.note(str, o + q, 0.4, triad(root + 12, false)[q % 3]!, 85);
    }
    b.note(bass, o, 3.8, root - 12, 90);
  }
  // accelerando 96 -> 144 BPM over bars 8..40, then steady
  return { name: 'tempo-ramp-96-144', what: 'pizzicato strings + percussion, accelerando from 96 to 144 BPM', song: b.song([tempo(0, 96), ...ramp(32, 160, 96, 144), tempo(160, 144)]) };
}

function quietIntro(): SynthSong {
  const b = new Builder(7);
  const d = b.track('drums', DRUMS);
  const pad = b.track('pad', 1, GM.strings);
  const pno = b.track('piano', 2, GM.epiano);
  const bass = b.track('bass', 3, GM.synBass);
  const bars = 44;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[bar % 4]!;
    for (const k of triad(root + 12, root === 45)) b.note(pad, o, 4, k, bar < 8 ? 35 : 60);
    // intro: a soft electric piano in quarter notes, nothing else
    for (let q = 0; q < 4; q++) b.note(pno, o + q, 0.5, triad(root + 24, false)[q % 3]!, bar < 8 ? 30 : 70);
    if (bar >= 8) {
      for (let q = 0; q < 4; q++) b.note(d, o + q, 0.2, K.kick, 110);
      for (let q = 0; q < 4; q++) b.note(d, o + q + 0.5, 0.1, K.hatO, 70);
      b.note(d, o + 1, 0.2, K.clap, 100);
      b.note(d, o + 3, 0.2, K.clap, 100);
      for (let e = 0; e < 8; e++) b.note(bass, o + e / 2, 0.3, root - 12 + (e % 2 ? 12 : 0), 95);
    }
  }
  return { name: 'quiet-intro-124', what: 'dance track whose first 8 bars are a soft pad and e-piano, 124 BPM', song: b.song([tempo(0, 124)]) };
}

function waltz(): SynthSong {
  const b = new Builder(8);
  const bass = b.track('bass', 1, GM.pizz);
  const str = b.track('strings', 2, GM.strings);
  const fl = b.track('flute', 3, GM.flute);
  const bars = 64;
  const r = rng(88);
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 3;
    const root = POP[Math.floor(bar / 2) % 4]!;
    b.note(bass, o, 0.9, root - 12, 100);
    for (const q of [1, 2]) for (const k of triad(root + 12, root === 45)) b.note(str, o + q, 0.6, k, 65);
    if (r() < 0.8) b.note(fl, o, 1.5 + r(), root + 24 + [0, 4, 7][Math.floor(r() * 3)]!, 80);
  }
  return { name: 'waltz-150', what: 'orchestral waltz in 3/4 (pizzicato bass, strings on 2 and 3, flute), 150 BPM', song: b.song([tempo(0, 150)], [{ tick: 0, num: 3, den: 4 }]) };
}

function reggae(): SynthSong {
  const b = new Builder(9);
  const d = b.track('drums', DRUMS);
  const gtr = b.track('guitar', 1, GM.cleanGtr);
  const org = b.track('organ', 2, GM.organ);
  const bass = b.track('bass', 3, GM.fingerBass);
  const bars = 40;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[Math.floor(bar / 2) % 4]!;
    // loud skank on every off-beat; one-drop: kick and rim on beat 3 only
    for (let q = 0; q < 4; q++) for (const k of triad(root + 24, root === 45)) b.note(gtr, o + q + 0.5, 0.2, k, 110);
    for (let q = 0; q < 4; q++) for (const k of triad(root + 12, root === 45)) b.note(org, o + q + 0.5, 0.2, k, 70);
    b.note(d, o + 2, 0.2, K.kick, 100);
    b.note(d, o + 2, 0.2, K.rim, 90);
    for (let e = 0; e < 8; e++) b.note(d, o + e / 2, 0.1, K.hatC, e % 2 ? 45 : 70);
    b.note(bass, o, 0.9, root - 12, 90);
    b.note(bass, o + 1.5, 0.4, root - 5, 85);
    b.note(bass, o + 2.5, 1, root - 12, 85);
  }
  return { name: 'reggae-offbeat-80', what: 'reggae one-drop: loud guitar and organ skank on every off-beat, 80 BPM', song: b.song([tempo(0, 80)]) };
}

function halfTime(): SynthSong {
  const b = new Builder(10);
  const d = b.track('drums', DRUMS);
  const bass = b.track('bass', 1, GM.synBass);
  const lead = b.track('lead', 2, GM.lead);
  const bars = 40;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    // trap: 16th hats at 140 BPM, kick on 1, snare only on 3 (a half-time feel)
    for (let s = 0; s < 16; s++) b.note(d, o + s / 4, 0.05, K.hatC, s % 2 ? 45 : 75);
    b.note(d, o, 0.3, K.kick, 115);
    b.note(d, o + 2.75, 0.3, K.kick, 90);
    b.note(d, o + 2, 0.3, K.snare, 115);
    b.note(bass, o, 2, 36 + (bar % 4 === 3 ? 3 : 0), 100);
    for (let q = 0; q < 4; q++) b.note(lead, o + q, 0.4, 72 + [0, 3, 7, 10][(q + bar) % 4]!, 70);
  }
  return { name: 'trap-halftime-140', what: 'trap beat: 16th hi-hats, snare on 3 (half-time feel), lead on the beat, 140 BPM', song: b.song([tempo(0, 140)]) };
}

function house(): SynthSong {
  const b = new Builder(11);
  const d = b.track('drums', DRUMS);
  const bass = b.track('bass', 1, GM.synBass);
  const pad = b.track('pad', 2, GM.pad);
  const bars = 48;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[bar % 4]!;
    const breakdown = bar >= 24 && bar < 32;
    for (const k of triad(root + 12, root === 45)) b.note(pad, o, 4, k, breakdown ? 80 : 55);
    if (!breakdown) {
      for (let q = 0; q < 4; q++) b.note(d, o + q, 0.2, K.kick, 115);
      for (let q = 0; q < 4; q++) b.note(d, o + q + 0.5, 0.1, K.hatO, 75);
      b.note(d, o + 1, 0.2, K.clap, 95);
      b.note(d, o + 3, 0.2, K.clap, 95);
      for (let q = 0; q < 4; q++) b.note(bass, o + q + 0.5, 0.3, root - 12, 100);
    } else {
      // drumless breakdown: only a bass note per beat under the pad
      for (let q = 0; q < 4; q++) b.note(bass, o + q, 0.5, root - 12, 70);
    }
  }
  return { name: 'house-128', what: 'house: four-on-the-floor, off-beat bass, 8-bar drumless breakdown, 128 BPM', song: b.song([tempo(0, 128)]) };
}

function pianoBallad(): SynthSong {
  const b = new Builder(12);
  const pno = b.track('piano', 0, GM.piano);
  const bars = 32;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    const root = POP[bar % 4]!;
    // left hand: root on 1 and 3; right hand: eighth-note arpeggio
    b.note(pno, o, 1.9, root - 12, 80);
    b.note(pno, o + 2, 1.9, root - 5, 70);
    const arp = [...triad(root + 12, root === 45), root + 24];
    for (let e = 0; e < 8; e++) b.note(pno, o + e / 2, 0.5, arp[e % 4]!, e % 2 ? 50 : 62);
  }
  return { name: 'piano-ballad-72', what: 'solo piano arpeggios, no drums, 72 BPM', song: b.song([tempo(0, 72)]) };
}

function drumsOnly(): SynthSong {
  const b = new Builder(13);
  const d = b.track('drums', DRUMS);
  const bars = 40;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 4;
    // a breakbeat: syncopated kicks, snare on 2 and 4, a fill every 4th bar
    for (const t of bar % 4 === 3 ? [0, 0.5] : [0, 1.75, 2.5]) b.note(d, o + t, 0.2, K.kick, 110);
    b.note(d, o + 1, 0.2, K.snare, 110);
    if (bar % 4 === 3) for (const t of [2, 2.5, 3, 3.25, 3.5, 3.75]) b.note(d, o + t, 0.1, K.snare, 90);
    else b.note(d, o + 3, 0.2, K.snare, 110);
    for (let e = 0; e < 8; e++) b.note(d, o + e / 2, 0.1, K.hatC, e % 2 ? 55 : 80);
  }
  return { name: 'breakbeat-drums-174', what: 'drums alone: breakbeat with syncopated kicks and fills, 174 BPM', song: b.song([tempo(0, 174)]) };
}

// Compound metre: the beat is the dotted quarter (three eighths), as the reference counts it in x/8.
// Positions below are in quarter notes (an eighth is 0.5, a 6/8 bar 3); MIDI tempo counts quarters.
const SIX8 = [{ tick: 0, num: 6, den: 8 }];

function jig(): SynthSong {
  const b = new Builder(14);
  const fl = b.track('flute', 0, GM.flute);
  const gtr = b.track('guitar', 1, GM.steel);
  const d = b.track('bodhran', DRUMS);
  const bars = 48;
  const scale = [62, 64, 66, 67, 69, 71, 73, 74];
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 3;
    const root = [50, 55, 50, 57][Math.floor(bar / 2) % 4]!;
    // running eighths, the first of each three accented; the melody turns every bar
    for (let e = 0; e < 6; e++) b.note(fl, o + e / 2, 0.45, scale[(bar * 3 + e * (bar % 2 ? 5 : 3)) % 8]!, e % 3 === 0 ? 96 : 70);
    // guitar: bass note on the beat, chord on the third eighth
    for (const beat of [0, 1.5]) {
      b.note(gtr, o + beat, 0.9, root - 12, 85);
      for (const k of triad(root, false)) b.note(gtr, o + beat + 1, 0.4, k, 60);
    }
    for (let e = 0; e < 6; e++) b.note(d, o + e / 2, 0.1, e % 3 === 0 ? K.woodLo : K.woodHi, e % 3 === 0 ? 100 : 55);
  }
  return { name: 'jig-6-8-110', what: 'Irish jig in 6/8: flute in running eighths, guitar, bodhran; 110 dotted quarters a minute', song: b.song([tempo(0, 165)], SIX8) };
}

function lullaby(): SynthSong {
  const b = new Builder(15);
  const harp = b.track('harp', 0, GM.harp);
  const str = b.track('strings', 1, GM.strings);
  const bars = 30;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 3;
    const root = POP[Math.floor(bar / 2) % 4]!;
    const arp = [root, root + 7, root + 12, root + 16, root + 12, root + 7];
    // an arpeggio in eighths, softer on the second and third of each group; a held chord per bar
    for (let e = 0; e < 6; e++) b.note(harp, o + e / 2, 0.9, arp[e]! + 12, e % 3 === 0 ? 78 : 52);
    for (const k of triad(root + 12, root === 45)) b.note(str, o, 2.9, k, 45);
  }
  return { name: 'lullaby-6-8-56', what: 'lullaby in 6/8: harp arpeggio in eighths over held strings, no drums; 56 dotted quarters a minute', song: b.song([tempo(0, 84)], SIX8) };
}

function shuffle12(): SynthSong {
  const b = new Builder(16);
  const d = b.track('drums', DRUMS);
  const bass = b.track('bass', 1, GM.fingerBass);
  const pno = b.track('piano', 2, GM.piano);
  const bars = 24;
  for (let bar = 0; bar < bars; bar++) {
    const o = bar * 6;
    const root = [45, 45, 50, 45, 52, 50][bar % 6]!;
    for (let beat = 0; beat < 4; beat++) {
      const t = o + beat * 1.5;
      // ride on every triplet eighth, kick on 1 and 3, snare on 2 and 4; bass walks on the beat
      for (let e = 0; e < 3; e++) b.note(d, t + e / 2, 0.1, K.ride, e === 0 ? 80 : 50);
      b.note(d, t, 0.2, beat % 2 ? K.snare : K.kick, 100);
      b.note(bass, t, 1.2, root - 12 + [0, 4, 7, 9][beat]!, 90);
      // piano: a triplet chord figure on the last eighth of each beat
      for (const k of triad(root + 12, false)) b.note(pno, t + 1, 0.4, k, 58);
    }
  }
  return { name: 'blues-12-8-66', what: 'slow blues in 12/8: triplet ride, kick and snare, walking bass, piano; 66 dotted quarters a minute', song: b.song([tempo(0, 99)], [{ tick: 0, num: 12, den: 8 }]) };
}

export function synthSongs(): SynthSong[] {
  return [clickTrack(), rock(), swing(), funk(), tempoStep(), tempoRamp(), quietIntro(), waltz(), reggae(), halfTime(), house(), pianoBallad(), drumsOnly(), jig(), lullaby(), shuffle12()];
}
