// pino JSON logs. Secrets never reach a log line: every field that could hold one is redacted.
import { pino } from 'pino';

export const redactPaths = [
  'password',
  'passphrase',
  'privateKey',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.passphrase',
  '*.privateKey',
  '*.token',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
];

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}
