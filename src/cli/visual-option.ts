// `--visual mobilenet-v2|inception-v3`: which frame CNN ingest runs.
import { InvalidArgumentError } from 'commander';
import { CNN_NAMES, DEFAULT_CNN, type CnnName } from '../features/visual/cnn.js';
import { isCnnName } from '../features/visual/extractors.js';

export const VISUAL_OPTION_HELP = `frame CNN for the visual features: ${CNN_NAMES.join(' or ')} (default: the library's, else ${DEFAULT_CNN})`;

export function parseVisualOption(value: string): CnnName {
  if (!isCnnName(value)) throw new InvalidArgumentError(`expected ${CNN_NAMES.join(' or ')}`);
  return value;
}
