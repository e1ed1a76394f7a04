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

/** Republish the snapshot, or cut a new one, at most this often: the gates retry unanswered requests with backoff. */
const REPUBLISH_INTERVAL_MS = 2000;

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
  /** The station roster's current version, named in every head this feed signs (gates then refuse older rosters). */
  rosterVersion: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private snapshotAt = 0;
  /** The current epoch's manifest and chunks as published (republished as they are, never re-cut, for a request). */
  private snapshotMessages: OutMessage[] = [];
  private republishedAt = 0;
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
      const built = buildSnapshot(this.current(), {
        key: this.o.key,
        epoch: this.epoch,
        seq: 0,
        chunkRows: this.o.chunkRows,
        docSecret: this.docSecret,
      });
      this.snapshotAt = this.clock().getTime();
      this.snapshotMessages = built.messages.filter((m) => !m.retain);
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
      const { delta, messages } = buildDelta(file, {
        key: this.o.key,
        station: this.o.station,
        epoch: this.epoch,
        seq,
        now: this.clock(),
        docSecret: this.docSecret,
      });
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
    await this.serial(() => publishAll(this.o.client, [this.head(this.clock().toISOString())]));
  }

  /** Answer the station's resync requests until the returned function is called. */
  async serveResync(): Promise<() => Promise<void>> {
    return onResyncRequests(this.o.client, this.o.station, (r) => {
      this.requests.push(r);
      void this.answer(r);
    });
  }

  /**
   * Answer one request. Resync requests are not signed, so anyone on the station broker can send them: an answer
   * must cost the station little however often it is asked. Missing deltas are republished as they were; a gate
   * that needs the snapshot (no data, or central's resync command) gets the current epoch's snapshot again, with a
   * fresh head first (which confirms a reload: docs/sync.md section 6), at most once per REPUBLISH_INTERVAL_MS. Gates
   * that hold the epoch drop it unread as a duplicate. Only a gap that the delta log no longer covers cuts a new epoch.
   */
  async answer(r: ResyncRequest): Promise<void> {
    const have = r.have;
    if (have && have.epoch > this.epoch) return; // from a gate of another central's stream: not ours to answer
    if (this.epoch === 0 || this.snapshotMessages.length === 0) return void (await this.snapshot());
    if (r.reason !== 'requested' && have && have.epoch === this.epoch && have.seq <= this.seq) {
      const missing: OutMessage[] = [];
      for (let s = have.seq + 1; s <= this.seq; s++) {
        const m = this.log.get(s);
        if (!m) return void (await this.newSnapshotAtMostEvery());
        missing.push(m[0]);
      }
      const head = this.head(this.generatedAt);
      await this.serial(() => publishAll(this.o.client, [...missing, head]));
      return;
    }
    await this.republishSnapshot();
  }

  /** The head naming what the feed has published (epoch, seq, key, roster), signed with `generatedAt`. */
  private head(generatedAt: string): OutMessage {
    return buildHead(this.o.key, {
      station: this.o.station,
      epoch: this.epoch,
      seq: this.seq,
      docKeyId: docKeyIdOf(this.docSecret),
      rosterVersion: this.rosterVersion,
      generatedAt,
    });
  }

  /** The current snapshot again, after a head signed now; at most once per interval, however many ask. */
  private async republishSnapshot(): Promise<void> {
    const now = this.clock().getTime();
    if (now - this.republishedAt < REPUBLISH_INTERVAL_MS && now >= this.republishedAt) return;
    this.republishedAt = now;
    const head = this.head(new Date(now).toISOString());
    await this.serial(() => publishAll(this.o.client, [head, ...this.snapshotMessages]));
  }

  /** A new epoch when the delta log no longer covers a gap; several gates asking at once share one. */
  private async newSnapshotAtMostEvery(): Promise<void> {
    const now = this.clock().getTime();
    if (now - this.snapshotAt < REPUBLISH_INTERVAL_MS && now >= this.snapshotAt) return;
    await this.snapshot();
  }

  current(): SnapshotFile {
    return {
      station: this.o.station,
      generatedAt: this.generatedAt,
      passengers: [...this.passengers.values()],
      tickets: [...this.tickets.values()],
    };
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
