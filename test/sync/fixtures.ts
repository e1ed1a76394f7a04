// Records for the sync tests: a station's passengers and tickets, deterministic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { PassengerRecord, SnapshotFile, TicketRecord } from '../../src/cache/records.js';
import { signingKeyFrom } from '../../src/central/keys.js';

export const STATION = 'SHH';
export const SECRET = 'test-sync-10673450a5be5c6445db264818368f481b64d4449711e54074cbb482f3ae0f81';

export function passenger(i: number, status: PassengerRecord['status'] = 'verified'): PassengerRecord {
  return { kind: 'passport', country: 'DEU', number: `C${String(i).padStart(8, '0')}`, status, birthDate: '1990-01-01' };
}

export function ticket(i: number, status: TicketRecord['status'] = 'valid', holder = i): TicketRecord {
  return {
    id: `T${String(i).padStart(9, '0')}`,
    kind: 'passport',
    country: 'DEU',
    number: `C${String(holder).padStart(8, '0')}`,
    train: 'G101',
    date: '2026-03-01',
    from: STATION,
    to: 'BJP',
    departure: '2026-03-01T08:00:00+08:00',
    arrival: '2026-03-01T12:30:00+08:00',
    car: '05',
    seat: '12A',
    status,
  };
}

export function snapshotFile(n: number, generatedAt = '2026-03-01T00:00:00+08:00'): SnapshotFile {
  return {
    station: STATION,
    generatedAt,
    passengers: Array.from({ length: n }, (_, i) => passenger(i)),
    tickets: Array.from({ length: n }, (_, i) => ticket(i)),
  };
}

export function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { key: signingKeyFrom(privateKey), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gate-sync-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
