// Runs one ingest in a process where onnxruntime cannot load (an injected loader failure), so a test can
// read everything that process logged. Usage: node --import tsx tests/helpers/ingest-no-ort.ts <library> <input>
import { setOrtLoader } from '../../src/onnx/runtime.js';
import { ingest } from '../../src/library/ingest.js';

setOrtLoader(() => Promise.reject(new Error('simulated: libonnxruntime.so cannot be loaded')));
const [library, input] = process.argv.slice(2);
const s = await ingest({ libraryDir: library!, inputs: [input!], threads: 2, clipSeconds: 2 });
process.stdout.write(JSON.stringify({ clipsAdded: s.clipsAdded, skipped: s.skipped }) + '\n');
