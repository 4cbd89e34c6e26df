// The index job suite again with the catalogue in PostgreSQL (the real server, a random schema dropped
// afterwards): the catalogue is chosen by DATABASE_URL at open, so the suite runs in a child process
// with it set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { testSchema } from '../helpers/pg.js';

const SUITE = fileURLToPath(new URL('./index-job.test.ts', import.meta.url));

void test('the index job suite passes with a PostgreSQL catalogue', async (t) => {
  const s = testSchema('idx');
  t.after(() => s.drop());
  // run as a plain script (a test file runs its own tests); without the parent's runner context
  const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', '--test-reporter=tap', SUITE], {
    env: { ...env, DATABASE_URL: s.url, CLIPMATCH_DB_SCHEMA: s.schema, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, out.slice(-4000));
  assert.match(out, /# pass 2/);
  assert.match(out, /# fail 0/);
});
