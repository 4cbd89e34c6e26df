// One command-line entry for every pipeline. Each subcommand lives in src/cli/<name>.command.ts and
// registers itself on the program; this file only wires them and turns errors into exit codes.
import { Command, CommanderError } from 'commander';
import { ConfigError } from './config.js';
import { isUserError } from './core/errors.js';
import { MediaError } from './media/ffmpeg.js';
import { registerIngest, registerLibrary } from './cli/ingest.command.js';
import { registerIndex } from './cli/index.command.js';
import { registerMatch } from './cli/match.command.js';
import { registerVisualize } from './cli/visualize.command.js';
import { registerTrain } from './cli/train.command.js';
import { registerEval } from './cli/eval.command.js';
import { registerDemo } from './cli/demo.command.js';
import { registerAnalyze } from './cli/analyze.command.js';

const program = new Command('clipmatch')
  .description('Give music a video: match songs to library clips and stitch them into a music video')
  .showHelpAfterError()
  .exitOverride();

registerIngest(program);
registerLibrary(program);
registerIndex(program);
registerMatch(program);
registerVisualize(program);
registerTrain(program);
registerEval(program);
registerDemo(program);
registerAnalyze(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else if (isUserError(err) || err instanceof ConfigError || err instanceof MediaError) {
    process.stderr.write(`clipmatch: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`clipmatch: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  }
}
