// Versioned schema migrations, applied in order; a file's PRAGMA user_version says which it has.
// Append only: never edit a migration that has shipped.
import type { Db } from '../db.js';
import { coreSchema } from './001-core.js';
import { outboxSchema } from './002-outbox.js';
import { syncStatusSchema } from './003-sync.js';
import { pendingAuthSchema } from './004-pending-auth.js';
import { passageSigSchema } from './005-passage-sig.js';
import { clearedUsesSchema } from './006-cleared-uses.js';
import { birthKeySchema } from './007-birth-key.js';
import { ticketFaresSchema } from './008-ticket-fares.js';
import { ledgerArrivalSchema } from './009-ledger-arrival.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'core: passengers, tickets, ledger, sync state', up: coreSchema },
  { version: 2, name: 'outbox: durable events awaiting publication', up: outboxSchema },
  { version: 3, name: 'sync status: head, snapshot progress, resync requests, refused batches', up: syncStatusSchema },
  { version: 4, name: 'pending authorisations: whose ticket a passage after a restart consumes', up: pendingAuthSchema },
  { version: 5, name: 'passage signatures: the gate signs its passage events for its siblings', up: passageSigSchema },
  { version: 6, name: 'cleared uses: sibling passages central undid, never taken again', up: clearedUsesSchema },
  { version: 7, name: 'keyed birth dates: birth_key replaces birth_date; the cache is reloaded from central', up: birthKeySchema },
  { version: 8, name: "ticket fares: fare, student concession check and journey, the train's calling stations", up: ticketFaresSchema },
  {
    version: 9,
    name: "ledger arrival: each passage keeps its ticket's arrival, so the ledger is pruned by meaning",
    up: ledgerArrivalSchema,
  },
];
