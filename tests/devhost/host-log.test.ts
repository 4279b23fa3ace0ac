import { InvocationContext } from '@azure/functions';
import { HostLog, errorFields } from '../../devhost/host-log';

function capture(): { log: HostLog; lines: Array<[string, Record<string, unknown>]> } {
  const lines: Array<[string, Record<string, unknown>]> = [];
  return { log: new HostLog((level, line) => lines.push([level, JSON.parse(line) as Record<string, unknown>])), lines };
}

/** The host's own lines: one JSON object each, whatever the fields hold. */
describe('host log lines', () => {
  it('writes one JSON object per line: time, level, message, then the fields', () => {
    const raw: string[] = [];
    const log = new HostLog((_level, line) => raw.push(line));
    log.write('info', 'http.request', { function: 'verify', path: '/api/"quoted"\\back\nline\u2028✓</script>', status: 200 });
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toContain('\n');
    const line = JSON.parse(raw[0]) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['time', 'level', 'message', 'function', 'path', 'status']);
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
    expect(line).toMatchObject({ level: 'info', message: 'http.request', path: '/api/"quoted"\\back\nline\u2028✓</script>' });
  });

  it('tags a function’s own lines (through the library’s InvocationContext) with function, invocation and level', () => {
    const { log, lines } = capture();
    const context = new InvocationContext({ functionName: 'sign', invocationId: 'id-3', logHandler: log.handlerFor('sign', 'id-3') });
    context.log('plain', { n: 1 });
    context.trace('trace');
    context.debug('debug %d', 2);
    context.info('info');
    context.warn('careful');
    context.error('broken', new TypeError('bad'));
    expect(lines.map(([level]) => level)).toEqual(['info', 'info', 'info', 'info', 'warn', 'error']);
    // Arguments are formatted as the worker formats them (util.format).
    expect(lines.map(([, line]) => line.message).slice(0, 3)).toEqual(['plain { n: 1 }', 'trace', 'debug 2']);
    expect(lines.every(([, line]) => line.function === 'sign' && line.invocationId === 'id-3')).toBe(true);
  });
});

describe('errorFields', () => {
  it('names the class and a short machine code, never the message', () => {
    const error = Object.assign(new Error('password=hunter2'), { code: 'ECONNREFUSED' });
    expect(errorFields(error)).toEqual({ error: 'Error', code: 'ECONNREFUSED' });
    expect(errorFields(Object.assign(new TypeError('x'), { code: 'has spaces and hunter2' }))).toEqual({ error: 'TypeError' });
    expect(errorFields('a string with hunter2')).toEqual({ error: 'string' });
    expect(JSON.stringify([errorFields(error)])).not.toContain('hunter2');
  });
});
