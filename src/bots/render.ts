// Words shown to people, shared by every platform so a Discord user and a Slack user read the same thing.
// Platforms only decide markup (bold) and layout (embeds, blocks).
import type { BeatFix } from '../core/grid-correction.js';
import type { ClipHit } from '../core/visualize.types.js';
import type { AddVideoResult, LibraryStatsView, RemoveResult, Stage } from '../jobs/jobs.types.js';

export interface StatusView {
  stage: Stage;
  /** 1-based place in the queue while queued */
  position?: number;
  /** 0..1 within the stage, when known */
  fraction?: number;
}

const STAGE_TEXT: Record<Stage, string> = {
  queued: 'Queued',
  downloading: 'Downloading the song',
  analysing: 'Analysing the song',
  matching: 'Matching clips',
  rendering: 'Rendering the video',
  uploading: 'Uploading',
  fetching: 'Downloading the video',
  probing: 'Reading the video',
  cutting: 'Cutting clips',
  saving: 'Adding to the library',
  counting: 'Counting the library',
  removing: 'Removing from the library',
};

export function statusText(v: StatusView): string {
  let text = STAGE_TEXT[v.stage];
  if (v.stage === 'queued' && v.position !== undefined) text += ` (position ${v.position})`;
  if (v.fraction !== undefined && v.stage !== 'queued') text += ` ${Math.round(v.fraction * 100)}%`;
  return `${text}…`;
}

/** 83.4 -> "1:23" */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

export function hitLine(h: ClipHit, i: number): string {
  return `${i + 1}. ${h.source} @ ${clock(h.start)} (distance ${h.distance.toFixed(3)})`;
}

export const MB = 1024 * 1024;
export const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

export interface ResultLines {
  title: string;
  closest: string[];
  farthest: string[];
}

export function resultLines(r: { closest: ClipHit[]; farthest: ClipHit[]; at: number; duration: number; tempo?: number; beats?: BeatFix }): ResultLines {
  const cut = r.tempo ? `, cut to ${Math.round(r.tempo)} BPM${r.beats ? ` (beats: ${r.beats})` : ''}` : '';
  return {
    title: `Your video is ready: ${clock(r.duration)} long${cut}, matched on the song at ${clock(r.at)}.`,
    closest: r.closest.slice(0, 3).map(hitLine),
    farthest: r.farthest.slice(0, 3).map(hitLine),
  };
}

/** The "fix the beat" choice under a result: a new take of the same song with the grid corrected. */
export const BEATS_PLACEHOLDER = 'Cuts off the beat? Fix the beat grid';
/** a choice that takes a correction away again */
export const AS_TRACKED = 'tracked';
export type BeatChoice = BeatFix | typeof AS_TRACKED;
const BEAT_CHOICES: Record<BeatChoice, { label: string; description: string }> = {
  offbeat: { label: 'On the off-beat', description: 'Every cut half a beat later' },
  half: { label: 'Half tempo', description: 'Cut on every other beat' },
  double: { label: 'Double tempo', description: 'A beat between each two' },
  'half-offbeat': { label: 'Half tempo, other beats', description: 'Every other beat, from the second' },
  tracked: { label: 'As tracked', description: 'No correction of the beat grid' },
};

/** The corrections to offer under a result made with `current` (none: as tracked): every other one. */
export function beatChoices(current: BeatFix | undefined): { value: BeatChoice; label: string; description: string }[] {
  const all = Object.keys(BEAT_CHOICES) as BeatChoice[];
  return all.filter((c) => c !== (current ?? AS_TRACKED)).map((value) => ({ value, ...BEAT_CHOICES[value] }));
}

/** A choice as it comes back from a platform: one of ours, or undefined (a forged or stale value). */
export function parseBeatChoice(value: string | undefined): BeatChoice | undefined {
  return value !== undefined && Object.hasOwn(BEAT_CHOICES, value) ? (value as BeatChoice) : undefined;
}

export const MESSAGES = {
  noSource: 'Attach an audio file or give a link: `/visualize audio:<file>` or `/visualize url:<link>`.',
  queueDown: "The video queue can't be reached right now (a server problem on our side). Please try again later.",
  fault: 'Something went wrong while making your video. Please try again later.',
  cancelled: 'Cancelled.',
  busy: 'The bot is busy, try again in a few minutes.',
  notYours: 'Only the person who asked for this video can cancel it.',
  alreadyDone: 'That request has already finished.',
  cancelling: 'Cancelling…',
  retakeGone: 'That video is too old for another take; send the song again.',
  retakeNotYours: 'Only the person who asked for this video can ask for another take.',
  beatsNotYours: 'Only the person who asked for this video can change its beats.',
  lost: 'Your request was lost on our side (a server restart). Please send it again.',
  deliveryFailed: 'Your video was made, but it could not be posted here. Please try again later.',
} as const;

// ---- /library ----

/** A library job's final answer: a title line and detail lines (platforms lay them out). */
export interface LibraryAnswerView {
  title: string;
  lines: string[];
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function addedAnswer(r: AddVideoResult): LibraryAnswerView {
  switch (r.status) {
    case 'added':
      return { title: `Added “${r.title}” to the library.`, lines: [`${plural(r.clips, 'clip')} added, ${clock(r.seconds)} of footage.`] };
    case 'present':
      return { title: `“${r.title}” is already in the library.`, lines: [`${plural(r.clips, 'clip')}, ${clock(r.seconds)} of footage; nothing added.`] };
    case 'skipped':
      return { title: `Skipped “${r.title}”: nothing added.`, lines: [`Why: ${r.reason ?? 'no reason given'}.`] };
  }
}

export function statsAnswer(s: LibraryStatsView): LibraryAnswerView {
  const flags = Object.entries(s.flaggedSeconds)
    .filter(([, sec]) => sec > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([flag, sec]) => `${flag} ${clock(sec)}`);
  return {
    title: `The library holds ${plural(s.videos, 'video')}: ${plural(s.clips, 'clip')}, ${clock(s.seconds)} of footage.`,
    lines: [
      `Left out of montages: ${flags.length ? flags.join(', ') : 'nothing'}.`,
      `Skipped at ingest: ${plural(s.skipped, 'video')}.`,
      s.indexVersion !== undefined ? `Index version in use: ${s.indexVersion}.` : 'No index built yet.',
    ],
  };
}

export function removedAnswer(ref: string | undefined, r: RemoveResult): LibraryAnswerView {
  if (!r.removed.length) return { title: `No video in the library matches “${ref ?? ''}”.`, lines: ['Nothing removed. `/library stats` shows what is there.'] };
  const clips = r.removed.reduce((a, v) => a + v.clips, 0);
  const seconds = r.removed.reduce((a, v) => a + v.seconds, 0);
  return {
    title: `Removed ${plural(r.removed.length, 'video')}: ${plural(clips, 'clip')}, ${clock(seconds)} of footage.`,
    lines: r.removed.map((v) => `${v.title} (${v.videoId}): ${plural(v.clips, 'clip')}, ${clock(v.seconds)}`),
  };
}

export const LIBRARY_MESSAGES = {
  notAllowed: {
    discord: 'Only members with the Manage Server permission can change the library.',
    slack: 'Only the library admins of this workspace (SLACK_LIBRARY_ADMINS) can change the library.',
  },
  noVideo: {
    discord: 'Give a link to the video or attach it (`/library add url:<link>` or `/library add video:<file>`), or use Apps -> Add to clip library on a message with a video.',
    slack: 'Give a link to the video (`/library add <link>`), or use the "Add to clip library" shortcut on a message with a video file.',
  },
  noRef: 'Say which video to remove: its id, the first 8 characters of its id, or its title.',
  unknownOp: 'Use `/library add <link>`, `/library stats` or `/library remove <video>`.',
  notEnabled: 'Library admin is not enabled on this bot.',
  queueDown: "The library queue can't be reached right now (a server problem on our side). Please try again later.",
  fault: 'Something went wrong with that library request. Please try again later.',
  busy: 'The library queue is full, try again in a few minutes.',
  cancelled: 'Cancelled.',
  notYours: 'Only the admin who asked for this can cancel it.',
  alreadyDone: 'That request has already finished.',
  cancelling: 'Cancelling…',
  lost: 'Your library request was lost on our side (a server restart). Please send it again.',
  deliveryFailed: 'Your library request was done, but the answer could not be posted here.',
} as const;
