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
  const problems = crossFieldProblems(env);
  if (problems.length > 0) {
    throw new AppError('ERR_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`, { details: problems });
  }
  return {
    env,
    databasePath: env.DATABASE_PATH === ':memory:' ? ':memory:' : path.resolve(cwd, env.DATABASE_PATH),
    runsDir: path.resolve(cwd, env.RUNS_DIR),
    policyFile: env.POLICY_FILE === undefined ? undefined : path.resolve(cwd, env.POLICY_FILE),
  };
}

/** Rules that involve more than one variable, each as one "NAME: problem" line. */
function crossFieldProblems(env: Env): string[] {
  const out: string[] = [];
  if (env.TELEGRAM_BOT_TOKEN !== undefined && (env.TELEGRAM_CHAT_ID === undefined || env.TELEGRAM_CHAT_ID === '')) {
    out.push('TELEGRAM_CHAT_ID: required when TELEGRAM_BOT_TOKEN is set');
  }
  // A read-only token without API_TOKEN would protect reads while leaving approvals open.
  if (env.READ_TOKEN !== undefined && env.API_TOKEN === undefined)
    out.push('READ_TOKEN: needs API_TOKEN (reads are only protected when writes are)');
  if (env.READ_TOKEN !== undefined && (env.READ_TOKEN === env.API_TOKEN || env.READ_TOKEN === env.WEBHOOK_TOKEN)) {
    out.push('READ_TOKEN: must differ from API_TOKEN and WEBHOOK_TOKEN');
  }
  if (env.PUBLIC_URL !== undefined) {
    const u = new URL(env.PUBLIC_URL);
    if (
      u.username !== '' ||
      u.password !== '' ||
      (u.pathname !== '/' && u.pathname !== '') ||
      u.search !== '' ||
      u.hash !== ''
    ) {
      out.push(
        `PUBLIC_URL: must be an origin only (scheme://host[:port], no path, query or credentials), got "${env.PUBLIC_URL}"`,
      );
    }
  }
  out.push(...prometheusProblems(env));
  return out;
}

function prometheusProblems(env: Env): string[] {
  if (env.PROMETHEUS_URL === undefined) return [];
  const out: string[] = [];
  const u = new URL(env.PROMETHEUS_URL);
  // Credentials in the URL would end up in logs; a query or fragment would break the /api/v1/query path.
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '') {
    out.push(
      `PROMETHEUS_URL: must be scheme://host[:port][/prefix] without credentials, query or fragment, got "${u.protocol}//${u.host}${u.pathname}…"`,
    );
  }
  if (env.PROMETHEUS_HOLD_SECONDS >= env.VERIFY_WINDOW_SECONDS) {
    out.push(
      `PROMETHEUS_HOLD_SECONDS: must be shorter than VERIFY_WINDOW_SECONDS (${env.PROMETHEUS_HOLD_SECONDS} ≥ ${env.VERIFY_WINDOW_SECONDS}), or Prometheus could never confirm a recovery in time`,
    );
  }
  return out;
}

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
