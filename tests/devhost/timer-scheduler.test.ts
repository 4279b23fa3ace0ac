import type { Timer } from '@azure/functions';
import { HostLog } from '../../devhost/host-log';
import type { Registration } from '../../devhost/registry';
import { TimerScheduler } from '../../devhost/timer-scheduler';

/** Real time, every-second schedules: the scheduler is exercised exactly as `npm start` runs it. */
interface Run {
  timer: Timer;
  startedAt: number;
  endedAt?: number;
}

function timerFunction(name: string, schedule: string, handler: (timer: Timer) => Promise<void> | void, runOnStartup = false): Registration {
  return { name, trigger: 'timer', rawSchedule: schedule, schedule, runOnStartup, handler: handler as Registration['handler'] };
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolveLater) => setTimeout(resolveLater, 20));
  }
}

function capture(): { log: HostLog; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { log: new HostLog((_level, line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}

describe('timer scheduler', () => {
  let scheduler: TimerScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
  });

  it('runs on an every-second schedule with a Timer object like the host’s', async () => {
    const runs: Run[] = [];
    const { log } = capture();
    scheduler = new TimerScheduler([timerFunction('tick', '* * * * * *', (timer) => void runs.push({ timer, startedAt: Date.now() }))], log);
    scheduler.start();
    await until(() => runs.length >= 3);
    const [first, second] = runs;
    expect(first.timer).toMatchObject({ isPastDue: false, schedule: { adjustForDST: true } });
    expect(first.timer.scheduleStatus.last).toBe('0001-01-01T00:00:00.000Z');
    // Each run reports the previous scheduled time as last and a later whole second as next.
    expect(Date.parse(second.timer.scheduleStatus.last)).toBe(Date.parse(first.timer.scheduleStatus.next) - 1000);
    expect(Date.parse(second.timer.scheduleStatus.next) % 1000).toBe(0);
    expect(Date.parse(second.timer.scheduleStatus.next)).toBeGreaterThan(Date.parse(second.timer.scheduleStatus.last));
    // Never twice for one tick.
    const lasts = runs.map((run) => run.timer.scheduleStatus.last);
    expect(new Set(lasts).size).toBe(lasts.length);
  });

  it('never overlaps two runs of one function: a tick during a run is skipped and logged', async () => {
    const runs: Run[] = [];
    let active = 0;
    let maxActive = 0;
    const { log, lines } = capture();
    scheduler = new TimerScheduler(
      [
        timerFunction('slow', '* * * * * *', async (timer) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          const run: Run = { timer, startedAt: Date.now() };
          runs.push(run);
          await new Promise((resolveLater) => setTimeout(resolveLater, 2300));
          run.endedAt = Date.now();
          active -= 1;
        }),
      ],
      log,
    );
    scheduler.start();
    await until(() => runs.length >= 2, 20_000);
    expect(maxActive).toBe(1);
    expect(runs[1].startedAt).toBeGreaterThanOrEqual(runs[0].endedAt ?? Infinity);
    expect(lines.some((line) => line.message === 'timer.skipped_still_running' && line.function === 'slow')).toBe(true);
  });

  it('stop() cancels future ticks and waits for the run in progress', async () => {
    let started = 0;
    let finished = 0;
    const { log } = capture();
    scheduler = new TimerScheduler(
      [
        timerFunction('work', '* * * * * *', async () => {
          started += 1;
          await new Promise((resolveLater) => setTimeout(resolveLater, 400));
          finished += 1;
        }),
      ],
      log,
    );
    scheduler.start();
    await until(() => started === 1);
    await scheduler.stop();
    expect(finished).toBe(1);
    await new Promise((resolveLater) => setTimeout(resolveLater, 1500));
    expect(started).toBe(1);
  });

  it('runs at start-up when runOnStartup is set, and not otherwise', async () => {
    const ran: string[] = [];
    const { log } = capture();
    scheduler = new TimerScheduler(
      [timerFunction('eager', '0 0 0 1 1 *', () => void ran.push('eager'), true), timerFunction('lazy', '0 0 0 1 1 *', () => void ran.push('lazy'))],
      log,
    );
    scheduler.start();
    await until(() => ran.length === 1);
    expect(ran).toEqual(['eager']);
  });

  it('waits for occurrences further away than setTimeout can wait in one go (about 24.8 days)', async () => {
    const ran: string[] = [];
    const { log } = capture();
    scheduler = new TimerScheduler([timerFunction('yearly', '0 0 0 1 1 *', () => void ran.push('yearly'))], log);
    scheduler.start();
    await new Promise((resolveLater) => setTimeout(resolveLater, 300));
    expect(ran).toEqual([]);
  });

  it('logs a failed run by class name and code, never the message, and keeps the schedule', async () => {
    let calls = 0;
    const { log, lines } = capture();
    scheduler = new TimerScheduler(
      [
        timerFunction('failing', '* * * * * *', () => {
          calls += 1;
          const error = new Error('password=hunter2') as Error & { code: string };
          error.code = 'ECONNREFUSED';
          throw error;
        }),
      ],
      log,
    );
    scheduler.start();
    await until(() => calls >= 2);
    const failure = lines.find((line) => line.message === 'timer.failed');
    expect(failure).toMatchObject({ function: 'failing', error: 'Error', code: 'ECONNREFUSED', level: 'error' });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('refuses an invalid schedule before anything runs, naming the function and the setting', () => {
    const bad: Registration = { ...timerFunction('rotateKeys', '0 0 * * *', () => undefined), rawSchedule: '%ROTATION_SCHEDULE%' };
    expect(() => new TimerScheduler([bad], capture().log)).toThrow(/rotateKeys \(schedule %ROTATION_SCHEDULE%\).*"0 0 \* \* \*".*6 fields/);
  });
});

/** Node fires a timeout longer than 2^31-1 ms after 1 ms; a far schedule must not turn into a loop. */
describe('TimerScheduler with a schedule further away than setTimeout can wait', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-02-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('waits in hops and runs on the day, once', async () => {
    const handler = jest.fn(() => Promise.resolve());
    const registration: Registration = { name: 'yearly', trigger: 'timer', rawSchedule: '0 0 0 1 1 *', schedule: '0 0 0 1 1 *', handler };
    const scheduler = new TimerScheduler([registration], capture().log);
    try {
      scheduler.start();
      await jest.advanceTimersByTimeAsync(60_000);
      expect(handler).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(Date.parse('2027-01-01T00:00:00Z') - Date.now() + 1000);
      expect(handler).toHaveBeenCalledTimes(1);
    } finally {
      await scheduler.stop();
    }
  });
});
