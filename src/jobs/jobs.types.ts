// The one typed list of jobs. Every payload that crosses Redis is declared here, so the bot (producer)
// and the workers (consumers) on other machines agree on shapes through the type checker.
import type { Aspect, ClipHit } from '../core/visualize.types.js';
import type { BeatFix } from '../core/grid-correction.js';
import type { AddVideoResult, LibraryStatsView, RemoveResult, VideoSource } from '../library/ops.types.js';

export type { AddVideoResult, LibraryStatsView, RemoveResult, VideoSource } from '../library/ops.types.js';

export type Platform = 'discord' | 'slack';

/** Where the song comes from. Workers fetch every kind themselves, except `blob` which the bot stored. */
export type AudioSource =
  /** a link the user typed: untrusted, fetched with the SSRF checks (or yt-dlp for pages) */
  | { kind: 'url'; url: string }
  /** a platform CDN attachment: still fetched with the SSRF checks, size known in advance */
  | { kind: 'attachment'; url: string; name: string; bytes?: number; contentType?: string }
  /** bytes the bot already downloaded (e.g. Slack private files that need the bot token) */
  | { kind: 'blob'; key: string; name: string; bytes: number; /** where the bot read it (Another take reads it again) */ url?: string };

/** Enough to post into the right place again after the bot restarted (no tokens in here). */
export interface ReplyTarget {
  channelId: string;
  /** Discord: the status message; Slack: the status message ts */
  messageId?: string;
  /** Slack thread ts to answer in */
  threadId?: string;
}

/** A request as every platform hands it over, from the moment its event is parsed. */
export interface VisualizeRequest {
  platform: Platform;
  /** interaction or message id: a redelivered event carries the same one */
  requestId: string;
  userId: string;
  serverId: string;
  channelId: string;
  source?: AudioSource;
  aspect?: Aspect;
  /** a correction of the tracked beat grid, for a song the tracker gets wrong */
  beats?: BeatFix;
  /** another take: a different seed gives a different cut of the same song */
  seed?: number;
  /** already claimed by an adapter that had to post before submitting */
  claimed?: boolean;
}

export interface VisualizeJobData {
  v: 1;
  platform: Platform;
  /** the platform's interaction or message id: the job id is derived from it */
  requestId: string;
  userId: string;
  /** Discord guild id or Slack team id ("dm" outside a server) */
  serverId: string;
  source: AudioSource;
  aspect?: Aspect;
  /** a correction of the tracked beat grid (grid-correction.ts BEAT_FIXES) */
  beats?: BeatFix;
  reply: ReplyTarget;
  requestedAt: number;
  /** bytes one answer may attach (video + contact sheet), as the platform reported it for this reply */
  uploadLimitBytes?: number;
  /** false: render to the worker's own size cap, the bot links what does not fit (operator's choice) */
  fitUpload?: boolean;
  /** another take of the same song: a different seed gives a different cut */
  seed?: number;
}

/** A file a worker left in Redis for the bot to pick up (workers and bot may run on different machines). */
export interface BlobRef {
  key: string;
  name: string;
  bytes: number;
  contentType: string;
}

export interface VisualizeJobResult {
  closest: ClipHit[];
  farthest: ClipHit[];
  /** second of the song that was embedded */
  at: number;
  duration: number;
  video: BlobRef;
  sheet: BlobRef;
  /** the library index version the clips were chosen from */
  indexVersion?: number;
  /** beats per minute the cuts follow (0: no clear pulse), and the correction of the grid the job asked for */
  tempo?: number;
  beats?: BeatFix;
}

/** Stages of a visualize job shown to people. `queued` and `uploading` happen in the bot, the rest in a worker. */
export type VisualizeStage = 'queued' | 'downloading' | 'analysing' | 'matching' | 'rendering' | 'uploading';
/** Stages of a library job: an ingest goes fetching -> probing -> cutting -> saving; stats counts; remove removes. */
export type LibraryStage = 'fetching' | 'probing' | 'cutting' | 'saving' | 'counting' | 'removing';
export type Stage = VisualizeStage | LibraryStage;

export interface JobProgress {
  stage: Stage;
  /** 0..1 within the stage, or undefined when unknown */
  fraction?: number;
}

// ---- the library queue: ingest one video, stats, remove (admins from chat; `clipmatch ingest --queue`) ----

/** Who asked for a library job from chat, and where the answer goes (no tokens in here). */
export interface Requester {
  platform: Platform;
  requestId: string;
  userId: string;
  serverId: string;
  reply: ReplyTarget;
}

export type LibraryOp = 'add' | 'stats' | 'remove';

/** A /library request as every platform hands it over. */
export interface LibraryRequest {
  platform: Platform;
  requestId: string;
  userId: string;
  serverId: string;
  channelId: string;
  /** undefined: the member typed something else (refused with the usage) */
  op?: LibraryOp;
  /** add: the video (link or attachment) */
  source?: VideoSource;
  /** remove: a video id, id prefix or title */
  ref?: string;
  /** what the platform says about the member: Discord Manage Server, Slack SLACK_LIBRARY_ADMINS */
  permitted: boolean;
  claimed?: boolean;
}

export type LibraryJobData =
  /** without requester: queued by `clipmatch ingest --queue`, one job per video, nobody to answer */
  | { v: 1; op: 'ingest'; batchId: string; source: VideoSource; requester?: Requester }
  | { v: 1; op: 'stats'; requester: Requester }
  | { v: 1; op: 'remove'; ref: string; requester: Requester };

/** What each library op returns: ingest -> AddVideoResult, stats -> LibraryStatsView, remove -> RemoveResult. */
export interface LibraryResults {
  ingest: AddVideoResult;
  stats: LibraryStatsView;
  remove: RemoveResult;
}
export type LibraryJobResult = LibraryResults[keyof LibraryResults];

/** An index build: after ingest, removal or training (src/index). */
export interface IndexJobData {
  v: 1;
  /** the catalogue generation that asked for it */
  generation: number;
  reason: string;
  requestedAt: number;
}
export interface IndexJobResult {
  /** the index version workers load from now on */
  version?: number;
  clips: number;
  embedded: number;
  mode: string;
  seconds: number;
}

export interface JobDefinitions {
  visualize: { data: VisualizeJobData; result: VisualizeJobResult };
  library: { data: LibraryJobData; result: LibraryJobResult };
}
export type JobName = keyof JobDefinitions;
export const JOB_NAMES = ['visualize', 'library'] as const satisfies readonly JobName[];
