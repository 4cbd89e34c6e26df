// A video someone sent (a link or a file posted in chat) is read once through the same guard as songs:
// only whitelisted demuxers and local files, under a memory cap and a timeout, and its first video and
// audio streams copied (no re-encode) into a Matroska file of our own. Every later step of ingest (probe,
// split, frame decode, scan) reads only that file, so a demuxer bomb or an exotic container never reaches
// them. Written bit-exact, so the same upload gives the same file (and the same video id) twice.
import { UserError } from '../core/errors.js';
import { ffmpeg, MediaError, UNTRUSTED_MEMORY_BYTES, untrustedInputArgs } from './ffmpeg.js';

export async function remuxUntrustedVideo(src: string, out: string, signal?: AbortSignal): Promise<string> {
  try {
    await ffmpeg(
      [...untrustedInputArgs(), '-i', src, '-map', '0:v:0', '-map', '0:a:0?', '-sn', '-dn', '-c', 'copy', '-fflags', '+bitexact', '-f', 'matroska', '-y', out],
      { timeoutMs: 10 * 60_000, memoryLimitBytes: UNTRUSTED_MEMORY_BYTES, ...(signal ? { signal } : {}) },
    );
  } catch (err) {
    if (signal?.aborted) throw new UserError('CANCELLED', 'Cancelled.');
    if (err instanceof MediaError) throw new UserError('BAD_INPUT', 'That file could not be read as a video (or its format is not accepted).');
    throw err;
  }
  return out;
}
