import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import { errorFields } from './error-fields';
import type { HostLog } from './host-log';
import { nextOccurrence, parseNcrontab, type Schedule } from './ncrontab';
import type { Registration } from './registry';

/** What the host reports as "last" before a function ever ran (.NET's DateTime.MinValue). */
const NEVER = '0001-01-01T00:00:00.000Z';
/** A tick this much later than its scheduled time is reported as past due. */
const PAST_DUE_AFTER_MS = 1000;

interface TimerJob {
  registration: Registration;
  schedule: Schedule;
  last?: number;
  timeout?: NodeJS.Timeout;
  running?: Promise<void>;
}

/**
 * Runs timer functions on their NCRONTAB schedules (UTC) like the Functions host: at most one run
 * per function at a time (a tick that finds the previous run still going is skipped, not queued),
 * a Timer object with isPastDue and scheduleStatus, and a clean stop that waits for runs in progress.
 * Schedules are parsed in the constructor so a bad one stops the host before it listens.
 */
export class TimerScheduler {
  private readonly jobs: TimerJob[];
  private stopped = false;

  constructor(
    registrations: readonly Registration[],
    private readonly log: HostLog,
  ) {
    this.jobs = registrations
      .filter((registration) => registration.trigger === 'timer')
      .map((registration) => {
        if (!registration.schedule) throw new Error(`Timer function ${registration.name} has no schedule.`);
        try {
          return { registration, schedule: parseNcrontab(registration.schedule) };
        } catch (error: unknown) {
          const reason = error instanceof Error ? error.message : String(error);
          throw new Error(`Timer function ${registration.name} (schedule ${registration.rawSchedule}): ${reason}`);
        }
      });
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
    await Promise.all(this.jobs.map((job) => job.running));
  }

  private arm(job: TimerJob, afterMs: number): void {
    if (this.stopped) return;
    const due = nextOccurrence(job.schedule, afterMs);
    if (due === undefined) {
      this.log.write('warn', 'timer.no_next_occurrence', { function: job.registration.name });
      return;
    }
    job.timeout = setTimeout(() => {
      // Timers may fire a hair early; scheduling from `due`, not from now, never repeats a tick.
      const now = Date.now();
      this.run(job, due, now);
      this.arm(job, Math.max(due, now));
    }, Math.max(0, due - Date.now()));
  }

  private run(job: TimerJob, scheduledMs: number, nowMs: number): void {
    const name = job.registration.name;
    if (this.stopped) return;
    if (job.running) {
      this.log.write('warn', 'timer.skipped_still_running', { function: name, scheduled: new Date(scheduledMs).toISOString() });
      return;
    }
    const next = nextOccurrence(job.schedule, Math.max(scheduledMs, nowMs));
    const timer: Timer = {
      isPastDue: nowMs - scheduledMs > PAST_DUE_AFTER_MS,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: job.last === undefined ? NEVER : new Date(job.last).toISOString(),
        next: next === undefined ? NEVER : new Date(next).toISOString(),
        lastUpdated: new Date(nowMs).toISOString(),
      },
    };
    job.last = scheduledMs;
    const invocationId = randomUUID();
    const context = new InvocationContext({ functionName: name, invocationId, logHandler: this.log.handlerFor(name, invocationId) });
    const started = Date.now();
    job.running = (async () => {
      try {
        await job.registration.handler(timer, context);
        this.log.write('info', 'timer.completed', { function: name, invocationId, durationMs: Date.now() - started });
      } catch (error: unknown) {
        this.log.write('error', 'timer.failed', { function: name, invocationId, ...errorFields(error) });
      } finally {
        job.running = undefined;
      }
    })();
  }
}
