// Every error code of the layers whose loops act on recovery, and the recovery it calls for, written out by hand
// here (the oracle) and checked against what each error class really carries. A code added without a row fails the
// completeness check; a recovery changed without this table fails its row.
import { describe, expect, it } from 'vitest';
import { DEVICE_RECOVERY, DeviceError } from '../../src/devices/transport.js';
import { READER_RECOVERY, ReaderError } from '../../src/readers/idcard/errors.js';
import { BRIDGE_RECOVERY, BridgeError } from '../../src/bridge/errors.js';
import { OUTBOX_RECOVERY, OutboxError } from '../../src/outbox/outbox.js';
import { LEDGER_RECOVERY, LedgerError } from '../../src/ledger/errors.js';
import { MQTT_RECOVERY, MqttError } from '../../src/mqtt/errors.js';
import { SYNC_ERROR_CODES, SYNC_RECOVERY, SyncError } from '../../src/sync/errors.js';
import { RECOVERIES, type GateError, type Recovery } from '../../src/util/gate-error.js';

const TABLE: Record<string, { make: (code: string) => GateError; codes: Record<string, Recovery>; actual: Record<string, Recovery> }> = {
  device: {
    make: (c) => new DeviceError(c as never, 'm'),
    actual: DEVICE_RECOVERY,
    codes: {
      'not-found': 'fix-config',
      'permission-denied': 'fix-config',
      busy: 'reopen',
      disconnected: 'reopen',
      silent: 'reset-device',
      'wrong-baud': 'fix-config',
      'write-failed': 'reopen',
      unsupported: 'fix-config',
    },
  },
  reader: {
    make: (c) => new ReaderError(c as never, 'm'),
    actual: READER_RECOVERY,
    codes: {
      'no-such-item': 'drop',
      'reader-got-bad-checksum': 'retry',
      'reader-got-bad-length': 'retry',
      'reader-got-bad-command': 'fix-config',
      'unauthorised-operation': 'reset-device',
      'reader-unknown-error': 'reset-device',
      'card-rejected-sam': 'retry',
      'sam-rejected-card': 'drop',
      'card-info-invalid': 'drop',
      'unknown-card-type': 'drop',
      'read-failed': 'retry',
      'random-failed': 'reset-device',
      'sam-self-test-failed': 'reset-device',
      'sam-not-authorised': 'fix-config',
      'no-card': 'retry',
      'select-failed': 'retry',
      'unknown-status': 'reset-device',
      'bad-preamble': 'drop',
      'bad-length': 'drop',
      'bad-checksum': 'retry',
      truncated: 'retry',
      'unexpected-response': 'drop',
      'unknown-layout': 'drop',
      'bad-field': 'drop',
      'bad-number-check': 'drop',
      timeout: 'retry',
      'write-failed': 'reopen',
    },
  },
  bridge: {
    make: (c) => new BridgeError(c as never, 'm'),
    actual: BRIDGE_RECOVERY,
    codes: {
      'no-ack': 'retry',
      nak: 'drop',
      'link-down': 'retry',
      'mcu-silent': 'reset-device',
      'mcu-reset': 'retry',
      'version-mismatch': 'fix-config',
      'bad-payload': 'nak',
      unencodable: 'drop',
      'report-unhandled': 'retry',
      transport: 'reopen',
    },
  },
  outbox: {
    make: (c) => new OutboxError(c as never, 'm'),
    actual: OUTBOX_RECOVERY,
    codes: {
      'disk-full': 'refuse',
      'io-error': 'refuse',
      busy: 'retry',
      'read-only': 'refuse',
      corrupt: 'refuse',
      'write-failed': 'refuse',
      'invalid-event': 'drop',
    },
  },
  ledger: {
    make: (c) => new LedgerError(c as never, 'm'),
    actual: LEDGER_RECOVERY,
    codes: {
      'disk-full': 'refuse',
      'io-error': 'refuse',
      busy: 'retry',
      'read-only': 'refuse',
      corrupt: 'refuse',
      'write-failed': 'refuse',
    },
  },
  mqtt: {
    make: (c) => new MqttError(c as never, 'm'),
    actual: MQTT_RECOVERY,
    codes: {
      'not-connected': 'retry',
      'publish-timeout': 'retry',
      'publish-refused': 'retry',
      'connection-lost': 'retry',
      'bad-tls-file': 'fix-config',
      'bad-url': 'fix-config',
      'bad-gate-key': 'fix-config',
      'store-failed': 'retry',
    },
  },
  sync: {
    make: (c) => new SyncError(c as never, 'm'),
    actual: SYNC_RECOVERY,
    codes: {
      malformed: 'drop',
      'too-large': 'drop',
      unsigned: 'drop',
      'unknown-key': 'fix-config',
      'bad-signature': 'drop',
      'hash-mismatch': 'resync',
      'count-mismatch': 'resync',
      'station-mismatch': 'fix-config',
      'topic-mismatch': 'drop',
      'doc-key-mismatch': 'fix-config',
      gap: 'resync',
      'apply-failed': 'resync',
    },
  },
};

describe('every error code -> its recovery', () => {
  for (const [layer, t] of Object.entries(TABLE)) {
    it(`${layer}: every code has a row, and each error carries the recovery of its row`, () => {
      expect(Object.keys(t.actual).sort()).toEqual(Object.keys(t.codes).sort());
      for (const [code, recovery] of Object.entries(t.codes)) {
        const e = t.make(code);
        expect({ layer: e.layer, code: e.code, recovery: e.recovery }).toEqual({ layer, code, recovery });
        expect(e.toLine()).toBe(`${layer}/${code}: m`);
      }
    });
  }

  it('the sync codes listed for docs are the codes of the table', () => {
    expect([...SYNC_ERROR_CODES].sort()).toEqual(Object.keys(TABLE.sync.codes).sort());
  });

  it('every recovery named in a table is one the loops know', () => {
    const used = new Set(Object.values(TABLE).flatMap((t) => Object.values(t.codes)));
    for (const r of used) expect(RECOVERIES).toContain(r);
  });
});
