import { HostLog } from '../../devhost/host-log';

/** The host's own lines: one JSON object each, whatever the request path holds. */
describe('host log lines', () => {
  it('writes the request line as the JSON object of its fields, in a fixed order', () => {
    const lines: string[] = [];
    const log = new HostLog((_level, line) => lines.push(line));
    const path = '/api/"quoted"\\back\nline\u2028✓</script>';
    log.request({ function: 'verify', invocationId: 'id-1', method: 'POST', path, status: 200, durationMs: 3 });
    log.request({ invocationId: 'id-2', path: '/nowhere', status: 404, durationMs: 0 });
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(first)).toEqual(['time', 'level', 'message', 'function', 'invocationId', 'method', 'path', 'status', 'durationMs']);
    expect(first).toMatchObject({ level: 'info', message: 'http.request', function: 'verify', invocationId: 'id-1', method: 'POST', path, status: 200, durationMs: 3 });
    expect(new Date(first.time as string).toISOString()).toBe(first.time);
    expect(second).toEqual({ time: second.time, level: 'info', message: 'http.request', invocationId: 'id-2', path: '/nowhere', status: 404, durationMs: 0 });
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
  });

  it('escapes function names and methods, however many distinct ones it has seen', () => {
    const lines: string[] = [];
    const log = new HostLog((_level, line) => lines.push(line));
    const methods = Array.from({ length: 100 }, (_, i) => `M"${i}\\`);
    for (const method of methods) log.request({ function: 'odd"name', invocationId: 'id', method, path: '/', status: 405, durationMs: 0 });
    for (const method of methods) log.request({ function: 'odd"name', invocationId: 'id', method, path: '/', status: 405, durationMs: 0 });
    const parsed = lines.map((line) => JSON.parse(line) as { function: string; method: string });
    expect(parsed.map((line) => line.method)).toEqual([...methods, ...methods]);
    expect(parsed.every((line) => line.function === 'odd"name')).toBe(true);
  });

  it('tags a function’s own lines with function and invocation, by level', () => {
    const lines: Array<[string, string]> = [];
    const log = new HostLog((level, line) => lines.push([level, line]));
    log.functionLine('sign', 'id-3', 'warning', ['careful', { n: 1 }]);
    log.handlerFor('sign', 'id-4')('error', 'broken');
    expect(lines.map(([level]) => level)).toEqual(['warn', 'error']);
    expect(JSON.parse(lines[0][1])).toMatchObject({ level: 'warn', message: 'careful {"n":1}', function: 'sign', invocationId: 'id-3' });
    expect(JSON.parse(lines[1][1])).toMatchObject({ level: 'error', message: 'broken', function: 'sign', invocationId: 'id-4' });
  });
});
