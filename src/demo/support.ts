// The demo's clock: virtual time that jumps between scenes, shown as station time.

/** Runs in real time from a virtual start; set() jumps to another virtual moment (the next scene). */
export class DemoClock {
  private offset: number;

  constructor(startMs: number) {
    this.offset = startMs - Date.now();
  }

  now(): number {
    return Date.now() + this.offset;
  }

  set(ms: number): void {
    this.offset = ms - Date.now();
  }
}

/** HH:MM at the station (Asia/Shanghai). */
export function formatTime(ms: number, timeZone = 'Asia/Shanghai'): string {
  return new Date(ms).toLocaleTimeString('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false });
}
