// The contract for central: a JSON Schema of every MQTT payload, generated from the zod schemas the gate itself
// validates with (events: src/gate/events.ts; status, commands: src/mqtt/schemas.ts). scripts/gen-docs.ts writes
// them to docs/schemas/; a test fails when those files are stale. docs/asyncapi.yaml points at them.
import { z } from 'zod';
import { alarmEventSchema, decisionEventSchema, passageEventSchema } from '../gate/events.js';
import { commandBodySchema, commandResultSchema, COMMAND_ARGS, signedEnvelopeSchema, statusSchema } from './schemas.js';
import { rosterSchema } from './roster.js';

const ID_BASE = 'https://gate.local/schemas/';

const PAYLOADS: Record<string, { title: string; description: string; schema: z.ZodType }> = {
  'event-decision.json': {
    title: 'Gate decision event',
    description: 'gates/v1/<station>/<gate>/events/decision, QoS 1',
    schema: decisionEventSchema,
  },
  'event-passage.json': {
    title: 'Gate passage event',
    description:
      "gates/v1/<station>/<gate>/events/passage, QoS 1; MQTT 5 user property sig: the gate's Ed25519 signature (purpose passage) of the exact payload",
    schema: passageEventSchema,
  },
  'event-alarm.json': { title: 'Gate alarm event', description: 'gates/v1/<station>/<gate>/events/alarm, QoS 1', schema: alarmEventSchema },
  'status.json': {
    title: 'Gate status',
    description: 'gates/v1/<station>/<gate>/status, QoS 1, retained; the last will is the offline form',
    schema: statusSchema,
  },
  'signed-envelope.json': {
    title: 'Signed envelope',
    description:
      'every signed message (command, sync manifest/delta/head, roster): body is the content as JSON text, sig is Ed25519 over "station-gate/v2/<purpose>\\n" + body',
    schema: signedEnvelopeSchema,
  },
  'command.json': {
    title: 'Command from central (the body of a signed envelope, purpose command)',
    description: 'gates/v1/<station>/<gate>/cmd/<name>, QoS 1, at most 4096 bytes',
    schema: commandBodySchema,
  },
  'roster.json': {
    title: 'Station roster (the body of a signed envelope, purpose roster)',
    description: 'stations/v1/<station>/roster, QoS 1, retained, at most 65536 bytes',
    schema: rosterSchema,
  },
  ...Object.fromEntries(
    Object.entries(COMMAND_ARGS).map(([name, schema]) => [
      `command-args-${name}.json`,
      { title: `Arguments of command ${name}`, description: `the args of gates/v1/<station>/<gate>/cmd/${name}`, schema },
    ]),
  ),
  'command-result.json': {
    title: 'Command result',
    description: 'gates/v1/<station>/<gate>/cmd-result, QoS 1',
    schema: commandResultSchema,
  },
};

/** File name -> JSON text (2-space, trailing newline) of each payload's schema. */
export function contractSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, p] of Object.entries(PAYLOADS)) {
    const schema = z.toJSONSchema(p.schema, { io: 'output', target: 'draft-2020-12' });
    out[file] = JSON.stringify({ $id: ID_BASE + file, title: p.title, description: p.description, ...schema }, null, 2) + '\n';
  }
  return out;
}
