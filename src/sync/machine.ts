// The gate's sync state machine: pure. Verified batches, heads and clock ticks go in; the next state and the actions
// for the I/O loop come out (apply this delta, stage that chunk, ask central for a resync). It never sees bytes
// that failed verification and never touches SQLite; time is an input.
//
// The stream is (epoch, seq): a snapshot at (E, S) replaces the cache, then deltas E/S+1, E/S+2... follow.
// An old seq is a duplicate (MQTT QoS 1 redelivers); a seq ahead of the next one is held briefly for the missing
// one to arrive (reordering) and then resynced; a newer epoch means central rebuilt the stream: resync.
import type { Cursor, ResyncReason } from './wire.js';

export interface MachineOptions {
  /** How long an out-of-order delta waits for the missing ones before the gate asks for a resync. */
  reorderWindowMs: number;
  /** How long the cache may trail a head (the last batch may still be in flight) before a resync. */
  headGraceMs: number;
  /** A snapshot that makes no progress for this long is abandoned and re-requested. */
  snapshotStallMs: number;
  /** First wait before repeating an unanswered resync request; doubles up to resyncMaxMs. */
  resyncRetryMs: number;
  resyncMaxMs: number;
  /** Out-of-order deltas held at most; more are dropped (the resync brings them back). */
  maxBuffered: number;
}

export const DEFAULT_MACHINE_OPTIONS: MachineOptions = {
  reorderWindowMs: 2_000,
  headGraceMs: 5_000,
  snapshotStallMs: 60_000,
  resyncRetryMs: 10_000,
  resyncMaxMs: 300_000,
  maxBuffered: 256,
};

/** What the machine needs to know of a delta: its place in the stream. The payload rides along untouched. */
export interface DeltaRef<D> {
  epoch: number;
  seq: number;
  delta: D;
}

export interface Assembly {
  epoch: number;
  seq: number;
  chunkCount: number;
  received: readonly boolean[];
  receivedCount: number;
  lastProgressAt: number;
}

export interface MachineState<D> {
  /** What the cache holds (null: nothing from central yet, or a file import). */
  have: Cursor | null;
  /** The newest head central announced. */
  head: Cursor | null;
  /** Since when the cache trails the head (null: it does not). */
  behindSince: number | null;
  assembling: Assembly | null;
  /** Deltas received ahead of their turn, ascending by (epoch, seq). */
  buffer: readonly DeltaRef<D>[];
  /** Since when a delta waits in the buffer for a missing predecessor. */
  gapSince: number | null;
  /** The last resync request: not repeated before `nextAt`. */
  resync: { reason: ResyncReason; at: number; nextAt: number; attempts: number } | null;
  /**
   * Central's resync command asked for a full reload at `at`. A manifest of the epoch the gate holds is taken once
   * more only when a head central signed after the request names that epoch (`confirmedEpoch`): a replayed old
   * manifest of the same epoch is never taken. Central's reference feed answers with a new epoch anyway.
   */
  reload?: { at: number; confirmedEpoch: number | null } | null;
}

export type MachineInput<D> =
  | { type: 'manifest'; epoch: number; seq: number; chunkCount: number; now: number }
  | { type: 'chunk'; epoch: number; n: number; now: number }
  | { type: 'delta'; ref: DeltaRef<D>; now: number }
  /** signedAt: when central signed the head (its generatedAt), in ms. */
  | { type: 'head'; epoch: number; seq: number; signedAt: number; now: number }
  | { type: 'tick'; now: number }
  /** Central's `resync` command: load the whole snapshot again (even of the epoch held), asked for at once. */
  | { type: 'reload'; now: number }
  /** Applying or committing failed after all (SQLite): `have` is what the file really holds now. */
  | { type: 'apply-failed'; have: Cursor | null; reason: ResyncReason; now: number };

export type DropReason = 'duplicate' | 'stale' | 'unexpected-chunk' | 'buffer-full';

export type MachineAction<D> =
  | { type: 'apply-delta'; ref: DeltaRef<D> }
  | { type: 'begin-snapshot'; epoch: number; seq: number }
  | { type: 'stage-chunk'; epoch: number; n: number }
  | { type: 'commit-snapshot'; epoch: number; seq: number }
  | { type: 'abort-snapshot'; epoch: number; seq: number }
  | { type: 'request-resync'; reason: ResyncReason; have: Cursor | null; want: Cursor | null }
  | { type: 'drop'; reason: DropReason; epoch: number; seq: number };

export interface Step<D> {
  state: MachineState<D>;
  actions: MachineAction<D>[];
}

export function initialState<D>(have: Cursor | null): MachineState<D> {
  return { have, head: null, behindSince: null, assembling: null, buffer: [], gapSince: null, resync: null };
}

/** -1, 0, 1 ordering of stream positions. */
export function compareCursor(a: Cursor, b: Cursor): number {
  return a.epoch !== b.epoch ? Math.sign(a.epoch - b.epoch) : Math.sign(a.seq - b.seq);
}

export function step<D>(s: MachineState<D>, input: MachineInput<D>, o: MachineOptions = DEFAULT_MACHINE_OPTIONS): Step<D> {
  const actions: MachineAction<D>[] = [];
  let state: MachineState<D> = s;
  switch (input.type) {
    case 'manifest':
      state = onManifest(state, input, actions);
      break;
    case 'chunk':
      state = onChunk(state, input, actions);
      break;
    case 'delta':
      state = onDelta(state, input.ref, input.now, actions, o);
      break;
    case 'head': {
      const r = state.reload;
      const confirms = r && input.signedAt >= r.at && input.epoch === state.have?.epoch;
      state = {
        ...state,
        head: newerOf(state.head, { epoch: input.epoch, seq: input.seq }),
        ...(confirms ? { reload: { ...r, confirmedEpoch: input.epoch } } : {}),
      };
      break;
    }
    case 'tick':
      break;
    case 'reload':
      state = requestResync(
        { ...state, reload: { at: input.now, confirmedEpoch: null }, resync: null },
        'requested',
        input.now,
        actions,
        o,
      );
      break;
    case 'apply-failed':
      // The cache holds what it held before the failed transaction; nothing staged survives. Ask again at once.
      if (state.assembling) actions.push({ type: 'abort-snapshot', epoch: state.assembling.epoch, seq: state.assembling.seq });
      state = { ...state, have: input.have, assembling: null, buffer: [], gapSince: null, resync: null };
      state = requestResync(state, input.reason, input.now, actions, o);
      break;
  }
  state = drain(state, input.now, actions);
  state = checkTimers(state, input.now, actions, o);
  return { state, actions };
}

function newerOf(a: Cursor | null, b: Cursor): Cursor {
  return a && compareCursor(a, b) >= 0 ? a : b;
}

function onManifest<D>(
  s: MachineState<D>,
  m: { epoch: number; seq: number; chunkCount: number; now: number },
  actions: MachineAction<D>[],
): MachineState<D> {
  // One snapshot per epoch (chunk topics are named by epoch alone): a manifest of the epoch the gate holds or is
  // assembling is a redelivery, an older epoch is stale. After central's resync command, the epoch held is taken
  // once more if a head signed after the command confirmed it.
  const at = { epoch: m.epoch, seq: m.seq };
  const held = s.have?.epoch ?? 0;
  const staging = s.assembling?.epoch ?? 0;
  const taken = m.epoch > staging && (m.epoch > held || (s.reload?.confirmedEpoch === m.epoch && m.epoch === held));
  if (!taken) {
    actions.push({ type: 'drop', reason: m.epoch === Math.max(held, staging) ? 'duplicate' : 'stale', ...at });
    return s;
  }
  const a = s.assembling;
  if (a) actions.push({ type: 'abort-snapshot', epoch: a.epoch, seq: a.seq });
  actions.push({ type: 'begin-snapshot', ...at });
  const assembling: Assembly = {
    ...at,
    chunkCount: m.chunkCount,
    received: new Array<boolean>(m.chunkCount).fill(false),
    receivedCount: 0,
    lastProgressAt: m.now,
  };
  const next = { ...s, head: newerOf(s.head, at), assembling };
  return m.chunkCount === 0 ? commit(next, actions) : next;
}

function onChunk<D>(s: MachineState<D>, c: { epoch: number; n: number; now: number }, actions: MachineAction<D>[]): MachineState<D> {
  const a = s.assembling;
  if (!a || a.epoch !== c.epoch || c.n >= a.chunkCount || a.received[c.n]) {
    actions.push({
      type: 'drop',
      reason: a && a.epoch === c.epoch && a.received[c.n] ? 'duplicate' : 'unexpected-chunk',
      epoch: c.epoch,
      seq: c.n,
    });
    return s;
  }
  actions.push({ type: 'stage-chunk', epoch: c.epoch, n: c.n });
  const received = a.received.slice();
  received[c.n] = true;
  const next = { ...s, assembling: { ...a, received, receivedCount: a.receivedCount + 1, lastProgressAt: c.now } };
  return next.assembling.receivedCount === a.chunkCount ? commit(next, actions) : next;
}

function commit<D>(s: MachineState<D>, actions: MachineAction<D>[]): MachineState<D> {
  const a = s.assembling!;
  actions.push({ type: 'commit-snapshot', epoch: a.epoch, seq: a.seq });
  const have = { epoch: a.epoch, seq: a.seq };
  // Deltas the snapshot already contains, or of an older epoch, are of no further use.
  const buffer = s.buffer.filter((d) => compareCursor(d, have) > 0);
  return { ...s, have, assembling: null, buffer, gapSince: null, resync: null, reload: null };
}

function onDelta<D>(s: MachineState<D>, ref: DeltaRef<D>, now: number, actions: MachineAction<D>[], o: MachineOptions): MachineState<D> {
  const head = newerOf(s.head, { epoch: ref.epoch, seq: ref.seq });
  const base = s.assembling ?? s.have;
  if (base && compareCursor(ref, base) <= 0) {
    actions.push({ type: 'drop', reason: ref.epoch === base.epoch ? 'duplicate' : 'stale', epoch: ref.epoch, seq: ref.seq });
    return { ...s, head };
  }
  if (s.have && !s.assembling && ref.epoch === s.have.epoch && ref.seq === s.have.seq + 1) {
    actions.push({ type: 'apply-delta', ref });
    return { ...s, head, have: { epoch: ref.epoch, seq: ref.seq }, resync: null };
  }
  // Ahead of its turn (or no base yet): hold it; timers decide when waiting has gone on too long.
  if (s.buffer.some((d) => compareCursor(d, ref) === 0)) {
    actions.push({ type: 'drop', reason: 'duplicate', epoch: ref.epoch, seq: ref.seq });
    return { ...s, head };
  }
  if (s.buffer.length >= o.maxBuffered) {
    actions.push({ type: 'drop', reason: 'buffer-full', epoch: ref.epoch, seq: ref.seq });
    return { ...s, head, gapSince: s.gapSince ?? now };
  }
  const buffer = [...s.buffer, ref].sort(compareCursor);
  return { ...s, head, buffer, gapSince: s.gapSince ?? now };
}

/** Apply buffered deltas that have become next in line. */
function drain<D>(s: MachineState<D>, now: number, actions: MachineAction<D>[]): MachineState<D> {
  if (!s.have || s.assembling || s.buffer.length === 0) return s;
  let have = s.have;
  const rest: DeltaRef<D>[] = [];
  for (const d of s.buffer) {
    if (compareCursor(d, have) <= 0) continue; // covered already
    if (d.epoch === have.epoch && d.seq === have.seq + 1) {
      actions.push({ type: 'apply-delta', ref: d });
      have = { epoch: d.epoch, seq: d.seq };
    } else rest.push(d);
  }
  if (have === s.have && rest.length === s.buffer.length) return s;
  // Progress restarts the reorder window for whatever still waits.
  return { ...s, have, buffer: rest, gapSince: rest.length ? now : null, resync: have === s.have ? s.resync : null };
}

function checkTimers<D>(s: MachineState<D>, now: number, actions: MachineAction<D>[], o: MachineOptions): MachineState<D> {
  let state = s;
  const behind = !!state.head && (!state.have || compareCursor(state.head, state.have) > 0);
  if (!behind && state.behindSince !== null) state = { ...state, behindSince: null };
  if (behind && state.behindSince === null) state = { ...state, behindSince: now };

  const a = state.assembling;
  if (a) {
    if (now - a.lastProgressAt >= o.snapshotStallMs) {
      actions.push({ type: 'abort-snapshot', epoch: a.epoch, seq: a.seq });
      state = { ...state, assembling: null };
      return requestResync(state, 'snapshot-incomplete', now, actions, o);
    }
    return state; // a snapshot on its way answers everything else
  }
  if (!state.have) {
    // Nothing usable: a head, a delta or a tick all say the same thing.
    if (state.head || state.buffer.length || state.resync) return requestResync(state, 'no-data', now, actions, o);
    return state;
  }
  const newer = state.buffer.find((d) => d.epoch > state.have!.epoch);
  const headNewEpoch = state.head && state.head.epoch > state.have.epoch;
  if (state.gapSince !== null && now - state.gapSince >= o.reorderWindowMs) {
    return requestResync(state, newer ? 'new-epoch' : 'gap', now, actions, o);
  }
  if (state.behindSince !== null && now - state.behindSince >= o.headGraceMs) {
    return requestResync(state, headNewEpoch ? 'new-epoch' : 'behind-head', now, actions, o);
  }
  return state;
}

function requestResync<D>(
  s: MachineState<D>,
  reason: ResyncReason,
  now: number,
  actions: MachineAction<D>[],
  o: MachineOptions,
): MachineState<D> {
  if (s.resync && now < s.resync.nextAt) return s;
  const attempts = (s.resync?.attempts ?? 0) + 1;
  const wait = Math.min(o.resyncMaxMs, o.resyncRetryMs * 2 ** (attempts - 1));
  const lastBuffered = s.buffer.length ? s.buffer[s.buffer.length - 1] : null;
  const wantFrom = [s.head, lastBuffered && { epoch: lastBuffered.epoch, seq: lastBuffered.seq }].filter((c): c is Cursor => !!c);
  const want = wantFrom.length ? wantFrom.reduce((x, y) => newerOf(x, y)) : null;
  actions.push({ type: 'request-resync', reason, have: s.have, want });
  return { ...s, resync: { reason, at: now, nextAt: now + wait, attempts } };
}
