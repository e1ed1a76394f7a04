// The console's HTTP(S) server on node's own http/https (no framework: a dozen routes). Everything but the sign-in
// page, the stylesheet and the script needs a session; /metrics also answers the configured monitoring addresses
// without one. Actions are JSON POSTs with the X-Console header and, when the browser sends one, a same-host Origin:
// a page on another site cannot make a technician's browser act. Bad input gets a one-line JSON error, never a crash.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { z } from 'zod';
import type { GateDaemon } from '../daemon/gate-daemon.js';
import type { LoadedConfig } from '../config/load.js';
import { errorLine } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import { ConsoleError } from './errors.js';
import { pickLanguage, WORDS } from './i18n.js';
import { appPage, CONSOLE_CSS, loginPage } from './page.js';
import { CONSOLE_JS } from './client-script.js';
import { cookieValue, SESSION_COOKIE, Sessions, type Session } from './sessions.js';
import { verifyPassword } from './password.js';
import { LiveFeed } from './live.js';
import { GateMetrics } from './metrics.js';
import { cachePanel, configPanel, DeviceFaults, outboxPanel } from './panels.js';
import { ConsoleActions } from './actions.js';
import { SignInLimits } from './sign-in-limits.js';
import { certificateNames, HostNames } from './host-names.js';
import { consoleWarnings } from './warnings.js';

/** Request bodies above this are refused: the largest is an edited config. */
const MAX_BODY_BYTES = 256 * 1024;
/** How often the live stream sends the devices, cache and outbox panels. */
const STATUS_EVERY_MS = 2000;
/**
 * Open connections: per client address (a browser opens about 6, plus a live stream per tab) and in all. Past them a
 * new connection is closed at once, so a laptop opening thousands cannot take the file descriptors the lane's serial
 * ports, database and broker need (the console runs in the gate's own process).
 */
const MAX_CONNECTIONS_PER_ADDRESS = 16;
const MAX_CONNECTIONS = 128;
/** Live streams: per session (tabs; past it the oldest of that session is closed) and in all (past it refused). */
const MAX_STREAMS_PER_SESSION = 4;
const MAX_STREAMS = 16;
/** An evicted stream's browser waits this long before it reconnects (EventSource's retry field). */
const EVICTED_RETRY_MS = 30_000;
/** How long a new connection may stay silent (and a TLS handshake may take) before it is closed. */
const FIRST_REQUEST_MS = 10_000;
/** The browser keeps the cookie for a shift; the server ends the session itself after sessionMinutes idle. */
const COOKIE_MAX_AGE_SECONDS = 12 * 3600;

const loginForm = z.object({ user: z.string().min(1).max(32), password: z.string().min(1).max(256) });
const modeBody = z.object({ mode: z.string().max(20) }).strict();
const emptyBody = z.object({}).strict();
const configBody = z.object({ text: z.string().max(MAX_BODY_BYTES) }).strict();

export type ConsoleGate = Pick<
  GateDaemon,
  'events' | 'lane' | 'release' | 'setMode' | 'sync' | 'recordAlarm' | 'statusSnapshot' | 'db' | 'reporter'
>;

export interface ConsoleOptions {
  gate: ConsoleGate;
  loaded: LoadedConfig;
  log?: Logger;
  now?: () => number;
}

export class ConsoleServer {
  private readonly server: Server;
  private readonly sessions: Sessions;
  private readonly live: LiveFeed;
  readonly metrics: GateMetrics;
  private readonly faults: DeviceFaults;
  private readonly actions: ConsoleActions;
  private readonly signIns = new SignInLimits();
  private readonly streams = new Map<ServerResponse, string>();
  private readonly connections = new Map<string, number>();
  private connectionCount = 0;
  /** Connections that have not sent a request yet, with the timer that closes them. */
  private readonly silent = new WeakMap<Socket, NodeJS.Timeout>();
  private readonly hostNames: HostNames;
  /** What an unknown name is checked against: a hash with the configured users' cost, so both take as long. */
  private readonly dummyHash: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly tls: boolean;
  private closed: Promise<void> | null = null;

  constructor(private readonly o: ConsoleOptions) {
    const c = o.loaded.config;
    this.log = o.log ?? silentLogger();
    this.now = o.now ?? Date.now;
    this.sessions = new Sessions(c.console.sessionMinutes * 60_000, this.now);
    this.live = new LiveFeed(o.gate);
    this.metrics = new GateMetrics(o.gate, { station: c.station, gate: c.gate ?? '' });
    this.faults = new DeviceFaults(o.gate, this.now);
    this.actions = new ConsoleActions(o.gate, o.loaded, this.faults, this.log, this.now);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.requestSeen(req.socket);
      this.route(req, res).catch((err: unknown) => this.fail(res, err));
    };
    this.tls = c.console.tls !== undefined;
    this.dummyHash = dummyHashLike(c.console.users[0]?.passwordHash);
    // Node checks headersTimeout and requestTimeout only this often (default 30 s): a slow client is cut off on time.
    const timeouts = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1000 };
    let names: string[] = [];
    if (c.console.tls) {
      let cert: Buffer | string;
      let key: Buffer | string;
      try {
        cert = pem(c.console.tls.cert);
        key = pem(c.console.tls.key);
      } catch (err) {
        throw new ConsoleError('tls-unreadable', `console.tls: cannot read the certificate or key: ${errorLine(err)}`, { cause: err });
      }
      names = certificateNames(cert);
      this.server = createHttpsServer({ cert, key, minVersion: 'TLSv1.2', handshakeTimeout: FIRST_REQUEST_MS, ...timeouts }, handler);
      this.server.on('secureConnection', (socket: Socket) => this.awaitRequest(socket));
    } else {
      this.server = createHttpServer(timeouts, handler);
    }
    this.hostNames = new HostNames(names);
    this.server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** Counts each TCP connection by client address; one over a cap is closed before it is read. */
  private admit(socket: Socket): void {
    const from = plainAddress(socket.remoteAddress ?? '');
    const mine = this.connections.get(from) ?? 0;
    if (mine >= MAX_CONNECTIONS_PER_ADDRESS || this.connectionCount >= MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.connections.set(from, mine + 1);
    this.connectionCount++;
    if (!this.tls) this.awaitRequest(socket);
    socket.once('close', () => {
      this.connectionCount--;
      const left = (this.connections.get(from) ?? 1) - 1;
      if (left > 0) this.connections.set(from, left);
      else this.connections.delete(from);
    });
  }

  async listen(): Promise<string> {
    const c = this.o.loaded.config.console;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(
          new ConsoleError(
            'listen-failed',
            `console: cannot listen on ${c.host}:${c.port}: ${err.message}; change console.host or console.port`,
            { cause: err },
          ),
        );
      this.server.once('error', onError);
      this.server.listen(c.port, c.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.log.info({ url: this.url, users: c.users.length }, 'console listening');
    for (const w of consoleWarnings(this.o.loaded.config, this.now())) this.log.warn(w);
    return this.url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.live.close();
      this.faults.close();
      for (const s of this.streams.keys()) s.end();
      this.streams.clear();
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        this.server.closeAllConnections();
      });
      this.metrics.close();
    })();
    return this.closed;
  }

  /**
   * Node's headersTimeout starts with a request's first byte: a client that connects and sends nothing would hold its
   * socket for ever. It gets FIRST_REQUEST_MS (after the TLS handshake with HTTPS) to start one.
   */
  private awaitRequest(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), FIRST_REQUEST_MS);
    timer.unref();
    this.silent.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  }

  private requestSeen(socket: Socket): void {
    const timer = this.silent.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.silent.delete(socket);
  }

  // ---- routes -------------------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req.url);
    // /metrics is read by Prometheus under whatever name it was given; it holds codes and counts only.
    if (url.pathname !== '/metrics' && !this.hostNames.allows(req.headers.host))
      throw new ConsoleError(
        'wrong-host',
        `this console answers its address, localhost and its certificate's names, not ${JSON.stringify(req.headers.host).slice(0, 80)}`,
      );
    const lang = pickLanguage(req.headers['accept-language']);
    const key = `${req.method} ${url.pathname}`;
    switch (key) {
      case 'GET /console.css':
        return send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS, { 'cache-control': 'max-age=300' });
      case 'GET /console.js':
        return send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS, { 'cache-control': 'max-age=300' });
      case 'GET /login':
        return send(
          res,
          200,
          'text/html; charset=utf-8',
          loginPage(lang, this.gateName, url.searchParams.has('ended') ? WORDS[lang].sessionEnded : null),
        );
      case 'POST /login':
        return this.signIn(req, res, lang);
      case 'POST /logout': {
        this.sameOrigin(req);
        const s = this.session(req);
        this.sessions.close(s?.token);
        if (s) this.log.info({ user: s.user }, 'console sign-out');
        return redirect(res, '/login', { 'set-cookie': this.cookie('', 0) });
      }
      case 'GET /metrics':
        return this.scrape(req, res);
      case 'GET /favicon.ico':
        return send(res, 204, 'image/x-icon', '');
    }
    const s = this.session(req);
    if (!s) {
      if (key === 'GET /') return redirect(res, '/login');
      throw new ConsoleError('unauthenticated', 'sign in first: no session, or it expired');
    }
    const c = this.o.loaded.config;
    switch (key) {
      case 'GET /':
        return send(res, 200, 'text/html; charset=utf-8', appPage(lang, this.gateName, s.user));
      case 'GET /api/whoami':
        return json(res, 200, { user: s.user });
      case 'GET /api/live':
        return this.stream(req, res, s);
      case 'GET /api/state':
        return json(res, 200, { live: this.live.picture(), ...this.statusPanels() });
      case 'GET /api/config':
        return json(res, 200, { text: configPanel(c) });
    }
    if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
      this.sameOrigin(req);
      if (req.headers['x-console'] !== '1')
        throw new ConsoleError('forbidden', 'console actions need the X-Console header (sent by the console page)');
      const body = await readJson(req);
      switch (url.pathname) {
        case '/api/lane-test':
          parse(emptyBody, body);
          return json(res, 200, await this.actions.laneTest(s.user));
        case '/api/mode':
          return json(res, 200, this.actions.setMode(s.user, parse(modeBody, body).mode));
        case '/api/resync':
          parse(emptyBody, body);
          return json(res, 200, this.actions.resync(s.user));
        case '/api/doctor':
          parse(emptyBody, body);
          return json(res, 200, { results: this.actions.doctor(s.user) });
        case '/api/config-check':
          return json(res, 200, this.actions.checkConfig(s.user, parse(configBody, body).text));
      }
    }
    throw new ConsoleError('not-found', `no such page: ${req.method} ${url.pathname.slice(0, 80)}`);
  }

  private get gateName(): string {
    const c = this.o.loaded.config;
    return `${c.station} / ${c.gate ?? ''}`;
  }

  private session(req: IncomingMessage): Session | null {
    return this.sessions.touch(cookieValue(req.headers.cookie, SESSION_COOKIE));
  }

  private cookie(token: string, maxAgeSeconds: number): string {
    return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${this.tls ? '; Secure' : ''}`;
  }

  /**
   * Only the console's own pages may sign in or act. A browser says where a request comes from in Sec-Fetch-Site
   * (Chromium, Firefox, Safari); older ones in Origin. A client that sends neither is not a browser (curl).
   */
  private sameOrigin(req: IncomingMessage): void {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return;
      throw new ConsoleError('forbidden', 'a request from another site is refused');
    }
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      // "null" or not a URL: refused below
    }
    if (host !== req.headers.host) throw new ConsoleError('forbidden', 'a request from another site is refused');
  }

  private async signIn(req: IncomingMessage, res: ServerResponse, lang: ReturnType<typeof pickLanguage>): Promise<void> {
    this.sameOrigin(req);
    const w = WORDS[lang];
    const refuse = (status: number, message: string) =>
      send(res, status, 'text/html; charset=utf-8', loginPage(lang, this.gateName, message));
    const from = plainAddress(req.socket.remoteAddress ?? '');
    const waitMs = this.signIns.take(from, this.now());
    if (waitMs > 0) {
      this.log.warn({ from }, 'console sign-in refused: too many attempts');
      const seconds = String(Math.ceil(waitMs / 1000));
      res.setHeader('retry-after', seconds);
      return refuse(429, w.tooMany.replace('{seconds}', seconds));
    }
    const form = loginForm.safeParse(Object.fromEntries(new URLSearchParams((await readBody(req)).toString('utf8'))));
    if (!form.success) return refuse(400, w.badCredentials);
    const user = this.o.loaded.config.console.users.find((u) => u.name === form.data.user);
    // An unknown name costs the same scrypt as a known one: timing does not tell which names exist.
    const ok = await verifyPassword(form.data.password, user?.passwordHash ?? this.dummyHash);
    if (!user || !ok) {
      this.log.warn({ user: user ? user.name : '(unknown)' }, 'console sign-in refused: wrong name or password');
      return refuse(401, w.badCredentials);
    }
    const s = this.sessions.open(user.name);
    this.log.info({ user: user.name }, 'console sign-in');
    return redirect(res, '/', { 'set-cookie': this.cookie(s.token, COOKIE_MAX_AGE_SECONDS) });
  }

  private async scrape(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const from = plainAddress(req.socket.remoteAddress ?? '');
    const allowed = this.o.loaded.config.console.metricsFrom.map(plainAddress).includes(from) || this.session(req) !== null;
    if (!allowed)
      throw new ConsoleError(
        'forbidden',
        `/metrics is open only to console.metricsFrom (or a signed-in technician); ${from} is not listed`,
      );
    return send(res, 200, this.metrics.contentType, await this.metrics.text());
  }

  private statusPanels() {
    const c = this.o.loaded.config;
    return { devices: this.faults.rows(this.o.gate, c), cache: cachePanel(this.o.gate, c), outbox: outboxPanel(this.o.gate, c) };
  }

  /** Server-sent events: the live picture on every change, the other panels every 2 s, `ended` when the session expires. */
  private stream(req: IncomingMessage, res: ServerResponse, s: Session): void {
    const mine = [...this.streams].filter(([, token]) => token === s.token).map(([r]) => r);
    // A tablet that lost its network leaves a stream open until TCP notices: the session's newest stream wins.
    for (const old of mine.slice(0, Math.max(0, mine.length - MAX_STREAMS_PER_SESSION + 1))) {
      old.end(`retry: ${EVICTED_RETRY_MS}\n\n`);
      this.streams.delete(old);
    }
    if (this.streams.size >= MAX_STREAMS)
      throw new ConsoleError('too-many-streams', `the console already sends ${MAX_STREAMS} live streams: close a tab elsewhere`);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    this.streams.set(res, s.token);
    const event = (name: string, data: unknown) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    const status = () => {
      try {
        event('status', this.statusPanels());
      } catch (err) {
        // The daemon is stopping (its database closed): the stream ends with it.
        this.log.debug({ err: errorLine(err) }, 'console status not sent');
      }
    };
    const unsubscribe = this.live.subscribe((p) => event('live', p));
    status();
    const statusTimer = setInterval(status, STATUS_EVERY_MS);
    const sessionTimer = setInterval(() => {
      if (this.sessions.alive(s.token)) return;
      event('ended', { reason: 'session expired' });
      res.end();
    }, 1000);
    const done = () => {
      clearInterval(statusTimer);
      clearInterval(sessionTimer);
      unsubscribe();
      this.streams.delete(res);
    };
    res.on('close', done);
  }

  private fail(res: ServerResponse, err: unknown): void {
    const e = err instanceof ConsoleError ? err : null;
    if (!e) this.log.error({ err: errorLine(err) }, 'console request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    json(res, e?.httpStatus ?? 500, {
      ok: false,
      code: e?.code ?? 'internal',
      line: e ? e.message : 'the console could not answer: see the gate log',
    });
  }
}

/** The hash an unknown name is checked against: no password has it (a zero key), at the cost of `like`. */
function dummyHashLike(like: string | undefined): string {
  const p = like?.split('$');
  const [N, r, pp, , key] = p && p.length === 6 ? p.slice(1) : ['32768', '8', '1', '', ''];
  const keyBytes = Math.max(16, Buffer.from(key, 'base64').length || 32);
  return `scrypt$${N}$${r}$${pp}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(keyBytes).toString('base64')}`;
}

/** The request target as a URL; one that is not a path (e.g. "http://[") is a bad request, not a failure. */
function requestUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://console');
  } catch {
    throw new ConsoleError('bad-request', 'the request target is not a path');
  }
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'cache-control': 'no-store',
    ...headers,
    'content-type': type,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function redirect(res: ServerResponse, to: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, 'cache-control': 'no-store', ...headers, location: to });
  res.end();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ConsoleError('bad-request', `the request body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ConsoleError('bad-request', 'the request body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success)
    throw new ConsoleError(
      'bad-request',
      `bad request: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
    );
  return r.data;
}

/** "::ffff:10.0.0.5" (IPv4 on a dual-stack socket) and "10.0.0.5" are the same address. */
function plainAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

function pem(value: string): string | Buffer {
  return value.includes('-----BEGIN') ? value : readFileSync(value);
}

/**
 * The console for a daemon, built before the daemon starts (its counters then see the events of the start itself,
 * like the MCU's first reset) and listening once it runs (`listen`). It closes by itself when the daemon stops.
 */
export function createConsole(o: ConsoleOptions): ConsoleServer {
  const server = new ConsoleServer(o);
  o.gate.events.once('stopped', () => void server.close());
  return server;
}
