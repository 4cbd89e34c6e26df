// /visualize: a song in (attachment or link), a music video and the closest and farthest clips out.
import type { AudioSource, VisualizeRequest } from '../src/jobs/jobs.types.js';
import type { Command, CommandInput, InputFile } from './command.types.js';
import { BEAT_FIXES } from '../src/core/grid-correction.js';

const AUDIO_NAME = /\.(mp3|wav|flac|ogg|oga|opus|m4a|aac|webm|mp4|mov|mkv)$/i;

/** Files that look like audio (or video carrying audio); the worker checks the real content. */
export const isAudioFile = (f: { name: string; contentType?: string }): boolean =>
  f.contentType ? /^(audio|video)\//.test(f.contentType) : AUDIO_NAME.test(f.name);

/** The attachment wins over a link when both are given; the first audio file of a message is used. */
export function pickSource(input: Pick<CommandInput, 'files' | 'url'>): AudioSource | undefined {
  return pickSources(input)[0];
}

/** Every audio file (each makes its own job), else the link, else a lone other file (refused with a reason). */
export function pickSources(input: Pick<CommandInput, 'files' | 'url'>): AudioSource[] {
  const audio = input.files.filter(isAudioFile);
  if (audio.length) return audio.map(fileSource);
  const url = input.url?.trim().replace(/^<(.*)>$/, '$1');
  if (url) return [{ kind: 'url', url }];
  return input.files[0] ? [fileSource(input.files[0])] : [];
}

const fileSource = (file: InputFile): AudioSource =>
  file.blobKey
    ? { kind: 'blob', key: file.blobKey, name: file.name, bytes: file.bytes ?? 0 }
    : {
        kind: 'attachment',
        url: file.url,
        name: file.name,
        ...(file.bytes !== undefined ? { bytes: file.bytes } : {}),
        ...(file.contentType ? { contentType: file.contentType } : {}),
      };

export const visualizeCommand: Command = {
  definition: {
    name: 'visualize',
    description: 'Make a music video for a song from the clip library',
    options: [
      { name: 'audio', description: 'The song as an audio file', type: 'attachment' },
      { name: 'url', description: 'A link to the song (http or https)', type: 'string' },
      { name: 'aspect', description: 'Video shape', type: 'string', choices: ['16:9', '9:16', '1:1'] },
      { name: 'beats', description: 'Fix a wrong beat grid: half or double tempo, or the off-beat', type: 'string', choices: [...BEAT_FIXES] },
    ],
    messageAction: { name: 'Visualize', callbackId: 'visualize_message' },
  },
  execute(input) {
    const sources = pickSources(input);
    const base: VisualizeRequest = {
      platform: input.platform,
      requestId: input.requestId,
      userId: input.userId,
      serverId: input.serverId,
      channelId: input.channelId,
      ...(input.aspect ? { aspect: input.aspect } : {}),
      ...(input.beats ? { beats: input.beats } : {}),
      ...(input.claimed ? { claimed: true } : {}),
    };
    // no source: one request that the lifecycle refuses with the reason
    if (sources.length <= 1) return [{ ...base, ...(sources[0] ? { source: sources[0] } : {}) }];
    // several audio files: one job each, with ids of their own (a redelivered event maps to the same ones)
    return sources.map((source, i) => ({ ...base, requestId: `${input.requestId}-${i + 1}`, source, claimed: false }));
  },
};

export default visualizeCommand;
