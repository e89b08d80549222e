import pino from 'pino';
import type { Logger } from './logger.js';

/** Paths pino censors wherever they appear (fast-redact syntax; `*` is one level). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'req.headers["x-telegram-bot-api-secret-token"]',
  'headers["x-telegram-bot-api-secret-token"]',
  'env.WEBHOOK_TOKEN',
  'env.API_TOKEN',
  'env.GEMINI_API_KEY',
  'env.TELEGRAM_BOT_TOKEN',
  'env.TELEGRAM_WEBHOOK_SECRET',
];

export function createPinoLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' }, base: { service: 'infraai' } },
    destination,
  );
}

export function asLogger(p: pino.Logger): Logger {
  return p as unknown as Logger;
}
