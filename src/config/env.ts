import { z } from 'zod';

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const intFrom = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** A DNS name, a dotted IPv4 address or a bracketed IPv6 address; lower-cased by the csv parser's caller. */
const HOST_NAME =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])$/i;

/** Every environment variable the service reads, with its default. README's table mirrors this. */
export const EnvSchema = z.object({
  PORT: intFrom(8080, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_PATH: z.string().min(1).default('./data/infraai.sqlite'),
  RUNS_DIR: z.string().min(1).default('./terraform-runs'),
  TERRAFORM_BIN: z.string().min(1).default('terraform'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WEBHOOK_TOKEN: optionalSecret,
  API_TOKEN: optionalSecret,
  /** Grants every read route and nothing else; needs API_TOKEN (checked in config.ts). */
  READ_TOKEN: optionalSecret,
  /** Where people and Telegram reach the service (scheme://host[:port]); its host and origin are accepted. */
  // Empty counts as unset (docker-compose passes `${PUBLIC_URL:-}` through).
  PUBLIC_URL: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://infraai.example.com' }).optional(),
  ),
  /** Further Host names (no scheme, no port) the service answers for besides loopback and PUBLIC_URL. */
  ALLOWED_HOSTS: csv.pipe(
    z.array(
      z
        .string()
        .regex(HOST_NAME, 'must be host names or IP addresses without scheme or port (e.g. infraai.internal,10.0.0.5)'),
    ),
  ),
  /** Failed authentications per client address and window before 429 (correct tokens are never limited). */
  AUTH_FAIL_LIMIT: intFrom(30, 1, 1_000_000),
  AUTH_FAIL_WINDOW_SECONDS: intFrom(60, 1, 86_400),
  POLICY_FILE: optionalSecret,
  // Same list as DEFAULT_RESOURCE_LABELS in src/alerts/normalise.ts (config may not import alerts/).
  RESOURCE_LABELS: csv.transform((v) =>
    v.length > 0
      ? v
      : [
          'resource_id',
          'resource',
          'cluster/pool',
          'pool',
          'namespace/deployment',
          'deployment',
          'autoscaling_group',
          'cluster/service',
          'service',
          'instance',
        ],
  ),
  TF_LOCK_TIMEOUT_SECONDS: intFrom(60, 0, 3600),
  TF_INIT_TIMEOUT: intFrom(300, 1, 86_400),
  TF_PLAN_TIMEOUT: intFrom(600, 1, 86_400),
  TF_APPLY_TIMEOUT: intFrom(1800, 1, 86_400),
  APPROVAL_TTL_SECONDS: intFrom(900, 10, 7 * 86_400),
  FIX_MAX_ATTEMPTS: intFrom(3, 0, 10),
  VERIFY_WINDOW_SECONDS: intFrom(900, 1, 7 * 86_400),
  /** Prometheus' base URL (scheme://host[:port][/route-prefix]); verification's second signal when set. */
  PROMETHEUS_URL: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:9090' }).optional(),
  ),
  /** How long an alert's expression must answer an empty vector before it counts as recovered. */
  PROMETHEUS_HOLD_SECONDS: intFrom(60, 0, 86_400),
  PROMETHEUS_TIMEOUT_MS: intFrom(5_000, 100, 60_000),
  GEMINI_API_KEY: optionalSecret,
  GEMINI_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  GEMINI_BASE_URL: z.url().optional(),
  GEMINI_TIMEOUT_MS: intFrom(20_000, 100, 600_000),
  GEMINI_MAX_RETRIES: intFrom(2, 0, 10),
  TELEGRAM_BOT_TOKEN: optionalSecret,
  TELEGRAM_CHAT_ID: z.string().optional(),
  TELEGRAM_ALLOWED_CHAT_IDS: csv.pipe(
    z.array(
      z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, 'must be numeric Telegram chat ids or @usernames'),
    ),
  ),
  TELEGRAM_ALLOWED_USER_IDS: csv.pipe(z.array(z.string().regex(/^\d+$/, 'must be numeric Telegram user ids'))),
  TELEGRAM_API_ROOT: z.url().optional(),
  TELEGRAM_WEBHOOK_URL: z.url().optional(),
  TELEGRAM_WEBHOOK_SECRET: optionalSecret.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1-256 characters of A-Z a-z 0-9 _ -')
      .optional(),
  ),
  WEBHOOK_MAX_PENDING: intFrom(10_000, 1, 10_000_000),
});

export type Env = z.infer<typeof EnvSchema>;

/** Names of variables holding secrets; used to keep them out of logs and `doctor` output. */
export const SECRET_ENV = [
  'WEBHOOK_TOKEN',
  'API_TOKEN',
  'READ_TOKEN',
  'GEMINI_API_KEY',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
] as const;
