// The gate's side of the matcher port: one Unix-socket connection to the module, opened when first needed and again
// after it drops. `match` never throws: whatever goes wrong (nothing listening, a drop mid-request, no answer by the
// deadline, a malformed answer) comes back as `unavailable` with the FaceError code as detail, which the lane turns
// into face.onUnavailable. The photo is encoded into the request frame and nothing else keeps it.
import { connect, type Socket } from 'node:net';
import { TypedEvents } from '../util/typed-events.js';
import { answerSchema, encodeFrame, FrameReader, parseJson, PROTOCOL_VERSION, type FaceResult } from './protocol.js';
import { FaceError, type FaceErrorCode } from './errors.js';

export interface FaceAnswer {
  result: FaceResult;
  /** Similarity 0..1 as the module gave it (match, sometimes no-match): the lane compares it, nothing reports it. */
  score?: number;
  /** For unavailable: the module's detail or the FaceError code. */
  detail?: string;
}

export interface MatchRequestInput {
  requestId: string;
  /** The raw photo block as the card gave it. */
  photo: Uint8Array;
  /** Milliseconds from now; the answer after that is ignored and the request counts as unavailable. */
  deadlineMs: number;
}

/** What the lane loop needs of a matcher (the client below, or a fake in lane tests). */
export interface FaceMatcher {
  match(req: MatchRequestInput): Promise<FaceAnswer>;
}

export interface FaceClientEvents {
  /** A request failed on the gate's side (for logs and status): code only, never the photo. */
  error: FaceError;
  /** The module answered (anything, including its own `unavailable`): it is reachable. */
  answered: FaceResult | 'ok';
  /** A request was written to the socket / its answer frame arrived (hrtime, for the overhead bench). Ids only. */
  sent: { id: string; at: bigint };
  received: { id: string; at: bigint };
}

interface Pending {
  resolve: (a: FaceAnswer | { result: 'ok' }) => void;
  timer: NodeJS.Timeout;
}

export class FaceClient implements FaceMatcher {
  readonly events = new TypedEvents<FaceClientEvents>();
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private readonly pending = new Map<string, Pending>();
  private nextHealthId = 1;
  private closed = false;

  constructor(private readonly endpoint: string) {}

  match(req: MatchRequestInput): Promise<FaceAnswer> {
    const frame = {
      v: PROTOCOL_VERSION,
      type: 'match',
      id: req.requestId,
      deadlineMs: Math.max(1, Math.round(req.deadlineMs)),
      photo: Buffer.from(req.photo).toString('base64'),
    };
    return this.send(req.requestId, frame, req.deadlineMs) as Promise<FaceAnswer>;
  }

  /** Whether the module answers `health` with `ok` within timeoutMs (doctor, status). */
  async health(timeoutMs: number): Promise<{ ok: boolean; detail: string | null }> {
    const id = `health-${this.nextHealthId++}`;
    const a = await this.send(id, { v: PROTOCOL_VERSION, type: 'health', id }, timeoutMs);
    return a.result === 'ok' ? { ok: true, detail: null } : { ok: false, detail: ('detail' in a && a.detail) || a.result };
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = null;
    this.settleAll('disconnected', 'the gate closed the matcher connection');
  }

  private async send(id: string, frame: object, deadlineMs: number): Promise<FaceAnswer | { result: 'ok' }> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => this.settle(id, 'timeout', `no answer to ${id} within ${Math.round(deadlineMs)} ms`),
        Math.max(1, deadlineMs),
      );
      this.pending.set(id, { resolve, timer });
      this.open()
        .then((s) => {
          if (!this.pending.has(id)) return;
          s.write(encodeFrame(frame));
          this.events.emit('sent', { id, at: process.hrtime.bigint() });
        })
        .catch((err: unknown) =>
          this.settle(id, 'connect-failed', `no face matcher at ${this.endpoint}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`),
        );
    });
  }

  private open(): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error('closed'));
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect(this.endpoint);
      const reader = new FrameReader();
      s.once('connect', () => {
        this.socket = s;
        this.connecting = null;
        resolve(s);
      });
      s.on('data', (chunk) => {
        const { frames, tooLarge } = reader.push(chunk);
        for (const f of frames) this.onFrame(f);
        if (tooLarge) {
          this.fail('too-large', 'the matcher sent a frame past the size limit');
          s.destroy();
        }
      });
      s.on('error', (err) => {
        if (this.connecting && this.socket !== s) {
          this.connecting = null;
          reject(err);
        }
      });
      s.on('close', () => {
        if (this.socket === s) this.socket = null;
        if (this.connecting && this.socket !== s) this.connecting = null;
        this.settleAll('disconnected', 'the face matcher closed the connection before it answered');
      });
    });
    return this.connecting;
  }

  private onFrame(bytes: Buffer): void {
    const parsed = answerSchema.safeParse(parseJson(bytes));
    if (!parsed.success) {
      this.fail(
        'bad-answer',
        `the matcher's answer is not protocol ${PROTOCOL_VERSION} JSON: ${parsed.error.issues[0]?.path.join('.') || 'not JSON'}`,
      );
      return;
    }
    const a = parsed.data;
    this.events.emit('received', { id: a.id, at: process.hrtime.bigint() });
    const p = this.pending.get(a.id);
    if (!p) return; // an answer after its deadline: the lane has moved on
    if (a.result === 'match' && a.score === undefined) {
      this.settle(a.id, 'bad-answer', 'the matcher answered match without a score');
      return;
    }
    this.pending.delete(a.id);
    clearTimeout(p.timer);
    this.events.emit('answered', a.result);
    p.resolve({
      result: a.result as FaceResult,
      ...(a.score !== undefined ? { score: a.score } : {}),
      ...(a.detail ? { detail: a.detail } : {}),
    });
  }

  private settle(id: string, code: FaceErrorCode, message: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.fail(code, message);
    p.resolve({ result: 'unavailable', detail: code });
  }

  private settleAll(code: FaceErrorCode, message: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, code, message);
  }

  private fail(code: FaceErrorCode, message: string): void {
    this.events.emit('error', new FaceError(code, message));
  }
}
