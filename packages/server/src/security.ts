import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";

/** What the server accepts requests from. */
export interface SecurityOptions {
  /** Required as `Authorization: Bearer <token>` or `x-api-key: <token>` (the SDK's `apiKey`). */
  readonly token?: string | undefined;
  /** Host names (without port) requests may address; loopback names are always allowed. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Origins (`https://app.example.com`) allowed cross-origin, with CORS headers. Default: none. */
  readonly corsOrigins?: readonly string[] | undefined;
}

const LOOPBACK = ["127.0.0.1", "localhost", "[::1]", "::1"];

/** Whether a bind address is loopback-only (the token is optional there). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const json = (c: Context, status: 401 | 403, error: string, message: string) => c.json({ error, message }, status);

/**
 * A request header (`name` in lower case). On @hono/node-server it is read from Node's parsed
 * headers (`c.env.incoming`), which costs nothing; `c.req.header()` first builds a web `Headers` of
 * every header of the request. Elsewhere (`app.request()`, other runtimes) it is `c.req.header()`.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const headers = (c.env as { incoming?: { headers?: unknown } } | undefined)?.incoming?.headers as Record<string, string | string[] | undefined> | undefined;
  if (headers === undefined || headers === null || typeof headers !== "object") return c.req.header(name);
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function hostnameOf(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1).toLowerCase();
  return (host.split(":")[0] ?? "").toLowerCase();
}

/**
 * DNS-rebinding protection: the Host header must name this server (loopback names, the bound
 * address, or `allowedHosts`), and a browser's Origin must be that same host or an allowed CORS
 * origin. Requests without Origin (the SDK from Node, curl) pass the Origin check.
 */
export function hostAndOrigin(options: SecurityOptions & { readonly bound: string }): MiddlewareHandler {
  const hosts = new Set([...LOOPBACK, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase()), options.bound.toLowerCase()]);
  const origins = new Set(options.corsOrigins ?? []);
  return async (c, next) => {
    const host = requestHeader(c, "host");
    if (host === undefined || !hosts.has(hostnameOf(host))) {
      return json(c, 403, "host_not_allowed", `Host ${JSON.stringify(host ?? "")} is not allowed: this server answers to ${[...hosts].join(", ")} (add a name with --allowed-host)`);
    }
    const origin = requestHeader(c, "origin");
    if (origin !== undefined && !origins.has(origin)) {
      let sameHost = false;
      try {
        const url = new URL(origin);
        sameHost = hosts.has(url.hostname.toLowerCase()) || hosts.has(`[${url.hostname.toLowerCase()}]`);
        sameHost &&= url.host.toLowerCase() === host.toLowerCase();
      } catch {
        sameHost = false;
      }
      if (!sameHost) return json(c, 403, "origin_not_allowed", `Origin ${JSON.stringify(origin)} is not allowed (allow it with --cors ${origin})`);
    }
    await next();
  };
}

const COOKIE = "blockwork_token";

/**
 * Bearer-token authentication: `Authorization: Bearer <token>`, `x-api-key: <token>`, or the
 * viewer's cookie (set by opening `/ui?token=<token>` once). `/ok` stays open for health checks.
 */
export function tokenAuth(token: string | undefined): MiddlewareHandler {
  if (token === undefined) return async (_c, next) => next();
  const expected = Buffer.from(token);
  const matches = (given: string | undefined) => {
    if (given === undefined) return false;
    const buffer = Buffer.from(given);
    return buffer.length === expected.length && timingSafeEqual(buffer, expected);
  };
  return async (c, next) => {
    const path = c.req.path;
    if (path === "/ok") return next();
    const authorization = requestHeader(c, "authorization");
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice(7).trim() : undefined;
    const cookie = requestHeader(c, "cookie")
      ?.split(";")
      .map((p) => p.trim())
      .find((p) => p.startsWith(`${COOKIE}=`))
      ?.slice(COOKIE.length + 1);
    if (matches(bearer) || matches(requestHeader(c, "x-api-key")) || matches(cookie ? decodeURIComponent(cookie) : undefined)) return next();
    const query = c.req.query("token");
    if ((path === "/ui" || path === "/ui/") && matches(query)) {
      c.header("Set-Cookie", `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
      return c.redirect("/ui", 303);
    }
    c.header("WWW-Authenticate", 'Bearer realm="blockwork"');
    return json(c, 401, "unauthorized", "a bearer token is required: send Authorization: Bearer <token> (or x-api-key; the SDK's apiKey), or open /ui?token=<token> in a browser");
  };
}
