import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { nextOccurrence, parseNcrontab } from './ncrontab';
import type { Registration } from './registry';
import type { HostLog } from './host-log';

/** setTimeout's ceiling (about 24.8 days); a yearly or monthly schedule is further away than that. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Runs timer functions on their NCRONTAB schedules like the Functions host: one run at a time per
 * function (a late tick is skipped, not queued), a Timer object with isPastDue and scheduleStatus.
 */
export class TimerScheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly log: HostLog) {}

  start(registrations: readonly Registration[]): void {
    for (const registration of registrations) {
      if (registration.trigger !== 'timer' || !registration.schedule) continue;
      const schedule = parseNcrontab(registration.schedule);
      let last: number | undefined;
      const arm = (): void => {
        if (this.stopped) return;
        const next = nextOccurrence(schedule, Date.now());
        if (next === undefined) return;
        if (next - Date.now() > MAX_TIMER_DELAY_MS) {
          // Node runs a longer timeout after 1 ms instead: get there in hops, then arm for real.
          const hop = setTimeout(() => {
            this.timers.delete(hop);
            arm();
          }, MAX_TIMER_DELAY_MS);
          this.timers.add(hop);
          return;
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          const following = nextOccurrence(schedule, next);
          void this.invoke(registration, { isPastDue: Date.now() - next > 1000, last, next: following });
          last = next;
          arm();
        }, Math.max(0, next - Date.now()));
        this.timers.add(timer);
      };
      if (registration.runOnStartup) void this.invoke(registration, { isPastDue: false, last: undefined, next: nextOccurrence(schedule, Date.now()) });
      arm();
    }
  }

  private async invoke(registration: Registration, status: { isPastDue: boolean; last?: number; next?: number }): Promise<void> {
    if (this.running.has(registration.name) || this.stopped) {
      this.log.write('warn', 'timer.skipped_overlap', { function: registration.name });
      return;
    }
    const timer = {
      isPastDue: status.isPastDue,
      schedule: { adjustForDST: false },
      scheduleStatus: {
        last: new Date(status.last ?? 0).toISOString(),
        next: new Date(status.next ?? 0).toISOString(),
        lastUpdated: new Date().toISOString(),
      },
    };
    const invocationId = randomUUID();
    const context = new InvocationContext({ functionName: registration.name, invocationId, logHandler: this.log.handlerFor(registration.name, invocationId) });
    const run = (async () => {
      try {
        await registration.handler(timer, context);
      } catch (error: unknown) {
        this.log.write('error', 'timer.failed', { function: registration.name, error: error instanceof Error ? error.name : typeof error });
      }
    })();
    this.running.set(registration.name, run);
    try {
      await run;
    } finally {
      this.running.delete(registration.name);
    }
  }

  /** Stops scheduling and waits for runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.running.values());
  }
}
