// Signed-in technicians: a random token in an HttpOnly, SameSite=Strict cookie maps to the name that signed in.
// Sessions live in memory only (a restart signs everyone out) and end `ttlMs` after their last request. Time is the
// caller's clock, so expiry is tested with fake timers.
import { randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'gate_console';

export interface Session {
  user: string;
  token: string;
  lastSeenMs: number;
}

export class Sessions {
  private readonly byToken = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  open(user: string): Session {
    this.sweep();
    const s = { user, token: randomBytes(32).toString('base64url'), lastSeenMs: this.now() };
    this.byToken.set(s.token, s);
    return s;
  }

  /** The live session of `token` (its idle time starts again), or null when unknown or expired. */
  touch(token: string | undefined): Session | null {
    if (!token) return null;
    const s = this.byToken.get(token);
    if (!s) return null;
    const now = this.now();
    if (now - s.lastSeenMs > this.ttlMs) {
      this.byToken.delete(token);
      return null;
    }
    s.lastSeenMs = now;
    return s;
  }

  /** Whether `token` is still live, without extending it (the live stream must not keep a session open forever). */
  alive(token: string): boolean {
    const s = this.byToken.get(token);
    return s !== undefined && this.now() - s.lastSeenMs <= this.ttlMs;
  }

  close(token: string | undefined): void {
    if (token) this.byToken.delete(token);
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, s] of this.byToken) if (now - s.lastSeenMs > this.ttlMs) this.byToken.delete(t);
  }
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
