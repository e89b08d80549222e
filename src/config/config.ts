import path from 'node:path';
import { EnvSchema, type Env } from './env.js';
import { AppError } from '../shared/errors.js';

export interface Config {
  env: Env;
  /** Absolute paths resolved against the working directory at start-up. */
  databasePath: string;
  runsDir: string;
  policyFile: string | undefined;
}

/** One line per problem, each naming the variable, so an operator fixes everything in one go. */
export function formatIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string[] {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}

/**
 * Reads the configuration from an environment map.
 * @throws AppError ERR_CONFIG listing every invalid variable at once.
 */
export function loadConfig(source: Record<string, string | undefined>, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = formatIssues(parsed.error.issues);
    throw new AppError('ERR_CONFIG', `invalid configuration:\n  ${lines.join('\n  ')}`, { details: lines });
  }
  const env = parsed.data;
  if (env.TELEGRAM_BOT_TOKEN !== undefined && (env.TELEGRAM_CHAT_ID === undefined || env.TELEGRAM_CHAT_ID === '')) {
    throw new AppError('ERR_CONFIG', 'invalid configuration:\n  TELEGRAM_CHAT_ID: required when TELEGRAM_BOT_TOKEN is set');
  }
  return {
    env,
    databasePath: env.DATABASE_PATH === ':memory:' ? ':memory:' : path.resolve(cwd, env.DATABASE_PATH),
    runsDir: path.resolve(cwd, env.RUNS_DIR),
    policyFile: env.POLICY_FILE === undefined ? undefined : path.resolve(cwd, env.POLICY_FILE),
  };
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
