import { HostLog } from '../../devhost/host-log';
import type { Registration } from '../../devhost/registry';
import { TimerScheduler } from '../../devhost/timer-scheduler';

/** Node fires a timeout longer than 2^31-1 ms after 1 ms; a far schedule must not turn into a loop. */
describe('TimerScheduler with a schedule further away than setTimeout can wait', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-02-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('waits in hops and runs on the day, once', async () => {
    const handler = jest.fn(() => Promise.resolve());
    const registration: Registration = { name: 'yearly', trigger: 'timer', schedule: '0 0 0 1 1 *', handler };
    const scheduler = new TimerScheduler(new HostLog());
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      scheduler.start([registration]);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(handler).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(Date.parse('2027-01-01T00:00:00Z') - Date.now() + 1000);
      expect(handler).toHaveBeenCalledTimes(1);
    } finally {
      await scheduler.stop();
      write.mockRestore();
    }
  });
});
