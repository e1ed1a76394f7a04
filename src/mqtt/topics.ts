// The gate's MQTT topics (docs/design.md "MQTT topics"): one place builds and parses them.
import type { EventKind } from '../outbox/outbox.js';

export const TOPIC_ROOT = 'gates/v1';

export interface GateId {
  station: string;
  gate: string;
}

export const gateTopic = (g: GateId) => `${TOPIC_ROOT}/${g.station}/${g.gate}`;
export const eventTopic = (g: GateId, kind: EventKind) => `${gateTopic(g)}/events/${kind}`;
export const statusTopic = (g: GateId) => `${gateTopic(g)}/status`;
export const commandTopic = (g: GateId, name: string) => `${gateTopic(g)}/cmd/${name}`;
export const commandFilter = (g: GateId) => `${gateTopic(g)}/cmd/+`;
export const commandResultTopic = (g: GateId) => `${gateTopic(g)}/cmd-result`;
/** Passage events of every gate of a station (the siblings subscription). */
export const stationPassageFilter = (station: string) => `${TOPIC_ROOT}/${station}/+/events/passage`;

/** station and gate of a gates/v1/<station>/<gate>/... topic, or undefined. */
export function parseGateTopic(topic: string): (GateId & { rest: string[] }) | undefined {
  const parts = topic.split('/');
  if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  return { station: parts[2], gate: parts[3], rest: parts.slice(4) };
}

/** MQTT filter match with + and # wildcards. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
