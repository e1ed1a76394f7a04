// The matcher port end to end: the gate's FaceClient against the simulated module running as its own process on a
// real Unix socket, scripted per card. Every answer of the protocol, and every way the module can fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaceClient } from '../../src/face/client.js';
import { photoKey, syntheticPhotoFor } from '../../src/face/sim.js';
import { startFaceSim, type FaceSimProcess } from '../../src/face/sim-process.js';
import { encodeFrame } from '../../src/face/protocol.js';
import type { FaceError } from '../../src/face/errors.js';
import { waitFor } from '../../src/util/wait.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

const ALICE = syntheticPhotoFor('alice');
const BOB = syntheticPhotoFor('bob');

describe('face matcher port (FaceClient <-> simulated module process)', () => {
  let dir: string;
  let sim: FaceSimProcess;
  let client: FaceClient;
  const errors: FaceError[] = [];
  let n = 0;
  const ask = (photo: Uint8Array, deadlineMs = 1000) => client.match({ requestId: `r${++n}`, photo, deadlineMs });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-face-'));
    sim = await startFaceSim(join(dir, 'face.sock'), join(dir, 'script.json'));
    client = new FaceClient(sim.socketPath);
    client.events.on('error', (e) => errors.push(e));
  });
  afterAll(async () => {
    client.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers per card: match with a score for one, no-match for another; the module saw the photo the gate sent', async () => {
    sim.script({ default: { result: 'match', score: 0.91 }, photos: { [photoKey(BOB)]: { result: 'no-match', score: 0.31 } } });
    expect(await ask(ALICE)).toEqual({ result: 'match', score: 0.91 });
    expect(await ask(BOB)).toEqual({ result: 'no-match', score: 0.31 });
    await waitFor(() => sim.requests.length >= 2, 2000, 'the sim to log both requests');
    expect(sim.requests.slice(-2).map((r) => r.key)).toEqual([photoKey(ALICE), photoKey(BOB)]);
  });

  it.each(['no-face', 'liveness-failed', 'unavailable'] as const)('passes %s through', async (result) => {
    sim.script({ default: { result, detail: result === 'unavailable' ? 'camera-fault' : undefined } });
    expect(await ask(ALICE)).toMatchObject({ result });
  });

  it('plays a list in order per card (no-face twice, then a match)', async () => {
    const carol = syntheticPhotoFor('carol');
    sim.script({ photos: { [photoKey(carol)]: [{ result: 'no-face' }, { result: 'no-face' }, { result: 'match', score: 0.8 }] } });
    expect((await ask(carol)).result).toBe('no-face');
    expect((await ask(carol)).result).toBe('no-face');
    expect(await ask(carol)).toEqual({ result: 'match', score: 0.8 });
  });

  it('a slow module within the deadline is waited for; past it the request is unavailable/timeout and the late answer is ignored', async () => {
    sim.script({ default: { result: 'match', score: 0.9, delayMs: 150 } });
    expect(await ask(ALICE, 1000)).toEqual({ result: 'match', score: 0.9 });
    errors.length = 0;
    expect(await ask(ALICE, 50)).toEqual({ result: 'unavailable', detail: 'timeout' });
    expect(errors.map((e) => e.code)).toEqual(['timeout']);
    sim.script({ default: { result: 'no-match' } });
    expect((await ask(ALICE, 1000)).result).toBe('no-match'); // not the late match of the request before
  });

  it('a module that never answers: unavailable/timeout at the deadline', async () => {
    sim.script({ default: { action: 'hang' } });
    const t0 = Date.now();
    expect(await ask(ALICE, 200)).toEqual({ result: 'unavailable', detail: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a disconnect mid-request: unavailable/disconnected at once, and the next request reconnects', async () => {
    sim.script({ default: { action: 'close' } });
    expect(await ask(ALICE, 5000)).toEqual({ result: 'unavailable', detail: 'disconnected' });
    sim.script({ default: { result: 'match', score: 0.88 } });
    expect(await ask(ALICE)).toEqual({ result: 'match', score: 0.88 });
  });

  it('an answer that is not the protocol: unavailable (bad-answer at its deadline), never a match', async () => {
    sim.script({ default: { action: 'garbage' } });
    errors.length = 0;
    expect((await ask(ALICE, 300)).result).toBe('unavailable');
    expect(errors.map((e) => e.code)).toContain('bad-answer');
  });

  it('health: ok, or what the module says', async () => {
    sim.script({ health: 'ok' });
    expect(await client.health(500)).toEqual({ ok: true, detail: null });
    sim.script({ health: 'unavailable' });
    expect(await client.health(500)).toEqual({ ok: false, detail: 'unavailable' });
  });

  it('the module process killed: unavailable/connect-failed or disconnected, never a throw', async () => {
    const other = await startFaceSim(join(dir, 'other.sock'), join(dir, 'other.json'));
    const c = new FaceClient(other.socketPath);
    expect((await c.match({ requestId: 'x1', photo: ALICE, deadlineMs: 500 })).result).toBe('match');
    other.script({ default: { result: 'match', delayMs: 2000 } });
    const pending = c.match({ requestId: 'x2', photo: ALICE, deadlineMs: 5000 });
    await new Promise((r) => setTimeout(r, 100)); // the request is with the module
    other.proc.kill('SIGKILL');
    expect(await pending).toEqual({ result: 'unavailable', detail: 'disconnected' });
    await other.stop();
    expect(await c.match({ requestId: 'x3', photo: ALICE, deadlineMs: 500 })).toEqual({ result: 'unavailable', detail: 'connect-failed' });
    c.close();
  });

  it('a match without a score is refused as bad-answer (a vendor bug must not open the gate)', async () => {
    const path = join(dir, 'bad.sock');
    const server = createServer((s) =>
      s.on('data', (d) =>
        s.write(encodeFrame({ v: 1, id: parseJson(z.looseObject({ id: z.string() }), d.subarray(4).toString()).id, result: 'match' })),
      ),
    );
    await new Promise<void>((r) => server.listen(path, () => r()));
    const c = new FaceClient(path);
    expect(await c.match({ requestId: 'y1', photo: ALICE, deadlineMs: 500 })).toEqual({ result: 'unavailable', detail: 'bad-answer' });
    c.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
