// A small pool of worker threads, one per core by default, for CPU-heavy per-clip work (CNN inference,
// DSP) so the main thread stays free for I/O and progress. A worker that dies fails only its own task and
// is replaced.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const BOOT = fileURLToPath(new URL('./worker-boot.mjs', import.meta.url));

interface Pending<O> {
  resolve: (v: O) => void;
  reject: (e: Error) => void;
}
interface Task<I, O> extends Pending<O> {
  input: I;
  transfer: ArrayBuffer[];
}

export class WorkerPool<I, O> {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending<O>>();
  private readonly queue: Array<Task<I, O>> = [];
  private closed = false;
  readonly size: number;

  constructor(
    private readonly entry: string,
    size = 0,
  ) {
    this.size = size > 0 ? size : Math.max(1, availableParallelism());
    for (let i = 0; i < this.size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(BOOT, { workerData: { entry: this.entry } });
    w.on('message', (msg: { ok: true; value: O } | { ok: false; error: string }) => {
      const p = this.busy.get(w);
      this.busy.delete(w);
      this.idle.push(w);
      if (p) {
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new Error(msg.error));
      }
      this.pump();
    });
    w.on('error', (err) => this.lost(w, err));
    w.on('exit', (code) => {
      if (!this.closed) this.lost(w, new Error(`worker exited with code ${code}`));
    });
    return w;
  }

  private lost(w: Worker, err: Error): void {
    const p = this.busy.get(w);
    this.busy.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
    p?.reject(err);
    if (!this.closed) {
      this.idle.push(this.spawn());
      this.pump();
    }
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const t = this.queue.shift()!;
      this.busy.set(w, t);
      w.postMessage(t.input, t.transfer);
    }
  }

  run(input: I, transfer: ArrayBuffer[] = []): Promise<O> {
    if (this.closed) return Promise.reject(new Error('pool is closed'));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, transfer, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('pool closed'));
    const all = [...this.idle, ...this.busy.keys()];
    await Promise.all(all.map((w) => w.terminate()));
  }
}
