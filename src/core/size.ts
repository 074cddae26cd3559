import { HoldfastError } from './errors.js';

const UNIT_BYTES: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

/** Parses `50MB`, `512k`, `1.5G`, `4096` (bytes); units are powers of 1024, case does not matter. */
export function parseSize(text: string, field = 'size'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNIT_BYTES[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new HoldfastError(
      'EUSAGE',
      `${field}: expected a size like 50MB, 512KB or 1GB, got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}
