// `gate doctor`: every part a gate needs, checked from the technician's side, one line each with the fix where
// something fails. Run with the service stopped (it opens the same ports). Checks never write to the database.
import { existsSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import mqtt from 'mqtt';
import type { GateConfig } from '../config/schema.js';
import { SerialTransport } from '../devices/serial.js';
import { listHidDevices, type HidModule } from '../devices/hid.js';
import { bridgeFromConfig } from '../bridge/from-config.js';
import { IdCardFramer, buildCommand, parseResponse } from '../readers/idcard/index.js';
import { errorLine } from '../util/gate-error.js';
import { waitFor } from '../util/wait.js';
import { SECRET_CHECK_KEY, secretMatches } from '../cache/write.js';
import { openReadOnly } from '../cache/read-only.js';
import { LineHealth, lineAdvice, mqttAdvice } from './line-health.js';
import { clientOptions } from '../mqtt/connection.js';
import { checkFaceMatcher } from '../face/doctor.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  name: string;
  line: string;
}

export interface DoctorOptions {
  config: GateConfig;
  secret: string | null;
  /** Key rotation: the next document key; a cache already swapped to it is the gate's too. */
  secretNext?: string;
  /** How long a device has to answer. */
  handshakeMs?: number;
  hid?: HidModule;
  now?: () => number;
}

const MIN_FREE_BYTES = 200 * 1024 * 1024;

export async function runDoctor(o: DoctorOptions): Promise<CheckResult[]> {
  const c = o.config;
  const wait = o.handshakeMs ?? 2000;
  const results: CheckResult[] = [];
  const add = (status: CheckStatus, name: string, line: string) => results.push({ status, name, line });

  // The config's own problems (runProblems) are added by the command, one FAIL line each.
  add(
    'ok',
    'config',
    `schema valid: station ${c.station}, gate ${c.gate ?? '(none)'}, direction ${c.lane.direction}, mode ${c.lane.initialMode}, time zone ${c.rules.timeZone}`,
  );

  if (c.devices.idcard.enabled) results.push(await checkIdCard(c, wait));
  else add('skip', 'idcard', 'devices.idcard.enabled is false');
  if (c.devices.mrzSerial.enabled) results.push(await checkPortOpens('mrzSerial', c.devices.mrzSerial, c));
  if (c.devices.mrzHid.enabled) results.push(await checkHid(c, o.hid));
  if (c.bridge.enabled) results.push(await checkBridge(c, wait));
  else add('fail', 'bridge', 'bridge.enabled is false: the gate cannot open its turnstile without the MCU');
  if (c.face.enabled) results.push(await checkFaceMatcher(c, wait));
  if (c.mqtt.enabled) results.push(await checkBroker(c, wait * 2));
  else add('warn', 'mqtt', 'mqtt.enabled is false: events stay in the outbox and central sees nothing');
  // Not a refusal (the worker runs and waits), but no batch can ever be verified and applied.
  if (c.sync.enabled && c.sync.centralPublicKeys.length === 0)
    add('warn', 'sync', "sync.centralPublicKeys is empty: every snapshot and delta is refused; add central's public key");
  results.push(...checkDatabase(c, o.secret, (o.now ?? Date.now)(), o.secretNext));
  results.push(checkDisk(c.db));
  return results;
}

export function formatResults(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results.map((r) => `${r.status.toUpperCase().padEnd(4)}  ${r.name.padEnd(width)}  ${r.line}`).join('\n') + '\n';
}

type PortConfig = { path?: string; vendorId?: string; productId?: string; baudRate: number };

async function openPort(name: string, p: PortConfig, c: GateConfig): Promise<{ transport: SerialTransport } | { error: string }> {
  const transport = new SerialTransport({ name, ...p, reconnect: c.devices.reconnect });
  try {
    await transport.open();
    return { transport };
  } catch (err) {
    await transport.close();
    return { error: errorLine(err).replace(/^device\/[a-z-]+: /, '') };
  }
}

async function checkPortOpens(name: string, p: PortConfig, c: GateConfig): Promise<CheckResult> {
  const r = await openPort(name, p, c);
  if ('error' in r) return { status: 'fail', name, line: r.error };
  await r.transport.close();
  return {
    status: 'ok',
    name,
    line: `${p.path ?? `${p.vendorId}:${p.productId}`} opens at ${p.baudRate} baud (the scanner sends only when it reads a page)`,
  };
}

async function checkIdCard(c: GateConfig, waitMs: number): Promise<CheckResult> {
  const p = c.devices.idcard;
  const r = await openPort('idcard', p, c);
  if ('error' in r) return { status: 'fail', name: 'idcard', line: r.error };
  const framer = new IdCardFramer();
  const health = new LineHealth();
  // Set by the reader callback below; the cast keeps TypeScript from narrowing it to null for the rest of the function.
  let answered = null as string | null;
  const off = r.transport.events.on('data', (chunk) => {
    for (const out of framer.push(chunk)) {
      if (out.kind === 'discard') health.discard(out.bytes.length);
      else {
        const parsed = parseResponse('samStatus', out.frame);
        health.answer();
        answered = parsed.ok ? 'SAM status ok' : `SAM answered ${parsed.error.code}`;
      }
    }
  });
  try {
    for (let i = 0; i < 3 && !answered; i++) {
      await r.transport.write(buildCommand('samStatus'));
      await waitFor(() => answered !== null, waitMs / 3, 'the SAM status').catch(() => undefined);
      if (!answered) health.timeout();
    }
  } finally {
    off();
    await r.transport.close();
  }
  if (answered)
    return {
      status: answered === 'SAM status ok' ? 'ok' : 'warn',
      name: 'idcard',
      line: `reader on ${p.path ?? 'USB id'} answers: ${answered}`,
    };
  return {
    status: 'fail',
    name: 'idcard',
    line: lineAdvice('idcard', p.path, p.baudRate, health.verdict() === 'wrong-baud' ? 'wrong-baud' : 'silent')!,
  };
}

async function checkBridge(c: GateConfig, waitMs: number): Promise<CheckResult> {
  const p = c.bridge.port;
  const { transport, link } = bridgeFromConfig(c);
  let garbage = 0;
  let openError: string | null = null;
  link.events.on('discard', (d) => (garbage += d.bytes.length));
  transport.events.on('error', (e) => (openError ??= e.message));
  try {
    await link.start().catch((err: unknown) => (openError ??= errorLine(err)));
    await waitFor(() => link.state === 'up' || openError !== null, waitMs * 1.5, 'the MCU HELLO').catch(() => undefined);
    if (link.state === 'up') {
      const m = link.mcu!;
      return {
        status: 'ok',
        name: 'bridge',
        line: `MCU answers on ${p.path ?? 'USB id'}: firmware ${m.firmware}, fail mode ${c.bridge.failMode}${m.emergency ? ', FIRE ALARM ACTIVE' : ''}`,
      };
    }
    if (openError) return { status: 'fail', name: 'bridge', line: openError };
    if (garbage > 16)
      return {
        status: 'fail',
        name: 'bridge',
        line: `only garbage from the MCU on ${p.path} at ${p.baudRate} baud: probably the wrong baud rate; set bridge.port.baudRate (PROTOCOL.md: 115200)`,
      };
    return {
      status: 'fail',
      name: 'bridge',
      line: `no HELLO reply from the MCU on ${p.path ?? 'USB id'}: check the cable, that it is the MCU's port (gate ports) and that the MCU runs`,
    };
  } finally {
    if (link.state !== 'closed') await link.stop().catch(() => undefined);
    await transport.close();
  }
}

async function checkHid(c: GateConfig, hid?: HidModule): Promise<CheckResult> {
  const m = c.devices.mrzHid;
  try {
    const devices = await listHidDevices(hid);
    const want = (id?: string) => (id === undefined ? undefined : parseInt(id, 16));
    const hit = devices.find((d) => (m.path ? d.path === m.path : d.vendorId === want(m.vendorId) && d.productId === want(m.productId)));
    if (hit) return { status: 'ok', name: 'mrzHid', line: `found ${hit.product ?? 'HID device'} at ${hit.path ?? '?'}` };
    return {
      status: 'fail',
      name: 'mrzHid',
      line: `no HID device ${m.path ?? `${m.vendorId}:${m.productId}`} (${devices.length} HID devices seen): plug the scanner in, check the ids (gate ports) and the udev rule for hidraw`,
    };
  } catch (err) {
    return { status: 'fail', name: 'mrzHid', line: `cannot list HID devices: ${errorLine(err)} (is libusb/udev installed?)` };
  }
}

/**
 * Every configured broker, connected to exactly as the daemon connects (the session layer's client options: TLS with
 * CA, certificate, key and server name, credentials). OK when the first URL answers; a fallback that does not answer
 * is a warning, since the gate still runs.
 */
async function checkBroker(c: GateConfig, waitMs: number): Promise<CheckResult> {
  const m = c.mqtt;
  const failures: string[] = [];
  for (const [i, url] of m.urls.entries()) {
    try {
      const options = { ...clientOptions(m, undefined, waitMs), clientId: `gate-doctor-${c.station}-${c.gate ?? 'x'}` };
      const client = await mqtt.connectAsync(url, options);
      await client.endAsync();
      const others = failures.length ? `; ${failures.join('; ')}` : '';
      return { status: i === 0 ? 'ok' : 'warn', name: 'mqtt', line: `broker ${url} accepts the gate's credentials${others}` };
    } catch (err) {
      const code = (err as { code?: string | number }).code;
      failures.push(mqttAdvice(url, String(code ?? (err as Error).message)));
    }
  }
  return { status: 'fail', name: 'mqtt', line: failures.join('; ') };
}

export function checkDatabase(c: GateConfig, secret: string | null, nowMs: number, secretNext?: string): CheckResult[] {
  if (!existsSync(c.db))
    return [
      {
        status: 'fail',
        name: 'cache',
        line: `no database at ${c.db}: the gate creates it on start; load tickets with sync or gate cache import`,
      },
    ];
  let db;
  try {
    db = openReadOnly(c.db);
  } catch (err) {
    return [{ status: 'fail', name: 'cache', line: errorLine(err) }];
  }
  try {
    const out: CheckResult[] = [];
    const fp = (db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(SECRET_CHECK_KEY) as string | undefined) ?? null;
    if (secret && fp && !secretMatches(fp, secret) && !(secretNext && secretMatches(fp, secretNext))) {
      out.push({
        status: 'fail',
        name: 'secret',
        line: 'the HMAC secret differs from the one the cache was built with: restore the secret, or clear the cache (gate cache clear --config FILE --yes) and resync',
      });
    }
    const sync = db.prepare('SELECT epoch, seq, generated_at FROM sync_state WHERE id = 1').get() as
      { epoch: string; seq: number; generated_at: string } | undefined;
    if (!sync)
      out.push({
        status: 'fail',
        name: 'cache',
        line: 'the cache is empty: enable sync (central publishes the snapshot) or load one with gate cache import',
      });
    else {
      const ageMin = Math.round((nowMs - Date.parse(sync.generated_at)) / 60_000);
      const max = c.rules.maxCacheAgeMinutes;
      const tickets = db.prepare('SELECT count(*) FROM tickets').pluck().get() as number;
      const line = `${tickets} tickets, epoch ${sync.epoch} seq ${sync.seq}, generated ${ageMin} min ago (max ${max})`;
      if (tickets === 0)
        out.push({
          status: 'warn',
          name: 'cache',
          line: `${line}: no tickets, every passenger is refused; check the snapshot central publishes`,
        });
      else
        out.push(
          ageMin > max
            ? {
                status: 'fail',
                name: 'cache',
                line: `${line}: too old, the gate rejects with cache-stale; check sync (gate sync status) and central`,
              }
            : { status: 'ok', name: 'cache', line },
        );
    }
    const ob = db.prepare('SELECT count(*) AS pending, min(created_ms) AS oldest FROM outbox WHERE sent_ms IS NULL').get() as {
      pending: number;
      oldest: number | null;
    };
    const oldestMin = ob.oldest === null ? 0 : Math.round((nowMs - ob.oldest) / 60_000);
    const obLine = `${ob.pending} events waiting${ob.pending ? `, oldest ${oldestMin} min` : ''}`;
    out.push(
      ob.pending > 0 && oldestMin > 60
        ? { status: 'warn', name: 'outbox', line: `${obLine}: central has not acknowledged for an hour; check the broker (mqtt line)` }
        : { status: 'ok', name: 'outbox', line: obLine },
    );
    return out;
  } finally {
    db.close();
  }
}

export function checkDisk(dbPath: string): CheckResult {
  const dir = dirname(dbPath);
  if (!existsSync(dir))
    return { status: 'fail', name: 'disk', line: `the database folder ${dir} does not exist: create it (install.sh makes /var/lib/gate)` };
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  const mb = Math.round(free / 1024 / 1024);
  if (free < MIN_FREE_BYTES)
    return {
      status: 'fail',
      name: 'disk',
      line: `${mb} MB free in ${dir}: below ${MIN_FREE_BYTES / 1024 / 1024} MB the outbox may fill the disk; free space`,
    };
  return { status: 'ok', name: 'disk', line: `${mb} MB free in ${dir}` };
}
