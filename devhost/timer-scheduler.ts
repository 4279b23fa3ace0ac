import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import { errorFields } from './error-fields';
import type { HostLog } from './host-log';
import { parseSchedule, type Schedule } from './schedule';
import type { Registration } from './registry';

/** What the host reports as "last" before a function ever ran (.NET's DateTime.MinValue). */
const NEVER = '0001-01-01T00:00:00.000Z';
/** A tick this much later than its scheduled time is reported as past due. */
const PAST_DUE_AFTER_MS = 1000;
/** setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

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
        try {
          return { registration, schedule: parseSchedule(registration.schedule ?? '') };
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
    await Promise.all(this.jobs.flatMap((job) => (job.running ? [job.running] : [])));
  }

  private arm(job: TimerJob, afterMs: number): void {
    if (this.stopped) return;
    const due = job.schedule.next(afterMs);
    if (due === undefined) {
      this.log.write('warn', 'timer.no_next_occurrence', { function: job.registration.name });
      return;
    }
    this.wait(job, due);
  }

  private wait(job: TimerJob, due: number): void {
    job.timeout = setTimeout(() => {
      const now = Date.now();
      if (now < due) return this.wait(job, due); // a chained long wait (or an early wake-up): not yet due
      this.run(job, due, now);
      this.arm(job, now);
    }, Math.min(MAX_TIMEOUT_MS, Math.max(0, due - Date.now())));
  }

  private run(job: TimerJob, scheduledMs: number, nowMs: number): void {
    const name = job.registration.name;
    if (this.stopped) return;
    if (job.running) {
      this.log.write('warn', 'timer.skipped_still_running', { function: name, scheduled: new Date(scheduledMs).toISOString() });
      return;
    }
    const next = job.schedule.next(Math.max(scheduledMs, nowMs));
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
    const run = this.invoke(job.registration, timer, context);
    job.running = run;
    // Set after the assignment above: a handler that throws synchronously settles `run` at once.
    void run.then(() => {
      if (job.running === run) job.running = undefined;
    });
  }

  /** Runs the handler; never rejects (failures are logged by class name and code). */
  private async invoke(registration: Registration, timer: Timer, context: InvocationContext): Promise<void> {
    const started = Date.now();
    const fields = { function: registration.name, invocationId: context.invocationId };
    try {
      await registration.handler(timer, context);
      this.log.write('info', 'timer.completed', { ...fields, durationMs: Date.now() - started });
    } catch (error: unknown) {
      this.log.write('error', 'timer.failed', { ...fields, ...errorFields(error) });
    }
  }
}
