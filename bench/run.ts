// npm run bench [-- name ...]: runs the benchmarks and prints one JSON object of measured figures.
// Each bench/<name>.bench.ts exports run(): Promise<Record<string, unknown>>. Speed goals live here, never in tests.
import { cpus, totalmem } from 'node:os';

const ALL = ['ingest', 'workers', 'audio', 'beats', 'visual', 'model', 'embed', 'index', 'visualize', 'cuts'] as const;

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : [...ALL];
const result: Record<string, unknown> = {
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 1024 ** 3), node: process.version },
  date: new Date().toISOString(),
};
for (const name of names) {
  const started = performance.now();
  try {
    const mod = (await import(`./${name}.bench.ts`)) as { run: () => Promise<Record<string, unknown>> };
    process.stderr.write(`bench ${name}...\n`);
    result[name] = { ...(await mod.run()), benchWallSeconds: Math.round((performance.now() - started) / 100) / 10 };
  } catch (err) {
    result[name] = { error: err instanceof Error ? err.message : String(err) };
  }
}
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
