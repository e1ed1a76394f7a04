// `gate doctor`'s face line: does the module on face.endpoint answer `health` with `ok`? Unlike the serial
// devices this can run beside the daemon (a module serves many connections).
import type { GateConfig } from '../config/schema.js';
import { FaceClient } from './client.js';

export async function checkFaceMatcher(c: GateConfig, waitMs: number): Promise<{ status: 'ok' | 'fail'; name: string; line: string }> {
  const client = new FaceClient(c.face.endpoint);
  let failure = '';
  client.events.on('error', (e) => (failure = e.code));
  try {
    const h = await client.health(waitMs);
    if (h.ok) return { status: 'ok', name: 'face', line: `matcher at ${c.face.endpoint} answers (on failure: ${c.face.onUnavailable})` };
    const why =
      failure === 'connect-failed'
        ? 'nothing listens there: start the vendor adapter or fix face.endpoint'
        : failure === 'timeout'
          ? `no answer within ${waitMs} ms`
          : `it says ${h.detail}`;
    return {
      status: 'fail',
      name: 'face',
      line: `matcher at ${c.face.endpoint}: ${why} (docs/face-match.md); until then chip cards get face.onUnavailable (${c.face.onUnavailable})`,
    };
  } finally {
    client.close();
  }
}
