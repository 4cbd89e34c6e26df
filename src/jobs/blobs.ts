// Files that cross between the bot and workers, which may run on different machines with nothing shared
// but Redis: a rendered video and contact sheet going back, a Slack private file going out. Each is one
// Redis string with an expiry, deleted by the side that consumes it.
import { readFile, writeFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { BlobRef } from './jobs.types.js';
import { keys, VISUALIZE_QUEUE } from './queue.js';
import type { QueueName } from './queue.js';

export const BLOB_TTL_S = 6 * 3600;

export class BlobStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly queue: QueueName = VISUALIZE_QUEUE,
  ) {}

  async putFile(jobId: string, name: string, path: string, contentType: string): Promise<BlobRef> {
    return this.putBuffer(jobId, name, await readFile(path), contentType);
  }

  async putBuffer(jobId: string, name: string, data: Buffer, contentType: string): Promise<BlobRef> {
    const key = keys.blob(this.prefix, jobId, name, this.queue);
    await this.redis.set(key, data, 'EX', BLOB_TTL_S);
    return { key, name, bytes: data.length, contentType };
  }

  /** The blob's bytes; throws when it expired or was already consumed. */
  async get(ref: Pick<BlobRef, 'key'>): Promise<Buffer> {
    const data = await this.redis.getBuffer(ref.key);
    if (!data) throw new Error(`result file ${ref.key} is gone (expired or already delivered)`);
    return data;
  }

  async saveTo(ref: Pick<BlobRef, 'key'>, path: string): Promise<void> {
    await writeFile(path, await this.get(ref));
  }

  async remove(...refs: Pick<BlobRef, 'key'>[]): Promise<void> {
    if (refs.length) await this.redis.del(...refs.map((r) => r.key));
  }
}
