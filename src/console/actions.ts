// What a technician can do from the console, with the CLI's rules: the lane test releases one passage in
// maintenance mode and is refused during the fire alarm (like `gate lane test`), a mode change likewise; a resync
// asks central for the snapshot (like central's resync command); the checks are doctor's, minus the port handshakes
// the running daemon's own status answers. Every action is logged with who acted and recorded as a `console-action`
// alarm event, so central sees it too.
import { readFileSync } from 'node:fs';
import type { GateDaemon } from '../daemon/gate-daemon.js';
import type { LoadedConfig } from '../config/load.js';
import {
  ConfigError,
  parseConfig,
  parseJsonc,
  resolveConfigPaths,
  resolveNextSecret,
  resolveSecret,
  maskedConfig,
  SECRET_KEYS,
} from '../config/load.js';
import { runProblems } from '../config/run-checks.js';
import { checkDatabase, checkDisk, type CheckResult } from '../daemon/doctor.js';
import { LANE_MODES, type LaneMode } from '../decide/lane-rules.js';
import type { PassageEvent } from '../gate/events.js';
import { waitForEvent } from '../util/wait.js';
import { errorLine } from '../util/gate-error.js';
import type { Logger } from '../util/log.js';
import { DeviceFaults } from './panels.js';
import { consoleWarnings } from './warnings.js';

export interface ActionResult {
  ok: boolean;
  /** One line for the technician (English, like the CLI's). */
  line: string;
}

export type ActionName = 'lane-test' | 'mode' | 'resync' | 'doctor' | 'config-check';

const EMERGENCY_LINE = 'the fire alarm is active: the lanes are open for evacuation; test after it is reset';

type Gate = Pick<GateDaemon, 'events' | 'lane' | 'release' | 'setMode' | 'sync' | 'recordAlarm' | 'statusSnapshot'>;

export class ConsoleActions {
  private laneTestRunning = false;

  constructor(
    private readonly gate: Gate,
    private readonly loaded: LoadedConfig,
    private readonly faults: DeviceFaults,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Maintenance test: release the lane for one passage, report what the sensors saw, return to the previous mode. */
  async laneTest(user: string): Promise<ActionResult> {
    const s = this.gate.lane.state;
    const refusal = s.emergency
      ? EMERGENCY_LINE
      : !s.linkUp
        ? 'the MCU link is down: no release is possible; see the Devices page'
        : this.laneTestRunning || !['idle', 'done', 'timeout', 'alarm'].includes(s.phase)
          ? `the lane is serving a passage (phase ${s.phase}): try again when it is idle`
          : null;
    if (refusal) return this.audit(user, 'lane-test', { ok: false, line: refusal });
    this.laneTestRunning = true;
    const before = s.mode;
    try {
      this.gate.setMode('maintenance');
      const timeoutMs = s.timing.passageTimeoutMs + s.timing.guardMs + 1000;
      const passage = waitForEvent(this.gate.events, 'passage', () => true, timeoutMs, 'the test passage');
      passage.catch(() => undefined);
      if (!this.gate.release()) {
        this.gate.setMode(before);
        return this.audit(user, 'lane-test', {
          ok: false,
          line: `the lane refused the release (phase ${this.gate.lane.state.phase}${this.gate.lane.state.emergency ? ', fire alarm' : ''})`,
        });
      }
      let outcome: PassageEvent['outcome'] | 'no-report';
      try {
        outcome = (await passage).event.outcome;
      } catch {
        outcome = 'no-report';
      }
      // The fire alarm may have started during the test: the lane then stays as the MCU holds it.
      if (!this.gate.lane.state.emergency) this.gate.setMode(before);
      const line =
        outcome === 'passed'
          ? `released one passage: the sensors saw one person walk through; lane back in ${before} mode`
          : `released one passage: ${outcome === 'no-report' ? 'no report from the MCU' : `${outcome}, nobody walked through`}; lane back in ${before} mode`;
      return this.audit(user, 'lane-test', { ok: outcome === 'passed', line });
    } finally {
      this.laneTestRunning = false;
    }
  }

  setMode(user: string, mode: string): ActionResult {
    // The audit names the mode asked for; anything else is only called invalid (input never reaches central).
    if (!(LANE_MODES as readonly string[]).includes(mode))
      return this.audit(
        user,
        'mode',
        { ok: false, line: `expected one of ${LANE_MODES.join(', ')}, got ${JSON.stringify(mode).slice(0, 40)}` },
        'invalid',
      );
    if (this.gate.lane.state.emergency)
      return this.audit(
        user,
        'mode',
        { ok: false, line: 'the fire alarm is active: the lanes stay open for evacuation; change the mode after it is reset' },
        mode,
      );
    this.gate.setMode(mode as LaneMode);
    return this.audit(user, 'mode', { ok: true, line: `lane mode is now ${mode}` }, mode);
  }

  resync(user: string): ActionResult {
    if (!this.gate.sync)
      return this.audit(user, 'resync', { ok: false, line: 'sync is not enabled on this gate (sync.enabled and mqtt.enabled)' });
    this.gate.sync.resync();
    return this.audit(user, 'resync', { ok: true, line: 'asked central for the whole snapshot; the cache page shows when it is loaded' });
  }

  /** Doctor's checks that the running gate can answer: the config, each device from its live state, cache, outbox and disk. */
  doctor(user: string): CheckResult[] {
    const c = this.loaded.config;
    const results: CheckResult[] = [];
    const problems = runProblems(this.loaded);
    if (problems.length === 0)
      results.push({
        status: 'ok',
        name: 'config',
        line: `schema valid: station ${c.station}, gate ${c.gate}, direction ${c.lane.direction}`,
      });
    for (const p of problems) results.push({ status: 'fail', name: 'config', line: p });
    for (const w of consoleWarnings(c, this.now())) results.push({ status: 'warn', name: 'console', line: w });
    for (const d of this.faults.rows(this.gate, c)) {
      results.push(
        d.state === 'ok'
          ? { status: 'ok', name: d.name, line: `${d.port ?? ''} ok`.trim() }
          : { status: d.state === 'degraded' ? 'warn' : 'fail', name: d.name, line: d.fix ?? d.state },
      );
    }
    let secret: string | null = null;
    let secretNext: string | undefined;
    try {
      secret = resolveSecret(this.loaded);
      secretNext = resolveNextSecret(this.loaded);
    } catch {
      // the config lines above already say why
    }
    results.push(...checkDatabase(c, secret, this.now(), secretNext), checkDisk(c.db));
    const failed = results.filter((r) => r.status === 'fail').length;
    this.audit(user, 'doctor', { ok: failed === 0, line: `${results.length} checks, ${failed} failed` });
    return results;
  }

  /**
   * `gate config check` of an edited copy, against this gate's folder (relative paths mean the same as in the
   * installed file). Values shown masked ("***") keep the running file's value. Nothing is written.
   */
  checkConfig(user: string, text: string): { ok: boolean; problems: string[]; effective: unknown } {
    let problems: string[];
    let effective: unknown = null;
    try {
      const edited = parseJsonc(text, 'the edited copy');
      const installed = parseJsonc(readFileSync(this.loaded.path, 'utf8'), this.loaded.path);
      const config = resolveConfigPaths(parseConfig(unmask(edited, installed), 'the edited copy'), this.loaded.path);
      problems = runProblems({ config, path: this.loaded.path });
      effective = maskedConfig(config);
    } catch (err) {
      problems = err instanceof ConfigError ? err.problems : [errorLine(err)];
    }
    this.audit(user, 'config-check', { ok: problems.length === 0, line: `${problems.length} problems` });
    return { ok: problems.length === 0, problems, effective };
  }

  private audit(user: string, action: ActionName, r: ActionResult, arg?: string): ActionResult {
    const detail = `${user}:${action}${arg ? `=${arg}` : ''}:${r.ok ? 'ok' : 'refused'}`;
    this.log.info({ user, action, ...(arg ? { arg } : {}), ok: r.ok, result: r.line }, 'console action');
    this.gate.recordAlarm({ kind: 'alarm', type: 'console-action', detail, active: false, at: new Date(this.now()).toISOString() });
    return r;
  }
}

/** The edited copy with every masked secret ("***") replaced by the installed file's value at the same place. */
export function unmask(edited: unknown, installed: unknown): unknown {
  if (Array.isArray(edited)) return edited.map((v, i) => unmask(v, Array.isArray(installed) ? installed[i] : undefined));
  if (edited && typeof edited === 'object') {
    const from = installed && typeof installed === 'object' ? (installed as Record<string, unknown>) : {};
    return Object.fromEntries(
      Object.entries(edited).map(([k, v]) => [
        k,
        (SECRET_KEYS as readonly string[]).includes(k) && v === '***' ? from[k] : unmask(v, from[k]),
      ]),
    );
  }
  return edited;
}
