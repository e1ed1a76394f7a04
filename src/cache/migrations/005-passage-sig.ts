import type { Db } from '../db.js';
// The gate's Ed25519 signature over a passage event's exact payload (purpose `passage`), made when the event is
// committed and published with it as the MQTT 5 user property `sig`: sibling gates take a passage only from a gate
// on central's roster whose signature checks out. Null for other kinds and for rows written before this migration.
export function passageSigSchema(db: Db): void {
  db.exec(`ALTER TABLE outbox ADD COLUMN sig TEXT;`);
}
