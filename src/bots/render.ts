// Words shown to people, shared by every platform so a Discord user and a Slack user read the same thing.
// Platforms only decide markup (bold) and layout (embeds, blocks).
import type { ClipHit } from '../core/visualize.types.js';
import type { Stage } from '../jobs/jobs.types.js';

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

export function resultLines(r: { closest: ClipHit[]; farthest: ClipHit[]; at: number; duration: number }): ResultLines {
  return {
    title: `Your video is ready: ${clock(r.duration)} long, matched on the song at ${clock(r.at)}.`,
    closest: r.closest.slice(0, 3).map(hitLine),
    farthest: r.farthest.slice(0, 3).map(hitLine),
  };
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
  lost: 'Your request was lost on our side (a server restart). Please send it again.',
  deliveryFailed: 'Your video was made, but it could not be posted here. Please try again later.',
} as const;
