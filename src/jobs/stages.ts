// The one list of stages, from the names the visualize service reports (src/services/visualize.service.ts
// and the library it opens) to the stage people see. A name is looked up, never guessed from its spelling;
// an unknown name leaves the stage as it was, and the stage never moves backwards (a library index rebuilt
// during a job reports `index`/`embed`, which must not turn "Matching" back into "Analysing").
import type { Stage } from './jobs.types.js';

/** Stages in the order a job goes through them. */
export const STAGES = ['queued', 'downloading', 'analysing', 'matching', 'rendering', 'uploading'] as const satisfies readonly Stage[];

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

export const stageRank = (s: Stage): number => STAGES.indexOf(s);

/** The stage after a service progress report: its own when known and not behind `previous`, else `previous`. */
export function nextStage(serviceName: string, previous: Stage): Stage {
  const mapped = Object.hasOwn(SERVICE_STAGES, serviceName) ? SERVICE_STAGES[serviceName as ServiceStage] : undefined;
  return mapped && stageRank(mapped) > stageRank(previous) ? mapped : previous;
}
