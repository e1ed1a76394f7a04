// Central's side of the wire format (docs/sync.md), as pure functions: records in, signed MQTT messages out.
// The gate's tests, the demo and central's integrators all build batches with these.
import type { SnapshotFile } from '../cache/records.js';
import { keyPassenger, keyTicket, keyerFor, type KeyedPassenger, type KeyedTicket } from '../cache/keyed.js';
import {
  WIRE_VERSION,
  sealEnvelope,
  sha256Hex,
  topics,
  type Chunk,
  type Delta,
  type Head,
  type Manifest,
  type SigningKey,
} from '../sync/wire.js';
import { createHash } from 'node:crypto';
import type { DeltaFile } from './files.js';

export interface OutMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
  /** Rows this message carries (progress display). */
  rows: number;
}

export interface BuiltSnapshot {
  manifest: Manifest;
  /** In publishing order: the manifest, every chunk, then the retained head. */
  messages: OutMessage[];
}

export const DEFAULT_CHUNK_ROWS = 5000;

export interface SnapshotOptions {
  key: SigningKey;
  epoch: number;
  /** The delta seq the snapshot already contains; the next delta is seq + 1. */
  seq?: number;
  chunkRows?: number;
  /** The station's document key (the gates' `secret` or its successor): every record is keyed under it. */
  docSecret: string | Buffer;
}

/** Key central's plain records (src/cache/keyed.ts), then chunk, hash and sign a station's full data. */
export function buildSnapshot(plain: SnapshotFile, o: SnapshotOptions): BuiltSnapshot {
  const k = keyerFor(o.docSecret);
  const snap = {
    station: plain.station,
    generatedAt: plain.generatedAt,
    passengers: plain.passengers.map((p) => keyPassenger(k, p)),
    tickets: plain.tickets.map((t) => keyTicket(k, t)),
  };
  const seq = o.seq ?? 0;
  const per = Math.max(1, o.chunkRows ?? DEFAULT_CHUNK_ROWS);
  const chunks: { bytes: Buffer; passengers: number; tickets: number }[] = [];
  const total = snap.passengers.length + snap.tickets.length;
  for (let start = 0; start < total; start += per) {
    const end = Math.min(total, start + per);
    const passengers: KeyedPassenger[] = snap.passengers.slice(
      Math.min(start, snap.passengers.length),
      Math.min(end, snap.passengers.length),
    );
    const tickets: KeyedTicket[] = snap.tickets.slice(
      Math.max(0, start - snap.passengers.length),
      Math.max(0, end - snap.passengers.length),
    );
    const chunk: Chunk = {
      v: WIRE_VERSION,
      type: 'snapshot-chunk',
      station: snap.station,
      epoch: o.epoch,
      n: chunks.length,
      passengers,
      tickets,
    };
    chunks.push({ bytes: Buffer.from(JSON.stringify(chunk), 'utf8'), passengers: passengers.length, tickets: tickets.length });
  }
  const whole = createHash('sha256');
  for (const c of chunks) whole.update(c.bytes);
  const manifest: Manifest = {
    v: WIRE_VERSION,
    type: 'snapshot-manifest',
    station: snap.station,
    epoch: o.epoch,
    seq,
    docKeyId: k.keyId,
    generatedAt: snap.generatedAt,
    counts: { passengers: snap.passengers.length, tickets: snap.tickets.length },
    chunks: chunks.map((c, n) => ({ n, bytes: c.bytes.length, sha256: sha256Hex(c.bytes), passengers: c.passengers, tickets: c.tickets })),
    sha256: whole.digest('hex'),
  };
  const messages: OutMessage[] = [
    { topic: topics.manifest(snap.station, o.epoch), payload: sealEnvelope(o.key, manifest), retain: false, rows: 0 },
    ...chunks.map((c, n) => ({
      topic: topics.chunk(snap.station, o.epoch, n),
      payload: c.bytes,
      retain: false,
      rows: c.passengers + c.tickets,
    })),
    buildHead(o.key, { station: snap.station, epoch: o.epoch, seq, docKeyId: k.keyId, generatedAt: snap.generatedAt }),
  ];
  return { manifest, messages };
}

export interface DeltaOptions {
  key: SigningKey;
  station: string;
  epoch: number;
  seq: number;
  /** Used when the file has no generatedAt. */
  now: Date;
  /** The document key of the epoch (the one its snapshot was keyed under). */
  docSecret: string | Buffer;
}

/** Sign one delta; returns the delta message and the retained head that announces it. */
export function buildDelta(file: DeltaFile, o: DeltaOptions): { delta: Delta; messages: OutMessage[] } {
  const k = keyerFor(o.docSecret);
  const delta: Delta = {
    v: WIRE_VERSION,
    type: 'delta',
    station: o.station,
    epoch: o.epoch,
    seq: o.seq,
    docKeyId: k.keyId,
    generatedAt: file.generatedAt ?? o.now.toISOString(),
    upserts: {
      passengers: file.upserts.passengers.map((p) => keyPassenger(k, p)),
      tickets: file.upserts.tickets.map((t) => keyTicket(k, t)),
    },
    deletes: { passengers: file.deletes.passengers.map((id) => k.docKey(id)), tickets: file.deletes.tickets },
    ...(file.clearUses?.length ? { clearUses: file.clearUses } : {}),
  };
  const rows =
    delta.upserts.passengers.length +
    delta.upserts.tickets.length +
    delta.deletes.passengers.length +
    delta.deletes.tickets.length +
    (delta.clearUses?.length ?? 0);
  return {
    delta,
    messages: [
      { topic: topics.delta(o.station, o.epoch, o.seq), payload: sealEnvelope(o.key, delta), retain: false, rows },
      buildHead(o.key, { station: o.station, epoch: o.epoch, seq: o.seq, docKeyId: k.keyId, generatedAt: delta.generatedAt }),
    ],
  };
}

/** The retained head: the newest (epoch, seq) central has published. Republish it as a heartbeat with a new generatedAt. */
export function buildHead(
  key: SigningKey,
  h: { station: string; epoch: number; seq: number; docKeyId: string; generatedAt: string; rosterVersion?: number },
): OutMessage {
  const head: Head = { v: WIRE_VERSION, type: 'head', ...h };
  return { topic: topics.head(h.station), payload: sealEnvelope(key, head), retain: true, rows: 0 };
}
