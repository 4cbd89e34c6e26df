// The one list of stages, from the names the visualize service reports (src/services/visualize.service.ts
// and the library it opens) to the stage people see. A name is looked up, never guessed from its spelling;
// an unknown name leaves the stage as it was, and the stage never moves backwards (a library index rebuilt
// during a job reports `index`/`embed`, which must not turn "Matching" back into "Analysing").
import type { LibraryStage, Stage, VisualizeStage } from './jobs.types.js';

/** Stages in the order a visualize job goes through them. */
export const STAGES = ['queued', 'downloading', 'analysing', 'matching', 'rendering', 'uploading'] as const satisfies readonly VisualizeStage[];

/** Stages of a library job: an ingest in this order; stats and remove have one stage each. */
export const LIBRARY_STAGES = ['fetching', 'probing', 'cutting', 'saving', 'counting', 'removing'] as const satisfies readonly LibraryStage[];

/** Every stage a reply may show (progress crosses Redis: anything else is ignored). */
export const ALL_STAGES: readonly Stage[] = [...STAGES, ...LIBRARY_STAGES];
export const isStage = (s: unknown): s is Stage => typeof s === 'string' && (ALL_STAGES as readonly string[]).includes(s);

/** The progress names of LibraryOps.addVideo (src/library/ops.types.ts) and the stage each belongs to. */
export const LIBRARY_OP_STAGES = {
  download: 'fetching',
  probe: 'probing',
  clips: 'cutting',
  commit: 'saving',
} as const satisfies Record<string, LibraryStage>;
export type LibraryOpStage = keyof typeof LIBRARY_OP_STAGES;

/** The stage after an ingest progress report: its own when known and not behind `previous`, else `previous`. */
export function nextLibraryStage(opName: string, previous: LibraryStage): LibraryStage {
  const mapped = Object.hasOwn(LIBRARY_OP_STAGES, opName) ? LIBRARY_OP_STAGES[opName as LibraryOpStage] : undefined;
  return mapped && LIBRARY_STAGES.indexOf(mapped) > LIBRARY_STAGES.indexOf(previous) ? mapped : previous;
}

/** The service's progress names and the stage each belongs to. */
export const SERVICE_STAGES = {
  decode: 'analysing',
  index: 'analysing',
  analyse: 'analysing',
  embed: 'analysing',
  search: 'matching',
  // an older library's shot and flag scan, done once for the videos a song's candidates come from
  scan: 'matching',
  plan: 'matching',
  match: 'matching',
  // the picture size measured on a sample render before the montage is encoded
  'encode-quality': 'rendering',
  render: 'rendering',
} as const satisfies Record<string, Stage>;
export type ServiceStage = keyof typeof SERVICE_STAGES;

export const stageRank = (s: VisualizeStage): number => STAGES.indexOf(s);

/** The stage after a service progress report: its own when known and not behind `previous`, else `previous`. */
export function nextStage(serviceName: string, previous: VisualizeStage): VisualizeStage {
  const mapped = Object.hasOwn(SERVICE_STAGES, serviceName) ? SERVICE_STAGES[serviceName as ServiceStage] : undefined;
  return mapped && stageRank(mapped) > stageRank(previous) ? mapped : previous;
}
