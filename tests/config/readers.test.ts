import { duration, flag, httpsUrl, isLoopbackHost, oneOf, text } from '../../src/config/readers';
import { ConfigError } from '../../src/errors';

/** The typed setting readers: every refusal is a ConfigError that names the setting. */
function refusal(read: () => unknown): { setting: string; message: string } {
  try {
    read();
  } catch (error: unknown) {
    if (error instanceof ConfigError) return { setting: error.setting, message: error.message };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('text', () => {
  it('trims a value and counts an empty or blank one as unset', () => {
    expect(text({ A: '  value \n' }, 'A')).toBe('value');
    expect(text({ A: '' }, 'A')).toBeUndefined();
    expect(text({ A: ' \t ' }, 'A')).toBeUndefined();
    expect(text({}, 'A')).toBeUndefined();
  });
});

describe('duration', () => {
  it('reads a positive ISO 8601 duration in milliseconds, the fallback when unset or blank', () => {
    expect(duration({ TTL: 'PT15M' }, 'TTL', 'PT1H')).toBe(900_000);
    expect(duration({ TTL: ' ' }, 'TTL', 'PT1H')).toBe(3_600_000);
    expect(duration({}, 'TTL', 'P1D')).toBe(86_400_000);
  });

  it.each(['PT0S', '15m', '-PT1M', 'P'])('refuses %p, naming the setting and showing examples', (value) => {
    const { setting, message } = refusal(() => duration({ TTL: value }, 'TTL', 'PT1H'));
    expect(setting).toBe('TTL');
    expect(message).toBe(`TTL: "${value}" is not a positive ISO 8601 duration (examples: P90D, PT15M, PT20S).`);
  });
});

describe('oneOf', () => {
  const modes = ['local', 'keyvault'] as const;
  it('takes one of the allowed values exactly, the fallback when unset', () => {
    expect(oneOf({ MODE: 'keyvault' }, 'MODE', modes, 'local')).toBe('keyvault');
    expect(oneOf({}, 'MODE', modes, 'local')).toBe('local');
  });

  it('refuses anything else, listing what is allowed (values are case-sensitive)', () => {
    expect(refusal(() => oneOf({ MODE: 'KeyVault' }, 'MODE', modes, 'local'))).toEqual({ setting: 'MODE', message: 'MODE: "KeyVault" is not allowed; use one of local, keyvault.' });
  });
});

describe('flag', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'Yes'])('reads %p as true', (value) => expect(flag({ F: value }, 'F')).toBe(true));
  it.each(['false', 'False', '0', 'no', 'NO', ''])('reads %p as false', (value) => expect(flag({ F: value }, 'F')).toBe(false));
  it('is false when unset', () => expect(flag({}, 'F')).toBe(false));
  it.each(['on', 'y', '2', 'truthy'])('refuses %p rather than guess', (value) => {
    expect(refusal(() => flag({ F: value }, 'F'))).toEqual({ setting: 'F', message: `F: "${value}" is not a boolean; use true or false.` });
  });
});

describe('isLoopbackHost', () => {
  it('knows 127.0.0.1, localhost and [::1], in any case', () => {
    for (const host of ['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
  });

  it('knows nothing else, however close', () => {
    for (const host of ['127.0.0.2', 'localhost.example.com', 'evil-localhost', '::1', '0.0.0.0', '']) expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('httpsUrl', () => {
  it('reads an https URL without its trailing slashes; unset is undefined', () => {
    expect(httpsUrl({ U: 'https://vault.example/' }, 'U')).toBe('https://vault.example');
    expect(httpsUrl({ U: 'https://tables.example/account///' }, 'U')).toBe('https://tables.example/account');
    expect(httpsUrl({}, 'U')).toBeUndefined();
  });

  it('refuses plain http unless allowed, and then only on a loopback host, saying why', () => {
    expect(refusal(() => httpsUrl({ U: 'http://127.0.0.1:10002' }, 'U'))).toEqual({ setting: 'U', message: 'U: must be an https:// URL.' });
    expect(httpsUrl({ U: 'http://127.0.0.1:10002/devstoreaccount1/' }, 'U', true)).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(httpsUrl({ U: 'http://localhost:4000' }, 'U', true)).toBe('http://localhost:4000');
    expect(httpsUrl({ U: 'http://[::1]:4000' }, 'U', true)).toBe('http://[::1]:4000');
    expect(refusal(() => httpsUrl({ U: 'http://tables.example.com' }, 'U', true)).message).toBe('U: must be an https:// URL (http:// only on loopback, for Azurite).');
    expect(refusal(() => httpsUrl({ U: 'http://login.example.com' }, 'U', true, 'with AUTH_AUTHORITY_HOST_ALLOW_HTTP')).message).toBe(
      'U: must be an https:// URL (http:// only on loopback, with AUTH_AUTHORITY_HOST_ALLOW_HTTP).',
    );
  });

  it('refuses what is not a URL, and schemes other than http(s)', () => {
    expect(refusal(() => httpsUrl({ U: 'vault.example' }, 'U'))).toEqual({ setting: 'U', message: 'U: "vault.example" is not a URL.' });
    expect(refusal(() => httpsUrl({ U: 'ftp://127.0.0.1' }, 'U', true)).setting).toBe('U');
  });
});
