// A simulated face-match module for the demo and the tests: a server on the documented protocol
// (docs/face-match.md), scripted per card. The script is a JSON file read again on every request, so a test or the
// demo changes the answers by rewriting it. A card is known by photoKey(photo): the first 16 hex characters of the
// SHA-256 of its photo block (the sim never keeps the photo either). Entries: { result, score?, delayMs?, action? }
// where action `hang` never answers, `close` drops the connection, `garbage` answers with bytes that are not JSON.
// A list of entries is played in order per card, its last entry repeating.
import { createServer, type Server, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { TypedEvents } from '../util/typed-events.js';
import { encodeFrame, FACE_RESULTS, FrameReader, parseJson, PROTOCOL_VERSION, requestSchema } from './protocol.js';

const entrySchema = z
  .object({
    result: z.enum(FACE_RESULTS).default('match'),
    score: z.number().min(0).max(1).optional(),
    delayMs: z.number().int().nonnegative().optional(),
    action: z.enum(['hang', 'close', 'garbage']).optional(),
    detail: z.string().max(64).optional(),
  })
  .strict();
const entryOrList = z.union([entrySchema, z.array(entrySchema).min(1)]);
export const faceScriptSchema = z
  .object({
    /** For a photo the script does not name. */
    default: entryOrList.default({ result: 'match', score: 0.93 }),
    photos: z.record(z.string(), entryOrList).default({}),
    /** What `health` answers. */
    health: z.enum(['ok', 'unavailable']).default('ok'),
  })
  .strict();
export type FaceScript = z.input<typeof faceScriptSchema>;
export type FaceScriptEntry = z.input<typeof entrySchema>;

export function photoKey(photo: Uint8Array): string {
  return createHash('sha256').update(photo).digest('hex').slice(0, 16);
}

/** A deterministic 1024-byte stand-in for a card's WLT photo, different per label (a card number, a name). */
export function syntheticPhotoFor(label: string): Uint8Array {
  const p = new Uint8Array(1024);
  p.set([0x57, 0x4c, 0x66, 0x00, 0x7e, 0x00, 0x32, 0x00, 0x00, 0xff]);
  let block = createHash('sha256').update(label).digest();
  for (let i = 10; i < p.length; i++) {
    if ((i - 10) % 32 === 0) block = createHash('sha256').update(block).digest();
    p[i] = block[(i - 10) % 32];
  }
  return p;
}

export interface FaceSimEvents {
  /** One request served (no photo: its key only). */
  request: { id: string; type: 'match' | 'health'; key: string | null; result: string; action: string | null };
}

export class FaceMatcherSim {
  readonly events = new TypedEvents<FaceSimEvents>();
  private readonly played = new Map<string, number>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    private readonly scriptFile: string,
  ) {
    server.on('connection', (s) => this.serve(s));
  }

  static async start(socketPath: string, scriptFile: string): Promise<FaceMatcherSim> {
    rmSync(socketPath, { force: true });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return new FaceMatcherSim(server, socketPath, scriptFile);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  private script(): z.infer<typeof faceScriptSchema> {
    const parsed = faceScriptSchema.safeParse(parseJson(readFileSync(this.scriptFile)));
    // A script being rewritten (or broken) answers the default: a test sees that as a wrong answer, not a hang.
    return parsed.success ? parsed.data : faceScriptSchema.parse({});
  }

  private serve(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    const reader = new FrameReader();
    s.on('data', (chunk) => {
      const { frames, tooLarge } = reader.push(chunk);
      if (tooLarge) return s.destroy();
      for (const f of frames) this.answer(s, parseJson(f));
    });
  }

  private answer(s: Socket, raw: unknown): void {
    const req = requestSchema.safeParse(raw);
    if (!req.success) return void s.destroy(); // not the protocol: a real module would drop the client too
    const script = this.script();
    const r = req.data;
    if (r.type === 'health') {
      this.events.emit('request', { id: r.id, type: 'health', key: null, result: script.health, action: null });
      s.write(encodeFrame({ v: PROTOCOL_VERSION, id: r.id, result: script.health }));
      return;
    }
    const key = photoKey(Buffer.from(r.photo, 'base64'));
    const rule = script.photos[key] ?? script.default;
    const list = Array.isArray(rule) ? rule : [rule];
    const n = this.played.get(key) ?? 0;
    this.played.set(key, n + 1);
    const e = list[Math.min(n, list.length - 1)];
    this.events.emit('request', { id: r.id, type: 'match', key, result: e.result, action: e.action ?? null });
    const reply = () => {
      if (s.destroyed) return;
      if (e.action === 'hang') return;
      if (e.action === 'close') return void s.destroy();
      if (e.action === 'garbage') return void s.write(Buffer.from([0, 0, 0, 5, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b]));
      const score = e.score ?? (e.result === 'match' ? 0.93 : undefined);
      s.write(
        encodeFrame({
          v: PROTOCOL_VERSION,
          id: r.id,
          result: e.result,
          ...(score !== undefined ? { score } : {}),
          ...(e.detail ? { detail: e.detail } : {}),
        }),
      );
    };
    if (e.delayMs) setTimeout(reply, e.delayMs);
    else reply();
  }
}
