#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so there is no build step between a clone and a run.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
