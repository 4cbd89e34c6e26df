// /library add <link or attachment> | stats | remove <video>: library admin from chat, for Discord members
// with Manage Server and Slack's configured admins. Discord hands the subcommand and options over; Slack
// hands the text (`add https://...`, `stats`, `remove <id or title>`), read here the same way for both.
import type { LibraryOp, LibraryRequest, VideoSource } from '../src/jobs/jobs.types.js';
import type { CommandInput, InputFile, LibraryCommand } from './command.types.js';

const VIDEO_NAME = /\.(mp4|m4v|mkv|webm|mov|avi|mpg|mpeg|ogv|ogg)$/i;
const OPS: readonly LibraryOp[] = ['add', 'stats', 'remove'];

/** Files that look like video; the worker checks the real content. */
export const isVideoFile = (f: { name: string; contentType?: string }): boolean =>
  f.contentType ? /^video\//.test(f.contentType) : VIDEO_NAME.test(f.name);

const fileSource = (f: InputFile): VideoSource =>
  f.blobKey
    ? { kind: 'blob', key: f.blobKey, name: f.name, bytes: f.bytes ?? 0 }
    : {
        kind: 'attachment',
        url: f.url,
        name: f.name,
        ...(f.bytes !== undefined ? { bytes: f.bytes } : {}),
        ...(f.contentType ? { contentType: f.contentType } : {}),
      };

/** The video to add: a video file first, then the link, else a lone other file (refused with its type). */
export function pickVideo(files: InputFile[], url: string | undefined): VideoSource | undefined {
  const video = files.find(isVideoFile);
  if (video) return fileSource(video);
  const link = url?.trim().replace(/^<(.*)>$/, '$1');
  if (link) return { kind: 'url', url: link };
  return files[0] ? fileSource(files[0]) : undefined;
}

/** The op and its argument, from Discord's subcommand and options or from Slack's text. */
export function parseLibrary(input: Pick<CommandInput, 'subcommand' | 'strings' | 'text' | 'url'>): { op?: LibraryOp; arg?: string } {
  if (input.subcommand !== undefined) {
    const op = OPS.find((o) => o === input.subcommand);
    const arg = op === 'remove' ? input.strings?.video : input.url;
    return { ...(op ? { op } : {}), ...(arg ? { arg } : {}) };
  }
  const text = (input.text ?? '').trim();
  const [word = '', ...rest] = text.split(/\s+/);
  const op = OPS.find((o) => o === word.toLowerCase());
  const arg = rest.join(' ').trim();
  return { ...(op ? { op } : {}), ...(arg ? { arg } : {}) };
}

export const libraryCommand: LibraryCommand = {
  kind: 'library',
  definition: {
    name: 'library',
    description: 'Add, count or remove videos of the clip library (server managers)',
    options: [],
    adminOnly: true,
    // a video posted in a message: Discord "Apps -> Add to clip library", Slack's message shortcut (Slack's
    // slash commands carry no file)
    messageAction: { name: 'Add to clip library', callbackId: 'clipmatch_library_add' },
    subcommands: [
      {
        name: 'add',
        description: 'Add a video to the clip library',
        options: [
          { name: 'video', description: 'The video as a file', type: 'attachment' },
          { name: 'url', description: 'A link to the video (http or https)', type: 'string' },
        ],
      },
      { name: 'stats', description: 'What the clip library holds', options: [] },
      {
        name: 'remove',
        description: 'Remove a video from the clip library',
        options: [{ name: 'video', description: 'Its id, the first 8 characters of its id, or its title', type: 'string', required: true }],
      },
    ],
  },
  execute(input) {
    const { op, arg } = parseLibrary(input);
    const source = op === 'add' ? pickVideo(input.files, input.subcommand !== undefined ? input.url : arg) : undefined;
    const req: LibraryRequest = {
      platform: input.platform,
      requestId: input.requestId,
      userId: input.userId,
      serverId: input.serverId,
      channelId: input.channelId,
      ...(op ? { op } : {}),
      ...(source ? { source } : {}),
      ...(op === 'remove' && arg ? { ref: arg } : {}),
      permitted: input.permitted === true,
      ...(input.claimed ? { claimed: true } : {}),
    };
    return [req];
  },
};

export default libraryCommand;
