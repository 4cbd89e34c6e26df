// The lifecycle's ports in memory, for unit tests of intake, cancel, progress and delivery without Redis.
// Faults are injected per call (`fail`), so each test says exactly what breaks.
import { writeFile } from 'node:fs/promises';
import { UserError } from '../../src/core/errors.js';
import type { BlobsPort, ClaimsPort, LifecyclePorts, LimitsPort, QueuedJob, QueuePort } from '../../src/bots/lifecycle.ports.js';
import type { VisualizeJobData, VisualizeJobResult } from '../../src/jobs/jobs.types.js';
import type { LimitSubject } from '../../src/jobs/limits.js';

function throwOnce<K extends 'failAdd' | 'failGet' | 'failCancel'>(q: Partial<Record<K, Error>>, key: K): void {
  const e = q[key];
  if (!e) return;
  delete q[key];
  throw e;
}

export class MemoryQueue<D = VisualizeJobData, R = VisualizeJobResult> implements QueuePort<D, R> {
  readonly jobs = new Map<string, QueuedJob<D, R>>();
  /** throws this on the next add (a fault), once */
  failAdd?: Error;
  async add(jobId: string, data: D, maxWaiting: number): Promise<'added' | 'full'> {
    throwOnce(this, 'failAdd');
    if ((await this.waitingCount()) >= maxWaiting) return 'full';
    this.jobs.set(jobId, { data, state: 'waiting' });
    return 'added';
  }
  async waitingCount(): Promise<number> {
    return [...this.jobs.values()].filter((j) => j.state === 'waiting').length;
  }
  /** throws this on the next get or requestCancel (a fault), once */
  failGet?: Error;
  failCancel?: Error;
  async get(jobId: string): Promise<QueuedJob<D, R> | undefined> {
    throwOnce(this, 'failGet');
    return this.jobs.get(jobId);
  }
  async removeWaiting(jobId: string): Promise<boolean> {
    if (this.jobs.get(jobId)?.state !== 'waiting') return false;
    return this.jobs.delete(jobId);
  }
  async waitingOrder(): Promise<string[]> {
    return [...this.jobs].filter(([, j]) => j.state === 'waiting').map(([id]) => id);
  }
  readonly cancelled: string[] = [];
  async requestCancel(jobId: string): Promise<void> {
    throwOnce(this, 'failCancel');
    this.cancelled.push(jobId);
  }
}

export class MemoryClaims implements ClaimsPort {
  readonly claimed = new Set<string>();
  readonly delivered = new Set<string>();
  readonly delivering = new Set<string>();
  lastEvent?: string;
  async claim(jobId: string): Promise<boolean> {
    if (this.claimed.has(jobId)) return false;
    this.claimed.add(jobId);
    return true;
  }
  async isDelivered(jobId: string): Promise<boolean> {
    return this.delivered.has(jobId);
  }
  async beginDelivery(jobId: string): Promise<boolean> {
    if (this.delivering.has(jobId)) return false;
    this.delivering.add(jobId);
    return true;
  }
  async endDelivery(jobId: string, delivered: boolean): Promise<void> {
    if (delivered) this.delivered.add(jobId);
    this.delivering.delete(jobId);
  }
  async setLastEvent(id: string): Promise<void> {
    this.lastEvent = id;
  }
}

export class MemoryBlobs implements BlobsPort {
  readonly blobs = new Map<string, Buffer>();
  async putInput(jobId: string, data: Buffer): Promise<string> {
    const key = this.inputKey(jobId);
    this.blobs.set(key, data);
    return key;
  }
  inputKey(jobId: string): string {
    return `blob:${jobId}:input`;
  }
  async saveTo(ref: { key: string }, path: string): Promise<void> {
    const data = this.blobs.get(ref.key);
    if (!data) throw new Error(`blob ${ref.key} is gone`);
    await writeFile(path, data);
  }
  async remove(...keys: string[]): Promise<void> {
    for (const k of keys) this.blobs.delete(k);
  }
}

export class MemoryLimits implements LimitsPort {
  readonly users = new Map<string, Set<string>>();
  readonly servers = new Map<string, Set<string>>();
  constructor(
    private readonly perUser = 1,
    private readonly perServer = 3,
  ) {}
  async acquire(s: LimitSubject): Promise<void> {
    const u = this.users.get(`${s.platform}:${s.userId}`) ?? new Set();
    const g = this.servers.get(`${s.platform}:${s.serverId}`) ?? new Set();
    if (u.size >= this.perUser) throw new UserError('RATE_LIMITED', 'You already have a video in progress; wait for it to finish (or cancel it).');
    if (g.size >= this.perServer) throw new UserError('RATE_LIMITED', 'This server already has several videos in progress; try again in a few minutes.');
    u.add(s.jobId);
    g.add(s.jobId);
    this.users.set(`${s.platform}:${s.userId}`, u);
    this.servers.set(`${s.platform}:${s.serverId}`, g);
  }
  async release(s: LimitSubject): Promise<void> {
    this.users.get(`${s.platform}:${s.userId}`)?.delete(s.jobId);
    this.servers.get(`${s.platform}:${s.serverId}`)?.delete(s.jobId);
  }
  inFlight(): number {
    return [...this.users.values()].reduce((a, s) => a + s.size, 0);
  }
}

export interface MemoryPorts<D = VisualizeJobData, R = VisualizeJobResult> extends LifecyclePorts<D, R> {
  queue: MemoryQueue<D, R>;
  claims: MemoryClaims;
  blobs: MemoryBlobs;
  limits: MemoryLimits;
}

export const memoryPorts = <D = VisualizeJobData, R = VisualizeJobResult>(perUser = 1, perServer = 3): MemoryPorts<D, R> => ({
  queue: new MemoryQueue<D, R>(),
  claims: new MemoryClaims(),
  blobs: new MemoryBlobs(),
  limits: new MemoryLimits(perUser, perServer),
});
