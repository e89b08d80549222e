/**
 * The one registry of error codes. Every error the service reports carries one of these codes;
 * the HTTP layer maps them to a status here and nowhere else.
 */
export const ERROR_STATUS = {
  ERR_VALIDATION: 400,
  ERR_BAD_REQUEST: 400,
  ERR_UNAUTHORIZED: 401,
  ERR_WEBHOOK_UNAUTHORIZED: 401,
  ERR_FORBIDDEN: 403,
  /** A browser request from another site (Origin / Sec-Fetch-Site) to a mutating route. */
  ERR_CROSS_SITE: 403,
  /** The Host header names a host this service does not answer for (DNS rebinding, misrouting). */
  ERR_HOST_NOT_ALLOWED: 421,
  ERR_NOT_FOUND: 404,
  ERR_DEPLOYMENT_NOT_FOUND: 404,
  ERR_ACTION_NOT_FOUND: 404,
  ERR_DECISION_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_APPROVAL_ALREADY_DECIDED: 409,
  ERR_APPROVAL_EXPIRED: 409,
  ERR_ACTION_OBSOLETE: 409,
  ERR_DEPLOYMENT_LOCKED: 409,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  /** Node's HTTP parser refused the request head (answered by the clientError handler). */
  ERR_HEADERS_TOO_LARGE: 431,
  ERR_REQUEST_TIMEOUT: 408,
  ERR_PLAN_GATE: 422,
  ERR_POLICY_BLOCKED: 422,
  ERR_HCL_EDIT: 422,
  ERR_INVALID_RUN_ID: 400,
  ERR_RATE_LIMITED: 429,
  ERR_INTERNAL: 500,
  ERR_CONFIG: 500,
  ERR_DATABASE: 500,
  ERR_TERRAFORM: 502,
  ERR_TERRAFORM_MISSING: 500,
  ERR_TERRAFORM_TIMEOUT: 504,
  ERR_LLM: 502,
  ERR_TELEGRAM: 502,
  ERR_OVERLOADED: 503,
  /** The database refused a write (disk full, locked too long): retryable, never a 2xx. */
  ERR_STORE_UNAVAILABLE: 503,
  ERR_INCIDENT_NOT_FOUND: 404,
  ERR_SHUTTING_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** A message for any thrown value, without assuming it is an Error. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
