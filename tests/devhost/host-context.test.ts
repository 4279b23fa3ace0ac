import { InvocationContext } from '@azure/functions';
import { HostInvocationContext } from '../../devhost/host-context';
import { HostLog } from '../../devhost/host-log';

/** The embedded host's invocation context against the worker's, built the way the host builds it. */
function pair(): { host: HostInvocationContext; real: InvocationContext; hostLines: string[]; realLines: string[] } {
  const hostLines: string[] = [];
  const realLines: string[] = [];
  const hostLog = new HostLog((_level, line) => hostLines.push(line));
  const realLog = new HostLog((_level, line) => realLines.push(line));
  return {
    host: new HostInvocationContext('verify', 'id-1', hostLog),
    real: new InvocationContext({ functionName: 'verify', invocationId: 'id-1', logHandler: realLog.handlerFor('verify', 'id-1') }),
    hostLines,
    realLines,
  };
}

const withoutTime = (line: string): unknown => {
  const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
};

describe('HostInvocationContext', () => {
  it('carries the same values as a worker context', () => {
    const { host, real } = pair();
    expect(host.functionName).toBe(real.functionName);
    expect(host.invocationId).toBe(real.invocationId);
    expect(host.options).toEqual(real.options);
    expect(host.retryContext).toBe(real.retryContext);
    expect(host.traceContext).toBe(real.traceContext);
    expect(host.triggerMetadata).toBe(real.triggerMetadata);
    expect(host.options).toBe(host.options); // one object, as on the worker's
  });

  it('writes every log level as the worker context’s handler would', () => {
    const { host, real, hostLines, realLines } = pair();
    for (const context of [host, real]) {
      context.log('plain', { n: 1 });
      context.trace('trace');
      context.debug('debug');
      context.info('info', 2);
      context.warn('careful');
      context.error('broken');
    }
    expect(hostLines.map(withoutTime)).toEqual(realLines.map(withoutTime));
    expect(hostLines.map((line) => (JSON.parse(line) as { level: string }).level)).toEqual(['info', 'info', 'info', 'info', 'warn', 'error']);
  });

  it('keeps extra inputs and outputs like the worker context', () => {
    const { host, real } = pair();
    for (const context of [host, real]) {
      context.extraOutputs.set('queue', { id: 1 });
      context.extraInputs.set('blob', 'text');
    }
    expect(host.extraOutputs.get('queue')).toEqual(real.extraOutputs.get('queue'));
    expect(host.extraInputs.get('blob')).toBe(real.extraInputs.get('blob'));
    expect(host.extraInputs.get('missing')).toBe(real.extraInputs.get('missing'));
  });
});
