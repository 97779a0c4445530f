/**
 * The worker's side of the one error shape (core/errors.ts): rendering an ApiError as a response,
 * `app.onError`, `notFound` and 405s.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiError, clip, ERROR_LIMITS, ERROR_STATUS, type ErrorBody, type ErrorCode } from '../core/errors.js';

export { ApiError };


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
