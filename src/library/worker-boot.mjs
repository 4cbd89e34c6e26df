// Worker threads do not inherit the tsx loader of the main thread: register it here, then load the
// TypeScript entry named in workerData.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
