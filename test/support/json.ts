// JSON a test reads (a command's output, a status file, a fixture) goes through zod like every JSON edge in src/:
// the test states the shape it relies on, and a wrong shape fails with zod's path and message instead of as an
// undefined three assertions later.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export function parseJson<S extends z.ZodType>(schema: S, text: string): z.infer<S> {
  const r = schema.safeParse(JSON.parse(text));
  if (!r.success) throw new Error(`unexpected JSON: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
  return r.data;
}

/** The parts of the daemon's status file (<db>.status.json) the tests wait on; the rest passes through. */
export const statusFileSchema = z.looseObject({
  devices: z.record(z.string(), z.looseObject({ state: z.string() }).optional()).optional(),
  outbox: z.looseObject({ pending: z.number() }).optional(),
  refusals: z.looseObject({ sync: z.looseObject({ total: z.number() }).optional() }).optional(),
  faceOutcomes: z.record(z.string(), z.number()).optional(),
});

export function readStatusFile(path: string): z.infer<typeof statusFileSchema> {
  return parseJson(statusFileSchema, readFileSync(path, 'utf8'));
}

/** One JSON log line of pino: its level and message; the fields a test looks at it reads by name. */
export const logLineSchema = z.looseObject({ level: z.number(), msg: z.string(), repeated: z.number().optional() });

/** What `gate config check` prints: the effective config with its secrets masked as "***", which the config schema
 *  itself would refuse (a secret is 32 characters at least); the parts the tests check, the rest passes through. */
export const maskedConfigSchema = z.looseObject({
  secret: z.string().optional(),
  secretFile: z.string().optional(),
  db: z.string(),
  rules: z.looseObject({ entry: z.looseObject({ opensMinutesBefore: z.number() }) }),
  bridge: z.looseObject({ failMode: z.string() }),
  devices: z.looseObject({ idcard: z.looseObject({ recordTo: z.string().optional() }).optional() }),
});
