// What a command is: platform-neutral data plus one `execute` that turns a parsed event into requests.
// Platform adapters turn their events into a CommandInput and hand the requests to the lifecycle;
// deploy scripts and manifests turn definitions into platform registrations. Commands depend on the
// shared job types only, never on the bot that runs them.
import type { Aspect } from '../src/core/visualize.types.js';
import type { Platform, VisualizeRequest } from '../src/jobs/jobs.types.js';

export interface OptionDefinition {
  name: string;
  description: string;
  type: 'attachment' | 'string';
  required?: boolean;
  choices?: string[];
}

export interface CommandDefinition {
  /** slash command name, e.g. "visualize" (/visualize on both platforms) */
  name: string;
  description: string;
  options: OptionDefinition[];
  /** the message action: Discord "Apps -> <name>", Slack message shortcut <callbackId> */
  messageAction?: { name: string; callbackId: string };
}

/** An attachment as both platforms describe one. */
export interface InputFile {
  url: string;
  name: string;
  bytes?: number;
  contentType?: string;
  /** set when the bot already stored the bytes in Redis (files that need the bot's token to read) */
  blobKey?: string;
}

export interface CommandInput {
  platform: Platform;
  requestId: string;
  userId: string;
  serverId: string;
  channelId: string;
  /** files on the command or on the target message, in order */
  files: InputFile[];
  /** link typed by the user */
  url?: string;
  aspect?: Aspect;
  /** the adapter already claimed the request id (it had to before posting anything) */
  claimed?: boolean;
}

export interface Command {
  definition: CommandDefinition;
  /** the requests an event makes: one per audio file (each its own job and answer), at least one */
  execute(input: CommandInput): VisualizeRequest[];
}
