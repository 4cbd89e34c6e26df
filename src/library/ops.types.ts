// What the library queue's worker does for one job, as a port: the real implementation is
// src/library/ops.ts (catalogue + shared media path + ingest of one video); tests hand in their own.
// The bot never sees this: it only queues LibraryJobData (jobs.types.ts) and renders the results.
import type { ProgressFn } from '../core/types.js';

/** Where a video comes from. `file` is a path every worker can read (the shared library mount). */
export type VideoSource =
  | { kind: 'file'; path: string }
  /** a link: fetched by the worker with the same address checks as songs */
  | { kind: 'url'; url: string }
  /** a platform CDN attachment (Discord), fetched like a link */
  | { kind: 'attachment'; url: string; name: string; bytes?: number; contentType?: string }
  /** bytes the bot stored in Redis (Slack private files) */
  | { kind: 'blob'; key: string; name: string; bytes: number };

export interface AddVideoResult {
  status: 'added' | 'present' | 'skipped';
  videoId?: string;
  title: string;
  clips: number;
  seconds: number;
  /** why it was skipped */
  reason?: string;
}

export interface LibraryStatsView {
  videos: number;
  clips: number;
  seconds: number;
  /** seconds of footage each flag removes from montages (title, black, frozen, ...) */
  flaggedSeconds: Record<string, number>;
  skipped: number;
  /** the index version workers load now, if any */
  indexVersion?: number;
}

export interface RemoveResult {
  removed: Array<{ videoId: string; title: string; clips: number; seconds: number }>;
}

export interface LibraryOps {
  /** ingests one video; progress names: 'download', 'probe', 'clips' (done/total), 'commit' */
  addVideo(source: VideoSource, opts: { progress?: ProgressFn; signal?: AbortSignal; batchId?: string }): Promise<AddVideoResult>;
  stats(): Promise<LibraryStatsView>;
  /** removes the videos whose id, id prefix (>= 8 characters) or title is `ref` */
  remove(ref: string): Promise<RemoveResult>;
}
