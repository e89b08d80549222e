/**
 * Which Host names and browser origins this service answers for. Pure: no Fastify here, so the
 * rules are tested on their own and applied by site-guard.ts.
 *
 * Why: a DNS-rebinding page (evil.example re-pointed at 127.0.0.1) makes the victim's browser send
 * requests that carry `Host: evil.example`; refusing every name the operator did not configure
 * defeats it, whatever the network path. IP literals cannot be rebound, but only loopback and the
 * bind address are accepted without being listed, so the rule stays one list an operator can read.
 */

export interface HostRules {
  /** Lower-case host names (no port) accepted besides the loopback names. */
  readonly names: ReadonlySet<string>;
  /** Serialized origins (scheme://host[:port]) accepted on mutating requests besides http://<Host>. */
  readonly origins: ReadonlySet<string>;
}

export interface HostRuleSources {
  /** PUBLIC_URL: its host is accepted and its origin may post (a TLS proxy in front). */
  publicUrl?: string | undefined;
  /** ALLOWED_HOSTS. */
  allowedHosts?: readonly string[];
  /** Other URLs the service is reached at (TELEGRAM_WEBHOOK_URL): their hosts are accepted. */
  extraUrls?: ReadonlyArray<string | undefined>;
  /** HOST, the bind address: accepted when it is one concrete address (not 0.0.0.0 / ::). */
  bindHost?: string | undefined;
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Builds the rules from configuration. Invalid URLs were refused by the config schema already. */
export function hostRules(s: HostRuleSources): HostRules {
  const names = new Set<string>((s.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const origins = new Set<string>();
  if (s.publicUrl !== undefined) {
    const u = new URL(s.publicUrl);
    names.add(u.hostname.toLowerCase());
    origins.add(u.origin);
  }
  for (const url of s.extraUrls ?? []) if (url !== undefined) names.add(new URL(url).hostname.toLowerCase());
  if (s.bindHost !== undefined && !WILDCARD_BINDS.has(s.bindHost)) {
    names.add(
      s.bindHost.includes(':') && !s.bindHost.startsWith('[')
        ? `[${s.bindHost.toLowerCase()}]`
        : s.bindHost.toLowerCase(),
    );
  }
  return { names, origins };
}

export interface ParsedHost {
  /** Lower-case name; IPv6 keeps its brackets. */
  name: string;
  port: string | undefined;
}

const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/;

/** Parses a Host header strictly (no user info, path, spaces or lists); undefined when malformed. */
export function parseHost(header: string | undefined): ParsedHost | undefined {
  if (header === undefined) return undefined;
  const m = HOST_HEADER.exec(header.toLowerCase());
  if (!m) return undefined;
  const port = m[2];
  if (port !== undefined && Number(port) > 65_535) return undefined;
  return { name: m[1] as string, port };
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const LOOPBACK_V4 = new RegExp(`^127\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** localhost, 127.0.0.0/8 in canonical dotted form, or [::1]. */
export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || LOOPBACK_V4.test(name);
}

/** Why a Host header is refused, or undefined when this service answers for it. */
export function hostProblem(header: string | undefined, rules: HostRules): string | undefined {
  if (header === undefined || header === '') return 'the request has no Host header';
  const parsed = parseHost(header);
  if (parsed === undefined) return `malformed Host header ${quote(header)}`;
  if (isLoopbackName(parsed.name) || rules.names.has(parsed.name)) return undefined;
  return (
    `this service does not answer for Host ${quote(header)}: only loopback names and the hosts of PUBLIC_URL and ` +
    'ALLOWED_HOSTS are accepted (set one of them if this is your name for the service)'
  );
}

/**
 * True when a browser page at `origin` is this service itself: the exact origin of PUBLIC_URL, or
 * plain-http on exactly the host and port the request was sent to. Another port on the same host
 * is another origin (another local app), and so is https on our plain-http port.
 */
export function originAllowed(origin: string, hostHeader: string | undefined, rules: HostRules): boolean {
  if (rules.origins.has(origin)) return true;
  const host = parseHost(hostHeader);
  if (host === undefined) return false;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file://, cross-origin redirects) lands here
  }
  if (u.origin !== origin || u.protocol !== 'http:') return false;
  const expected = host.port === undefined || host.port === '80' ? host.name : `${host.name}:${host.port}`;
  return u.host === expected;
}

/** Header values echoed in messages are bounded and quoted. */
function quote(v: string): string {
  return JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…` : v);
}
