#!/usr/bin/env node
// Node 20's test runner takes no globs: find the test files here and hand them over.
// Usage: node scripts/run-tests.mjs [unit|integration|all] [extra node --test args]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tier = process.argv[2] ?? 'all';
const dirs = tier === 'all' ? ['tests/unit', 'tests/integration'] : [`tests/${tier}`];
const files = [];
const walk = (dir) => {
  let names = [];
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
dirs.forEach(walk);
if (files.length === 0) {
  console.error(`no test files under ${dirs.join(', ')}`);
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...process.argv.slice(3), ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
