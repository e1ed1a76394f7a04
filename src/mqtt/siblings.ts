// Station siblings: every gate reads the passage events of the other gates of its station and marks those tickets
// used in its own ledger (source 'sibling'), so a ticket used at gate 3 is refused at gate 4 before central's delta
// arrives. A sibling use takes a ticket away from its holder, so only a passage that the named gate signed counts:
// the gate must be on central's signed roster (src/mqtt/roster.ts) and the `sig` user property must be its Ed25519
// signature (purpose `passage`) of the exact payload. Everything else is refused, counted, and never reaches the ledger.
import type { SiblingLedger } from '../ledger/passage-ledger.js';
import type { RosterStore } from './roster-store.js';
import { passageEventSchema, type PassageEvent } from '../gate/events.js';
import { parseBoundedJson } from '../util/bounded-json.js';
import { errorLine } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import { KeyRing, verifyFor } from '../util/signing.js';
import { RateBudget } from '../util/rate-budget.js';
import { TypedEvents } from '../util/typed-events.js';
import type { MqttConnection } from './connection.js';
import { openRoster, rosterTopic, type HeldRoster } from './roster.js';
import { parseGateTopic, stationPassageFilter } from './topics.js';

/** A passage event's bytes at most: the event is a flat object of about 400 bytes. */
export const PASSAGE_LIMITS = { maxBytes: 2048, maxDepth: 1 } as const;

export type SiblingRefusal =
  'too-large' | 'malformed' | 'unsigned' | 'not-on-roster' | 'bad-signature' | 'rate-limited' | 'stale' | 'roster-refused';

/**
 * Ed25519 checks per second (and in a burst) for each rostered gate: a busy gate reports a passage every second or
 * two and a backlog after an outage fits the burst, so a genuine sibling stays well inside; a flood of forged passages in a rostered gate's name is cut off here
 * instead of stalling the lane. A passage dropped this way is still settled by central's delta.
 */
// A gate coming back after a broker outage drains its backlog at network speed: the burst takes about an hour of a
// busy gate's passages at once (found by the station bench: at 5 a second with a burst of 20, the 29th passage of a
// fast run was refused and its ticket stayed open at the sibling). With the station ACL only the gate's own
// certificate can publish under its prefix; the worst case, a taken-over gate flooding, costs some 50 checks a second
// (about 3 ms of CPU) per gate.
const VERIFICATIONS_PER_SECOND = 50;
const VERIFICATIONS_BURST = 1000;
/** A sibling passage older than this is not taken (the ledger is a fast path; central's delta covers the rest). */
const MAX_PASSAGE_AGE_MS = 24 * 3_600_000;

export interface SiblingEvents {
  /** A sibling's passage marked a ticket used here (first time only). */
  marked: { ticketId: string; direction: PassageEvent['direction']; fromGate: string; eventId: string };
  /** A message on the passage or roster topic that was refused; `code` says why. */
  refused: { code: SiblingRefusal; detail: string };
  /** A newer roster was taken. */
  roster: { version: number; gates: number };
}

/** What sibling passages keep in the gate's file: this gate's identity, the ledger rows they take, the roster. */
export interface SiblingStores {
  readonly station: string;
  readonly gate: string;
  readonly ledger: SiblingLedger;
  readonly roster: RosterStore;
}

export interface SiblingOptions {
  /** Central's sync keys (config sync.centralPublicKeys): the roster is signed with one of them. */
  centralKeys: readonly string[];
  log?: Logger;
  now?: () => number;
}

export class SiblingPassages {
  readonly events: TypedEvents<SiblingEvents>;
  private readonly log: Logger;
  private readonly centralKeys: KeyRing;
  private roster: HeldRoster | null = null;
  /** No roster older than this is taken: the version central's signed head last named (kept in the gate's file). */
  private minVersion = 0;
  private readonly budgets = new Map<string, RateBudget>();
  private readonly now: () => number;

  constructor(
    private readonly store: SiblingStores,
    private readonly connection: MqttConnection,
    opts: SiblingOptions,
  ) {
    this.log = opts.log ?? silentLogger();
    this.events = new TypedEvents((event, err) => this.log.error({ event, err }, 'sibling listener failed'));
    this.centralKeys = new KeyRing(opts.centralKeys);
    this.now = opts.now ?? Date.now;
    this.minVersion = store.roster.minVersion();
    const saved = store.roster.saved();
    if (saved) this.takeRoster(saved, false);
  }

  /** The roster held: its version and gate count (for the status), or null. */
  get rosterInfo(): { version: number; gates: number } | null {
    return this.roster && { version: this.roster.version, gates: this.roster.keys.size };
  }

  start(): void {
    this.connection.subscribe(rosterTopic(this.store.station), 1, (_topic, payload) => this.takeRoster(payload, true));
    this.connection.subscribe(stationPassageFilter(this.store.station), 1, (topic, payload, props) => this.handle(topic, payload, props));
  }

  /** A roster message from the broker (or the one saved at the last start). */
  takeRoster(bytes: Uint8Array, save: boolean): void {
    const floor = Math.max(this.roster?.version ?? 0, this.minVersion);
    const r = openRoster(bytes, this.store.station, this.centralKeys, floor === 0 ? null : floor);
    if (!r.ok) {
      // The retained roster comes again on every reconnect: the one held is no news.
      if ((r.code === 'old-version' && this.roster) || (this.roster && r.code === 'unknown-key' && !save)) return;
      this.refuse('roster-refused', r.code);
      return;
    }
    const isNew = this.roster?.version !== r.roster.version;
    this.roster = r.roster;
    if (save && isNew) {
      try {
        this.store.roster.save(bytes);
      } catch (err) {
        this.log.error({ err: errorLine(err) }, 'roster not saved');
      }
    }
    if (isNew) {
      this.log.info({ version: r.roster.version, gates: r.roster.keys.size }, 'station roster taken');
      this.events.emit('roster', { version: r.roster.version, gates: r.roster.keys.size });
    }
  }

  /**
   * Central's signed head says the roster is at `version`: older rosters are refused from now on, and one already
   * held that is older is dropped (a superseded roster re-posted as the retained message, taken before the head came),
   * so its gates' passages are refused until the current roster arrives.
   */
  requireRosterVersion(version: number): void {
    if (version <= this.minVersion) return;
    this.minVersion = version;
    try {
      this.store.roster.saveMinVersion(version);
    } catch (err) {
      this.log.error({ err: errorLine(err) }, 'roster minimum not saved');
    }
    if (this.roster && this.roster.version < version) {
      this.log.warn(
        { held: this.roster.version, required: version },
        'station roster superseded: its gates are not believed until the current one arrives',
      );
      this.roster = null;
      this.refuse('roster-refused', 'old-version');
    }
  }

  handle(topic: string, payload: Buffer, props?: Record<string, string | string[]>): void {
    const t = parseGateTopic(topic);
    if (!t || t.station !== this.store.station || t.gate === this.store.gate) return;
    if (payload.byteLength > PASSAGE_LIMITS.maxBytes) return this.refuse('too-large', t.gate);
    const sig = typeof props?.sig === 'string' ? props.sig : null;
    if (sig === null) return this.refuse('unsigned', t.gate);
    const key = this.roster?.keys.get(t.gate);
    if (!key) return this.refuse('not-on-roster', t.gate);
    const now = this.now();
    let budget = this.budgets.get(t.gate);
    if (!budget) this.budgets.set(t.gate, (budget = new RateBudget(VERIFICATIONS_PER_SECOND, VERIFICATIONS_BURST)));
    if (!budget.take(now)) return this.refuse('rate-limited', t.gate);
    if (!verifyFor('passage', [key], payload, sig)) return this.refuse('bad-signature', t.gate);
    const json = parseBoundedJson(payload, PASSAGE_LIMITS);
    const parsed = json.ok ? passageEventSchema.safeParse(json.value) : null;
    if (!parsed?.success || parsed.data.gate !== t.gate || parsed.data.station !== t.station) return this.refuse('malformed', t.gate);
    const e = parsed.data;
    if (e.outcome !== 'passed' || e.ticketId === null) return;
    if (Math.abs(now - Date.parse(e.at)) > MAX_PASSAGE_AGE_MS) return this.refuse('stale', t.gate);
    try {
      if (this.store.ledger.recordSiblingPassage(e)) {
        this.events.emit('marked', { ticketId: e.ticketId, direction: e.direction, fromGate: e.gate, eventId: e.eventId });
      }
    } catch (err) {
      this.log.error({ err: errorLine(err) }, 'cannot record sibling passage');
    }
  }

  private refuse(code: SiblingRefusal, detail: string): void {
    this.log.debug({ code, gate: detail }, 'sibling message refused');
    this.events.emit('refused', { code, detail });
  }
}
