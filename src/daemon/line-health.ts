// Tells a technician why a serial device is not working from what the line does: nothing at all (wrong port, reader
// off, cable) or bytes that never form a frame (wrong baud rate). Pure: fed with what the reader saw.
export type LineVerdict = 'ok' | 'silent' | 'wrong-baud' | 'unknown';

/** Bytes of garbage without one good frame before we blame the baud rate (a few noise bytes happen on any line). */
const GARBAGE_BYTES = 48;
/** Requests without any answer before we call the device silent. */
const SILENT_AFTER = 3;

export class LineHealth {
  private garbage = 0;
  private timeouts = 0;
  private answered = false;

  answer(): void {
    this.garbage = 0;
    this.timeouts = 0;
    this.answered = true;
  }

  discard(length: number): void {
    this.garbage += length;
  }

  timeout(): void {
    this.timeouts++;
  }

  verdict(): LineVerdict {
    if (this.garbage >= GARBAGE_BYTES) return 'wrong-baud';
    if (this.timeouts >= SILENT_AFTER) return 'silent';
    return this.answered ? 'ok' : 'unknown';
  }
}

/** The one line a technician acts on, for a device whose line is not healthy. */
export function lineAdvice(device: string, path: string | undefined, baudRate: number, v: LineVerdict): string | null {
  const where = path ?? 'the configured USB id';
  if (v === 'silent')
    return `${device}: no answer on ${where}: check that it is the right port (gate ports), the cable and the device's power`;
  if (v === 'wrong-baud')
    return `${device}: only garbage on ${where} at ${baudRate} baud: probably the wrong baud rate; set devices.${device}.baudRate (ID readers: 115200)`;
  return null;
}

/** A broker's refusal or a network failure (the connection's retry reason) as one line that names the fix. */
export function mqttAdvice(url: string, reason: string): string {
  const r = String(reason);
  if (r === '4' || r === '134' || /bad user ?name or password/i.test(r))
    return `mqtt: ${url} refused the username or password: check mqtt.username and mqtt.password`;
  if (r === '5' || r === '135' || /not authori[sz]ed/i.test(r))
    return `mqtt: ${url} refused this client (not authorised): check mqtt.username/password, the client certificate and the broker's ACL`;
  if (r === 'session-taken-over')
    return `mqtt: ${url} dropped this gate for another client with the same client id: check that no other gate has this mqtt.clientId (two gates with one id push each other off); if none does, someone is using this gate's id`;
  if (/ECONNREFUSED/.test(r)) return `mqtt: nothing listens at ${url}: check mqtt.urls and that the broker is running`;
  if (/ENOTFOUND|EAI_AGAIN/.test(r)) return `mqtt: cannot resolve the host of ${url}: check mqtt.urls and DNS`;
  if (/CERT|SSL|TLS|self[- ]signed|alert/i.test(r)) return `mqtt: TLS with ${url} failed (${r}): check mqtt.tls.ca, cert and key`;
  return `mqtt: cannot reach ${url} (${r}): retrying`;
}
