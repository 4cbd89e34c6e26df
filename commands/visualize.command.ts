// /visualize: a song in (attachment or link), a music video and the closest and farthest clips out.
import type { AudioSource } from '../src/jobs/jobs.types.js';
import type { Command, CommandInput } from './command.types.js';

const AUDIO_NAME = /\.(mp3|wav|flac|ogg|oga|opus|m4a|aac|webm|mp4|mov|mkv)$/i;

/** Files that look like audio (or video carrying audio); the worker checks the real content. */
export const isAudioFile = (f: { name: string; contentType?: string }): boolean =>
  f.contentType ? /^(audio|video)\//.test(f.contentType) : AUDIO_NAME.test(f.name);

/** The attachment wins over a link when both are given; the first audio file of a message is used. */
export function pickSource(input: Pick<CommandInput, 'files' | 'url'>): AudioSource | undefined {
  const file = input.files.find(isAudioFile) ?? (input.url ? undefined : input.files[0]);
  if (file?.blobKey) return { kind: 'blob', key: file.blobKey, name: file.name, bytes: file.bytes ?? 0 };
  if (file) {
    return {
      kind: 'attachment',
      url: file.url,
      name: file.name,
      ...(file.bytes !== undefined ? { bytes: file.bytes } : {}),
      ...(file.contentType ? { contentType: file.contentType } : {}),
    };
  }
  const url = input.url?.trim().replace(/^<(.*)>$/, '$1');
  return url ? { kind: 'url', url } : undefined;
}

export const visualizeCommand: Command = {
  definition: {
    name: 'visualize',
    description: 'Make a music video for a song from the clip library',
    options: [
      { name: 'audio', description: 'The song as an audio file', type: 'attachment' },
      { name: 'url', description: 'A link to the song (http or https)', type: 'string' },
      { name: 'aspect', description: 'Video shape', type: 'string', choices: ['16:9', '9:16', '1:1'] },
    ],
    messageAction: { name: 'Visualize', callbackId: 'visualize_message' },
  },
  async execute(input, ui, { core }) {
    const source = pickSource(input);
    return core.submit(
      {
        platform: input.platform,
        requestId: input.requestId,
        userId: input.userId,
        serverId: input.serverId,
        channelId: input.channelId,
        ...(source ? { source } : {}),
        ...(input.aspect ? { aspect: input.aspect } : {}),
        ...(input.claimed ? { claimed: true } : {}),
      },
      ui,
    );
  },
};

export default visualizeCommand;
