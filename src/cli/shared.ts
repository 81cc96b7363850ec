// What every command does first: read the settings, or say plainly what is wrong with them.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DovetailError, messageOf } from '../errors.js';

export function settingsOrExplain(file: string): Config | null {
  try {
    return loadConfig(file);
  } catch (err) {
    process.stderr.write(`dovetail: ${err instanceof DovetailError ? err.message : messageOf(err)}\n`);
    return null;
  }
}

export function explain(err: unknown): number {
  process.stderr.write(`dovetail: ${messageOf(err)}\n`);
  return 1;
}
