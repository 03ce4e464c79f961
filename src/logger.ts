import { pino, type Logger } from 'pino';

/** JSON lines to stdout; secrets that may appear in objects are redacted by path. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'herald' },
    redact: { paths: ['*.secret', '*.password', '*.pass', '*.auth_token', '*.private_key', '*.api_secret', 'req.headers.authorization'], censor: '[redacted]' },
  });
}
