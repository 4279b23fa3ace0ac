import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import { errorFields, type HostLog } from './host-log';
import type { Registration } from './registry';
import { parseSchedule, type Schedule } from './schedule';

/** What the host reports as "last" before a function ever ran (.NET's DateTime.MinValue). */
const NEVER = '0001-01-01T00:00:00.000Z';
/** A tick this much later than its scheduled time is reported as past due. */
const PAST_DUE_AFTER_MS = 1000;
/** setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A timer function, the scheduled time of its last run, its pending wait and its run in progress. */
type TimerJob = { registration: Registration; schedule: Schedule; last?: number; timeout?: NodeJS.Timeout; running?: Promise<void> };

function parsed(registration: Registration): TimerJob {
  try {
    return { registration, schedule: parseSchedule(registration.schedule ?? '') };
  } catch (error: unknown) {
    throw new Error(`Timer function ${registration.name} (schedule ${registration.rawSchedule}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Runs timer functions on their NCRONTAB schedules (UTC) like the Functions host: one run per function
 * at a time (a tick during a run is skipped, not queued), a Timer with isPastDue and scheduleStatus,
 * the library's own InvocationContext. A bad schedule throws here: the host stops before its listening line.
 */
export class TimerScheduler {
  private readonly jobs: TimerJob[];
  private stopped = false;

  constructor(registrations: readonly Registration[], private readonly log: HostLog) {
    this.jobs = registrations.filter((registration) => registration.trigger === 'timer').map(parsed);
  }

  start(): void {
    for (const job of this.jobs) {
      if (job.registration.runOnStartup) this.run(job, Date.now(), Date.now());
      this.arm(job, Date.now());
    }
  }

  /** Stops scheduling and waits for runs in progress (their own deadlines bound the wait). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs) clearTimeout(job.timeout);
    await Promise.all(this.jobs.flatMap((job) => job.running ?? []));
  }

  private arm(job: TimerJob, afterMs: number): void {
    const due = job.schedule.next(afterMs);
    if (due === undefined) return this.log.write('warn', 'timer.no_next_occurrence', { function: job.registration.name });
    const wake = (): void => {
      const now = Date.now();
      if (this.stopped) return;
      if (now < due) job.timeout = setTimeout(wake, Math.min(MAX_TIMEOUT_MS, due - now));
      else {
        this.run(job, due, now);
        this.arm(job, now);
      }
    };
    wake();
  }

  private run(job: TimerJob, scheduledMs: number, nowMs: number): void {
    const { name, handler } = job.registration;
    if (job.running) return this.log.write('warn', 'timer.skipped_still_running', { function: name, scheduled: new Date(scheduledMs).toISOString() });
    const next = job.schedule.next(Math.max(scheduledMs, nowMs));
    const iso = (ms: number | undefined): string => (ms === undefined ? NEVER : new Date(ms).toISOString());
    const timer: Timer = {
      isPastDue: nowMs - scheduledMs > PAST_DUE_AFTER_MS,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: iso(job.last), next: iso(next), lastUpdated: iso(nowMs) },
    };
    job.last = scheduledMs;
    const invocationId = randomUUID();
    const context = new InvocationContext({ functionName: name, invocationId, logHandler: this.log.handlerFor(name, invocationId) });
    // Never rejects: a failed run is logged by class name and code, and the schedule goes on.
    const run = new Promise((resolve) => resolve(handler(timer, context))).then(
      () => this.log.write('info', 'timer.completed', { function: name, invocationId, durationMs: Date.now() - nowMs }),
      (error: unknown) => this.log.write('error', 'timer.failed', { function: name, invocationId, ...errorFields(error) }),
    );
    job.running = run.finally(() => (job.running = undefined));
  }
}
