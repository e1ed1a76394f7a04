// scripts/station-pki.sh in a hurried technician's hands: steps repeated, a CA key moved offline as
// docs/deployment.md says, a gate revoked and issued again. Nothing issued may be replaced or lost by a repeat.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pki } from './shipped-broker.js';

const mode = (f: string) => statSync(f).mode & 0o777;
const hasMosquittoGroup = (() => {
  try {
    execFileSync('getent', ['group', 'mosquitto'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

describe('station-pki.sh run twice, or after the CA key went offline', () => {
  let dir: string;
  let station: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gate-pki-'));
    station = join(dir, 'station');
    pki(['station-init', station, 'VNP']);
    pki(['gate', station, '01']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a second station-init is refused and leaves the CA, the ACL and the gates as they were', () => {
    const before = ['ca.crt', 'ca.key', 'station.acl'].map((f) => readFileSync(join(station, f), 'utf8'));
    expect(() => pki(['station-init', station, 'VNP'])).toThrow(/ca\.key exists: refusing to replace a CA/);
    expect(['ca.crt', 'ca.key', 'station.acl'].map((f) => readFileSync(join(station, f), 'utf8'))).toEqual(before);
  });

  it('with ca.key moved offline, station-init is refused too (it used to make a new CA no gate chains to)', () => {
    const ca = readFileSync(join(station, 'ca.crt'), 'utf8');
    const acl = readFileSync(join(station, 'station.acl'), 'utf8');
    renameSync(join(station, 'ca.key'), join(dir, 'ca.key.offline'));
    expect(() => pki(['station-init', station, 'VNP'])).toThrow(/ca\.crt exists .*refusing to replace a CA/);
    expect(readFileSync(join(station, 'ca.crt'), 'utf8')).toBe(ca);
    expect(readFileSync(join(station, 'station.acl'), 'utf8')).toBe(acl);
    expect(existsSync(join(station, 'ca.key'))).toBe(false);
    // And a gate issued meanwhile is told to bring the key back, not to run -init.
    expect(() => pki(['gate', station, '02'])).toThrow(/ca\.key is not here \(moved offline\?\): put it back/);
  });

  it('a gate issued twice keeps its first certificate', () => {
    const cert = readFileSync(join(station, 'gates', '01.crt'), 'utf8');
    expect(() => pki(['gate', station, '01'])).toThrow(/01\.crt exists/);
    expect(readFileSync(join(station, 'gates', '01.crt'), 'utf8')).toBe(cert);
  });

  it("private keys: the CA's and the gate's 0600; the broker's readable by Mosquitto's group where it exists", () => {
    expect(mode(join(station, 'ca.key'))).toBe(0o600);
    expect(mode(join(station, 'gates', '01.key'))).toBe(0o600);
    if (hasMosquittoGroup) {
      expect(mode(join(station, 'broker.key'))).toBe(0o640);
      const gid = Number(execFileSync('getent', ['group', 'mosquitto']).toString().split(':')[2]);
      expect(statSync(join(station, 'broker.key')).gid).toBe(gid);
    } else expect(mode(join(station, 'broker.key'))).toBe(0o600);
    // The CRL every broker loads is public and present from the start.
    expect(mode(join(station, 'ca.crl'))).toBe(0o644);
  });

  it('revoke: the CRL names the serial; the gate’s files move aside; an unknown gate or a second revoke is refused', () => {
    const serial = execFileSync('openssl', ['x509', '-in', join(station, 'gates', '01.crt'), '-noout', '-serial'])
      .toString()
      .trim()
      .split('=')[1];
    pki(['revoke', station, '01']);
    const crl = execFileSync('openssl', ['crl', '-in', join(station, 'ca.crl'), '-noout', '-text']).toString();
    expect(crl).toContain(`Serial Number: ${serial}`);
    expect(existsSync(join(station, 'gates', 'revoked', `01-${serial}.crt`))).toBe(true);
    expect(existsSync(join(station, 'gates', '01.key'))).toBe(false);
    expect(() => pki(['revoke', station, '01'])).toThrow(/no gate 01 to revoke/);
    expect(() => pki(['revoke', station, '99'])).toThrow(/no gate 99 to revoke/);
  });
});
