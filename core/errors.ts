/**
 * One error type, one code → status map, one response shape for the whole worker:
 * `{"error": {"code", "message", "issues": [{"path", "message"}]}}`.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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
} as const satisfies Record<string, ContentfulStatusCode>;

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

function clip(text: string, max: number): string {
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

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export function errorResponse(c: Context, error: ApiError): Response {
  const issues = error.issues.slice(0, ERROR_LIMITS.issues).map((i) => ({ path: clip(i.path, ERROR_LIMITS.path), message: clip(i.message, ERROR_LIMITS.issueMessage) }));
  const omitted = error.issues.length - issues.length;
  const body: ErrorBody = { error: { code: error.code, message: clip(error.message, ERROR_LIMITS.message), issues, ...(omitted > 0 ? { issuesOmitted: omitted } : {}) } };
  // Errors are never cached; security headers as on every response (middleware/securityHeaders.ts).
  return c.json(body, error.status, { ...error.headers, 'cache-control': 'no-store' });
}

/** `app.onError`: known errors keep their code; anything else is logged and becomes a JSON 500. */
export const handleError: ErrorHandler = (err, c) => {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) return errorResponse(c, fromHttpException(err));
  console.error(`[worker] unhandled error on ${c.req.method} ${c.req.path}:`, err);
  return errorResponse(c, new ApiError('internal_error', 'internal error'));
};

export const handleNotFound: NotFoundHandler = (c) =>
  errorResponse(c, new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`));

/** A handler for the other methods of a known path. */
export function methodNotAllowed(allowed: readonly string[]) {
  return function methodNotAllowed(c: Context): Response {
    return errorResponse(
      c,
      new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}`, {
        headers: { Allow: allowed.join(', ') },
      }),
    );
  };
}

function fromHttpException(err: HTTPException): ApiError {
  const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((k) => ERROR_STATUS[k] === err.status);
  return new ApiError(code ?? 'internal_error', code ? err.message || code : 'internal error');
}
