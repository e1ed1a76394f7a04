// What a hurried technician can set up that runs but is unsafe or about to break: the console on the maintenance
// network without TLS (passwords and the session cookie cross it readable), a certificate that expired, is not yet
// valid, ends within two weeks or does not match its key. The lane runs either way, so these are warnings, not
// refusals: `gate config check` prints them (WARN, exit 0), `gate doctor` and the console's checks show WARN lines,
// and `gate run` logs them when the console starts.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { GateConfig } from '../config/schema.js';

const SOON_MS = 14 * 24 * 3600 * 1000;

/** 127.0.0.0/8, ::1 and localhost: only this machine (an SSH tunnel) reaches the console. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function pemText(value: string): string | Buffer {
  return value.includes('-----BEGIN') ? value : readFileSync(value);
}

/** A file that cannot be read (run-checks reports it) rather than one that is not PEM. */
const isFileError = (err: unknown) => (err as NodeJS.ErrnoException).syscall !== undefined;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** One line per warning about console.*, [] when the console is off or set up safely. */
export function consoleWarnings(c: GateConfig, nowMs: number = Date.now()): string[] {
  const con = c.console;
  if (!con.enabled) return [];
  const out: string[] = [];
  if (!con.tls && !isLoopbackHost(con.host))
    out.push(
      `console.host: ${con.host} serves the console over plain HTTP beyond this machine: passwords and the session cookie cross the network readable; set console.tls (docs/console.md) or keep console.host 127.0.0.1 and use an SSH tunnel`,
    );
  if (!con.tls) return out;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pemText(con.tls.cert));
  } catch (err) {
    // An unreadable file is a config problem of its own (run-checks); this is a file that is not a certificate.
    if (isFileError(err)) return out;
    return [...out, `console.tls.cert: not a PEM certificate (${(err as Error).message.split('\n')[0]}): the console will not start`];
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (to <= nowMs)
    out.push(
      `console.tls.cert: the certificate expired on ${day(to)}: browsers refuse it (do not teach technicians to click through); make a new one (docs/deployment.md, scripts/station-pki.sh)`,
    );
  else if (from > nowMs)
    out.push(`console.tls.cert: the certificate is valid only from ${day(from)}: check this gate's clock (timedatectl) or the certificate`);
  else if (to - nowMs < SOON_MS)
    out.push(`console.tls.cert: the certificate expires on ${day(to)}: make a new one before then (scripts/station-pki.sh)`);
  try {
    if (!cert.checkPrivateKey(createPrivateKey(pemText(con.tls.key))))
      out.push('console.tls.key: not the key of console.tls.cert: the console will not start; give the matching key');
  } catch (err) {
    if (!isFileError(err)) out.push('console.tls.key: not a PEM private key: the console will not start');
  }
  return out;
}
