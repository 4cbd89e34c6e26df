// Hostile song files made at test time. A "VGZ": gzip'd Video Game Music, which ffmpeg's libgme demuxer
// inflates in memory (a 1 MB file reached 2 GB RSS); and a VBR MP3 without a Xing header, whose probed
// duration is an estimate from its first frames (a loud start then silence: probed far too short).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { ffmpeg } from '../../src/media/ffmpeg.js';

/** A gzip'd VGM that inflates to `inflatedMiB` MiB; its name need not say what it is. */
export async function writeGmeBomb(path: string, inflatedMiB: number): Promise<void> {
  const header = Buffer.alloc(0x100);
  header.write('Vgm ', 0, 'latin1');
  header.writeUInt32LE(inflatedMiB * 1024 * 1024 - 4, 4); // end-of-file offset
  header.writeUInt32LE(0x151, 8); // version
  header.writeUInt32LE(0x100 - 0x34, 0x34); // data offset
  const gz = createGzip({ level: 9 });
  const out = createWriteStream(path);
  gz.pipe(out);
  gz.write(header);
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < inflatedMiB; i++) if (!gz.write(zeros)) await once(gz, 'drain');
  gz.end();
  await once(out, 'finish');
}

/** `loud` s of noise then `quiet` s of silence, VBR, no Xing/Info header: probed as much shorter. */
export async function writeVbrWithoutHeader(path: string, loud: number, quiet: number): Promise<void> {
  await ffmpeg([
    '-f', 'lavfi', '-i', `anoisesrc=d=${loud}:a=0.9:r=44100`,
    '-f', 'lavfi', '-i', `anullsrc=d=${quiet}:r=44100:cl=mono`,
    '-filter_complex', '[0][1]concat=n=2:v=0:a=1',
    '-c:a', 'libmp3lame', '-q:a', '0', '-write_xing', '0', '-y', path,
  ]);
}
