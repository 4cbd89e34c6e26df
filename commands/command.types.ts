// What a command is: platform-neutral data plus one `execute` that turns a parsed event into requests.
// Platform adapters turn their events into a CommandInput and hand the requests to the lifecycle;
// deploy scripts and manifests turn definitions into platform registrations. Commands depend on the
// shared job types only, never on the bot that runs them.
import type { Aspect } from '../src/core/visualize.types.js';
import type { BeatFix } from '../src/core/grid-correction.js';
import type { LibraryRequest, Platform, VisualizeRequest } from '../src/jobs/jobs.types.js';

export interface OptionDefinition {
  name: string;
  description: string;
  type: 'attachment' | 'string';
  required?: boolean;
  choices?: string[];
}

export interface SubcommandDefinition {
  /** Discord: a subcommand; Slack: the first word of the command's text */
  name: string;
  description: string;
  options: OptionDefinition[];
}

export interface CommandDefinition {
  /** slash command name, e.g. "visualize" (/visualize on both platforms) */
  name: string;
  description: string;
  options: OptionDefinition[];
  /** `/<name> <subcommand> ...`; a command has options or subcommands, not both */
  subcommands?: SubcommandDefinition[];
  /**
   * Only server managers: Discord shows the command to members with Manage Server only
   * (default_member_permissions, in servers only) and the bot checks it again; on Slack the configured admins.
   */
  adminOnly?: boolean;
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
  /** a correction of the tracked beat grid (src/core/grid-correction.ts BEAT_FIXES) */
  beats?: BeatFix;
  /** the adapter already claimed the request id (it had to before posting anything) */
  claimed?: boolean;
  /** Discord: the subcommand chosen */
  subcommand?: string;
  /** a string option by name (Discord), e.g. /library remove video:<ref> */
  strings?: Record<string, string>;
  /** Slack: the command's text as typed, for commands that read words from it (subcommands) */
  text?: string;
  /** what the platform says about the member, for adminOnly commands: Discord Manage Server, Slack admins */
  permitted?: boolean;
}

/** /visualize and its message action: requests for the visualize lifecycle. */
export interface VisualizeCommand {
  kind?: 'visualize';
  definition: CommandDefinition;
  /** the requests an event makes: one per audio file (each its own job and answer), at least one */
  execute(input: CommandInput): VisualizeRequest[];
}

/** /library: requests for the library lifecycle. */
export interface LibraryCommand {
  kind: 'library';
  definition: CommandDefinition;
  /** one request per event */
  execute(input: CommandInput): LibraryRequest[];
}

export type Command = VisualizeCommand | LibraryCommand;
