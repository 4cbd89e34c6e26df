// The index build lock: one holder at a time; a lock left by a dead process or untouched for too long is
// taken over; a waiter gets it when the holder releases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { isUserError } from '../../src/core/errors.js';
import { acquireBuildLock, LOCK_FILE } from '../../src/index/build-lock.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'clipmatch-idxlock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

void test('one holder at a time; the lock file says who holds it', async (t) => {
  const dir = tmp(t);
  const a = await acquireBuildLock(dir);
  const info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { host: string; pid: number };
  assert.deepEqual([info.host, info.pid], [hostname(), process.pid]);
  assert.ok(a.held());
  await assert.rejects(acquireBuildLock(dir), (e: unknown) => isUserError(e) && e.code === 'BUSY' && new RegExp(`${hostname()} pid ${process.pid}`).test(e.message));
  a.touch();
  a.release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  const b = await acquireBuildLock(dir);
  assert.ok(b.held());
  b.release();
});

void test('a waiter gets the lock once the holder releases it', async (t) => {
  const dir = tmp(t);
  const a = await acquireBuildLock(dir);
  const waiting = acquireBuildLock(dir, { wait: true, pollMs: 5 });
  a.release();
  const b = await waiting;
  assert.ok(b.held());
  b.release();
  const ac = new AbortController();
  const c = await acquireBuildLock(dir);
  const cancelled = acquireBuildLock(dir, { wait: true, pollMs: 60_000, signal: ac.signal });
  ac.abort();
  await assert.rejects(cancelled, (e: unknown) => isUserError(e) && e.code === 'CANCELLED');
  c.release();
});

void test('a lock of a dead process on this host is taken over', async (t) => {
  const dir = tmp(t);
  const child = spawn(process.execPath, ['-e', '']);
  const [code] = (await once(child, 'exit')) as [number];
  assert.equal(code, 0);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: hostname(), pid: child.pid, startedAt: new Date().toISOString(), token: 'dead' }));
  const l = await acquireBuildLock(dir);
  assert.ok(l.held());
  l.release();
});

void test('a lock nobody touched for staleMs is taken over (another host cannot be asked); its old holder sees it lost it', async (t) => {
  const dir = tmp(t);
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, JSON.stringify({ host: 'elsewhere', pid: 1, startedAt: '2025-01-01T00:00:00Z', token: 'far' }));
  await assert.rejects(acquireBuildLock(dir, { staleMs: 60_000 }), /elsewhere pid 1/);
  const old = new Date(Date.now() - 120_000);
  utimesSync(path, old, old);
  const first = await acquireBuildLock(dir, { staleMs: 60_000 });
  assert.ok(first.held());
  // first's holder stalls; second judges it stale and takes over; first notices and leaves the file alone
  utimesSync(path, old, old);
  const second = await acquireBuildLock(dir, { staleMs: 60_000 });
  assert.equal(first.held(), false);
  first.release();
  assert.ok(second.held());
  second.release();
  assert.equal(existsSync(path), false);
});
