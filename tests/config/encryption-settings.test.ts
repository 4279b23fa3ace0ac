import { readAudienceJwks } from '../../src/config/encryption-settings';
import { loadConfig } from '../../src/config/settings';
import { ConfigError } from '../../src/errors';
import { configErrorOf } from '../support/config';

/**
 * JWT_ENCRYPTION_AUDIENCE_JWKS: which audiences get tokens encrypted to their own key, and where
 * that key is published. The first case reads it through loadConfig, as the app does.
 */
const local = (env: Record<string, string> = {}) => loadConfig({ AUTH_MODE: 'none', ...env });

const configError = configErrorOf;

function refusal(value: string, audiences: readonly string[] = ['api://partner']): string {
  try {
    readAudienceJwks({ JWT_ENCRYPTION_AUDIENCE_JWKS: value }, audiences);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('JWT_ENCRYPTION_AUDIENCE_JWKS through loadConfig', () => {
  it('maps audiences to their own JWKS (https only, audiences callers may request)', () => {
    const config = local({ JWT_AUDIENCES: 'api://orders,api://partner', JWT_ENCRYPTION_AUDIENCE_JWKS: JSON.stringify({ 'api://partner': 'https://partner.example/.well-known/jwks.json' }) });
    expect([...config.encryption.audienceJwks]).toEqual([['api://partner', 'https://partner.example/.well-known/jwks.json']]);
    expect(local().encryption.audienceJwks.size).toBe(0);
    for (const value of ['not json', '[]', '"x"', JSON.stringify({ 'api://partner': 'http://partner.example/jwks' }), JSON.stringify({ 'api://partner': 'http://127.0.0.1/jwks' }), JSON.stringify({ 'api://partner': 42 }), JSON.stringify({ 'api://other': 'https://x.example/jwks' })]) {
      expect([value, configError({ JWT_AUDIENCES: 'api://orders,api://partner', JWT_ENCRYPTION_AUDIENCE_JWKS: value }).setting]).toEqual([value, 'JWT_ENCRYPTION_AUDIENCE_JWKS']);
    }
  });
});

describe('readAudienceJwks', () => {
  it('is empty when the setting is unset or blank', () => {
    expect(readAudienceJwks({}, ['api://partner']).size).toBe(0);
    expect(readAudienceJwks({ JWT_ENCRYPTION_AUDIENCE_JWKS: '  ' }, ['api://partner']).size).toBe(0);
  });

  it('maps each audience to its JWKS URL, in the URL\'s normal form', () => {
    const map = readAudienceJwks({ JWT_ENCRYPTION_AUDIENCE_JWKS: JSON.stringify({ 'api://a': 'https://A.example/jwks.json', 'api://b': 'https://b.example:443/keys' }) }, ['api://a', 'api://b', 'api://c']);
    expect([...map]).toEqual([
      ['api://a', 'https://a.example/jwks.json'],
      ['api://b', 'https://b.example/keys'],
    ]);
  });

  it('says how to write the setting when it is not a JSON object', () => {
    expect(refusal('not json')).toMatch(/^JWT_ENCRYPTION_AUDIENCE_JWKS: is not valid JSON: use \{"<audience>": "https:\/\/…\/jwks.json"\}\.$/);
    for (const value of ['[]', 'null', '"x"', '42']) expect(refusal(value)).toMatch(/^JWT_ENCRYPTION_AUDIENCE_JWKS: must be a JSON object/);
  });

  it('refuses an audience callers may not request, naming it', () => {
    expect(refusal(JSON.stringify({ 'api://other': 'https://x.example/jwks' }))).toBe('JWT_ENCRYPTION_AUDIENCE_JWKS: "api://other" is not one of JWT_AUDIENCES.');
  });

  it('fetches a key that decides who reads the claims over https only, even on loopback', () => {
    for (const url of ['http://partner.example/jwks', 'http://127.0.0.1/jwks', 'ftp://partner.example/jwks', 'not a url', '', 42, null]) {
      expect(refusal(JSON.stringify({ 'api://partner': url }))).toBe('JWT_ENCRYPTION_AUDIENCE_JWKS: the JWKS of "api://partner" must be an https:// URL.');
    }
  });
});
