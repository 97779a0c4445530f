/**
 * One error type, one code → status map, one response shape for the whole worker (and the browser
 * library, which throws the same errors); the Hono handlers that render it are worker/errors.ts:
 * `{"error": {"code", "message", "issues": [{"path", "message"}]}}`.
 */

export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  unsupported_media_type: 415,
  over_budget: 422,
  unscorable_request: 422,
  unauthorized: 401,
  rate_limited: 429,
  internal_error: 500,
  model_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem with the request; `path` names the field, dot-separated (`candidates.3.item`). */
export interface ErrorIssue {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues: ErrorIssue[]; issuesOmitted?: number };
}

/**
 * An error body is never much larger than what caused it: a message is cut at 300 characters, an
 * issue's path and message at 200, and at most 20 issues are listed (`issuesOmitted` says how many
 * more there were). Values a client sent (a content type, an unknown key) are echoed only inside
 * these bounds.
 */
export const ERROR_LIMITS = { message: 300, path: 200, issueMessage: 200, issues: 20 } as const;

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { issues?: ErrorIssue[]; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.issues = options.issues ?? [];
    this.headers = options.headers ?? {};
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

