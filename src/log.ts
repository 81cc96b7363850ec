// One pino logger for the process. Secrets never reach it: config is redacted before logging,
// and these paths are censored in case a caller passes a raw object.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.DOVETAIL_LOG_LEVEL ?? 'info', destination?: NodeJS.WritableStream): Logger {
  return pino({
    level,
    base: undefined,
    redact: { paths: ['password', '*.password', 'token', '*.token', 'webhookSecret', '*.webhookSecret', 'authorization', '*.authorization'], censor: '(hidden)' },
  }, destination as pino.DestinationStream | undefined);
}
