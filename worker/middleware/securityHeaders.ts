/**
 * Headers every response carries: `X-Content-Type-Options: nosniff` (a JSON body is never sniffed
 * into something executable), `Referrer-Policy: no-referrer`, and on HTML (none today; the demo
 * page of the browser issue will be) a strict `Content-Security-Policy`.
 */
import type { MiddlewareHandler } from 'hono';

export const STRICT_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('referrer-policy', 'no-referrer');
    if (c.res.headers.get('content-type')?.startsWith('text/html') && !c.res.headers.has('content-security-policy')) {
      c.res.headers.set('content-security-policy', STRICT_CSP);
    }
  };
}
