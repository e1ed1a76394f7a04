// Which Host headers the console answers (DNS rebinding). A page on an attacker's site can point its own name at the
// gate's address; the browser then calls that name "same origin" and sends Origin and Sec-Fetch-Site that pass the
// cross-site check. What it cannot change is the Host header: it names the attacker's domain. So the console answers
// only an IP address (a rebinding needs a name), `localhost` (an SSH tunnel, any local port), and the names its TLS
// certificate is for (a browser reaching the console by name must match one of them anyway).
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** The DNS names a certificate is for (subjectAltName DNS entries), lower case; [] when it cannot be read. */
export function certificateNames(pem: string | Buffer): string[] {
  try {
    const san = new X509Certificate(pem).subjectAltName ?? '';
    return san
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase());
  } catch {
    return [];
  }
}

/** The host name of a Host header ("[::1]:8443" -> "::1", "Gate-07.lan:8443" -> "gate-07.lan"). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h.slice(1) : h.slice(1, end);
  }
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

export class HostNames {
  private readonly names: Set<string>;
  private readonly wildcards: string[];

  constructor(names: readonly string[]) {
    const all = ['localhost', ...names.map((n) => n.toLowerCase())];
    this.names = new Set(all.filter((n) => !n.startsWith('*.')));
    this.wildcards = all.filter((n) => n.startsWith('*.')).map((n) => n.slice(1));
  }

  /** Whether a request with this Host header is meant for the console. No header (HTTP/1.0, not a browser) passes. */
  allows(header: string | undefined): boolean {
    if (header === undefined) return true;
    const name = hostName(header);
    if (isIP(name) !== 0) return true;
    if (this.names.has(name)) return true;
    // "*.station.lan" covers one label: gate-07.station.lan, not a.gate-07.station.lan.
    return this.wildcards.some((w) => name.endsWith(w) && !name.slice(0, -w.length).includes('.') && name.length > w.length);
  }
}
