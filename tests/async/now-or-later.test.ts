import { andThen, recover } from '../../src/async/now-or-later';

describe('andThen', () => {
  it('applies the next step at once to a value, without a promise', () => {
    const result = andThen(2, (n) => n * 3);
    expect(result).toBe(6);
  });

  it('waits for a promise and gives a promise', async () => {
    const result = andThen(Promise.resolve(2), (n) => n * 3);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(6);
  });

  it('gives the promise a step returns', async () => {
    await expect(andThen(2, (n) => Promise.resolve(n + 1))).resolves.toBe(3);
  });

  it('passes a rejection on without calling the next step', async () => {
    const next = jest.fn();
    await expect(andThen(Promise.reject(new Error('no')), next)).rejects.toThrow('no');
    expect(next).not.toHaveBeenCalled();
  });
});

describe('recover', () => {
  it('returns a value at once when nothing fails', () => {
    expect(recover(() => 'ok', () => 'recovered')).toBe('ok');
  });

  it('answers a synchronous throw at once', () => {
    const onError = jest.fn(() => 'recovered');
    expect(
      recover(() => {
        throw new Error('sync');
      }, onError),
    ).toBe('recovered');
    expect(onError).toHaveBeenCalledWith(new Error('sync'));
  });

  it('answers a rejection', async () => {
    await expect(recover(() => Promise.reject(new Error('later')), () => 'recovered')).resolves.toBe('recovered');
  });

  it('passes the failure on when onError throws', async () => {
    const rethrow = (error: unknown): never => {
      throw new Error(`wrapped: ${(error as Error).message}`);
    };
    expect(() =>
      recover(() => {
        throw new Error('sync');
      }, rethrow),
    ).toThrow('wrapped: sync');
    await expect(recover(() => Promise.reject(new Error('later')), rethrow)).rejects.toThrow('wrapped: later');
  });
});
