// A reference central for one station: holds the station's current records and this epoch's delta log, publishes
// snapshots and deltas, and answers gates' resync requests: the missing deltas when it still has them, else a
// snapshot under a new epoch. The demo and the tests use it; central's integrators can read it as the behaviour
// gates expect.
import type { MqttClient } from 'mqtt';
import type { PassengerRecord, SnapshotFile, TicketRecord } from '../cache/records.js';
import { canonicalIdentity } from '../identity/document-key.js';
import { docKeyIdOf } from '../cache/keyed.js';
import type { ResyncRequest, SigningKey } from '../sync/wire.js';
import { buildDelta, buildHead, buildSnapshot, type OutMessage } from './build.js';
import type { DeltaFile } from './files.js';
import { onResyncRequests, publishAll } from './publish.js';

export interface FeedOptions {
  client: MqttClient;
  key: SigningKey;
  station: string;
  chunkRows?: number;
  /** Deltas kept for answering gaps; older ones are answered with a new snapshot. */
  logSize?: number;
  clock?: () => Date;
  /** The station's document key: records are keyed under it (docs/sync.md 4). rotateDocKey() replaces it. */
  docSecret: string | Buffer;
}

export class CentralFeed {
  epoch = 0;
  seq = 0;
  generatedAt = new Date(0).toISOString();
  private readonly passengers = new Map<string, PassengerRecord>();
  private readonly tickets = new Map<string, TicketRecord>();
  private readonly log = new Map<number, OutMessage[]>();
  private readonly clock: () => Date;
  /** Resync requests seen, for tests and logs. */
  readonly requests: ResyncRequest[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private snapshotAt = 0;
  /** The document key of the current epoch: a delta is keyed as its snapshot was. */
  private docSecret: string | Buffer;

  constructor(private readonly o: FeedOptions) {
    this.clock = o.clock ?? (() => new Date());
    this.docSecret = o.docSecret;
  }

  /** Key rotation, central's step (docs/sync.md "Key rotation"): a new epoch keyed under the new key, published at once. */
  async rotateDocKey(next: string | Buffer): Promise<number> {
    await this.serial(async () => {
      this.docSecret = next;
    });
    return this.snapshot();
  }

  /** Replace the data (when a file is given) and publish it as a snapshot under a new epoch. */
  async snapshot(file?: SnapshotFile, epoch?: number): Promise<number> {
    return this.serial(async () => {
      if (file) {
        this.passengers.clear();
        this.tickets.clear();
        for (const p of file.passengers) this.passengers.set(canonicalIdentity(p), p);
        for (const t of file.tickets) this.tickets.set(t.id, t);
        this.generatedAt = file.generatedAt;
      }
      this.epoch = Math.max(epoch ?? 0, this.epoch + 1, Math.floor(this.clock().getTime() / 1000));
      this.seq = 0;
      this.log.clear();
      const built = buildSnapshot(this.current(), { key: this.o.key, epoch: this.epoch, seq: 0, chunkRows: this.o.chunkRows, docSecret: this.docSecret });
      this.snapshotAt = this.clock().getTime();
      await publishAll(this.o.client, built.messages);
      return this.epoch;
    });
  }

  /**
   * Build the next delta and apply it to central's own data. `publish: false` keeps it in the log unpublished,
   * which is how a test loses a delta on the way.
   */
  async delta(file: DeltaFile, opts: { publish?: boolean } = {}): Promise<number> {
    return this.serial(async () => {
      const seq = this.seq + 1;
      const { delta, messages } = buildDelta(file, { key: this.o.key, station: this.o.station, epoch: this.epoch, seq, now: this.clock(), docSecret: this.docSecret });
      // Central keeps its plain records; only what goes on the wire is keyed.
      for (const id of file.deletes.passengers) this.passengers.delete(canonicalIdentity(id));
      for (const id of file.deletes.tickets) this.tickets.delete(id);
      for (const p of file.upserts.passengers) this.passengers.set(canonicalIdentity(p), p);
      for (const t of file.upserts.tickets) this.tickets.set(t.id, t);
      this.seq = seq;
      this.generatedAt = delta.generatedAt;
      this.log.set(seq, messages);
      this.trimLog();
      if (opts.publish ?? true) await publishAll(this.o.client, messages);
      return seq;
    });
  }

  /** Republish a logged delta as it was (same bytes): a duplicate for gates that have it. */
  async republish(seq: number): Promise<void> {
    const m = this.log.get(seq);
    if (m) await this.serial(() => publishAll(this.o.client, m.slice(0, 1)));
  }

  /** Republish the retained head (a heartbeat). */
  async heartbeat(): Promise<void> {
    await this.serial(() =>
      publishAll(this.o.client, [buildHead(this.o.key, { station: this.o.station, epoch: this.epoch, seq: this.seq, docKeyId: docKeyIdOf(this.docSecret), generatedAt: this.clock().toISOString() })]),
    );
  }

  /** Answer the station's resync requests until the returned function is called. */
  async serveResync(): Promise<() => Promise<void>> {
    return onResyncRequests(this.o.client, this.o.station, (r) => {
      this.requests.push(r);
      void this.answer(r);
    });
  }

  async answer(r: ResyncRequest): Promise<void> {
    const have = r.have;
    // 'requested': central's resync command asked for the whole snapshot, so missing deltas are not an answer.
    if (r.reason !== 'requested' && have && have.epoch === this.epoch && have.seq <= this.seq) {
      const missing: OutMessage[] = [];
      for (let s = have.seq + 1; s <= this.seq; s++) {
        const m = this.log.get(s);
        if (!m) return void (await this.snapshot());
        missing.push(m[0]);
      }
      const head = buildHead(this.o.key, { station: this.o.station, epoch: this.epoch, seq: this.seq, docKeyId: docKeyIdOf(this.docSecret), generatedAt: this.generatedAt });
      await this.serial(() => publishAll(this.o.client, [...missing, head]));
      return;
    }
    if (have && have.epoch > this.epoch) return; // from a gate of another central's stream: not ours to answer
    // Several gates may ask at once: one new snapshot answers every request made before it went out.
    if (Date.parse(r.at) < this.snapshotAt) return;
    await this.snapshot();
  }

  current(): SnapshotFile {
    return { station: this.o.station, generatedAt: this.generatedAt, passengers: [...this.passengers.values()], tickets: [...this.tickets.values()] };
  }

  private trimLog(): void {
    const keep = this.o.logSize ?? 1000;
    for (const s of this.log.keys()) if (s <= this.seq - keep) this.log.delete(s);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
