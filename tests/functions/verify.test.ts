import { HttpRequest, InvocationContext } from '@azure/functions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getServices, resetServices } from '../../src/app/services';
import { signHandler } from '../../functions/sign';
import { verifyHandler } from '../../functions/verify';

/**
 * The verify route in process, with the embedded store and the shared Azurite: with the body in
 * hand (a BufferedBody request) and a cached key it answers in the same turn — no promise —
 * and with the worker's streamed request it answers the same thing later.
 */
const context = (): InvocationContext => new InvocationContext({ functionName: 'verify', invocationId: 'test-invocation', logHandler: () => undefined });
/** A request whose body is already in memory (src/http/body.ts BufferedBody): the worker's request plus textNow(), read once like text(). */
function held(body: unknown): HttpRequest {
  const text = JSON.stringify(body);
  let unread = true;
  const textNow = (): string => {
    if (!unread) throw new TypeError('Body is unusable: Body has already been read');
    unread = false;
    return text;
  };
  return Object.assign(new HttpRequest({ method: 'POST', url: 'http://localhost/api/verify', headers: { 'content-type': 'application/json' }, body: { string: text } }), { textNow });
}
const streamed = (body: unknown): HttpRequest =>
  new HttpRequest({ method: 'POST', url: 'http://localhost/api/verify', headers: { 'content-type': 'application/json' }, body: { string: JSON.stringify(body) } });

describe('POST /api/verify in process', () => {
  let dir: string;
  let token: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvjwt-verify-route-'));
    const env = { AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://orders', JWT_ISSUER: 'https://jwt.test/api', AzureWebJobsStorage: process.env.AZURITE_CONNECTION_STRING };
    await getServices(env);
    const signed = await signHandler(held({ claims: { sub: 'route', aud: 'api://orders' } }), context());
    token = (signed.jsonBody as { token: string }).token;
  });
  afterAll(async () => {
    await resetServices();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers an active token in the same turn when the body is in hand and the key cached', () => {
    const answer = verifyHandler(held({ token }), context());
    expect(answer).not.toBeInstanceOf(Promise);
    expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ active: true, sub: 'route', aud: 'api://orders' });
  });

  it('answers a forged token in the same turn, inactive', () => {
    const [header, payload] = token.split('.');
    const answer = verifyHandler(held({ token: `${header}.${payload}.${'A'.repeat(342)}` }), context());
    expect(answer).not.toBeInstanceOf(Promise);
    expect((answer as { jsonBody: unknown }).jsonBody).toEqual({ active: false, error: 'bad_signature' });
  });

  it('answers bad input in the same turn with its 4xx', () => {
    const answer = verifyHandler(held({ nottoken: 1 }), context());
    expect(answer).not.toBeInstanceOf(Promise);
    expect((answer as { status: number }).status).toBe(400);
  });

  it("gives the same answer later for the worker's streamed request", async () => {
    const answer = verifyHandler(streamed({ token }), context());
    expect(answer).toBeInstanceOf(Promise);
    expect(JSON.parse(((await answer) as { body: string }).body)).toMatchObject({ active: true, sub: 'route' });
  });

  it('waits when the key is unknown (a ring refresh), and answers inactive', async () => {
    const [, payload, signature] = token.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'f'.repeat(32) })).toString('base64url');
    const answer = verifyHandler(held({ token: `${header}.${payload}.${signature}` }), context());
    expect(answer).toBeInstanceOf(Promise);
    expect(((await answer) as { jsonBody: unknown }).jsonBody).toEqual({ active: false, error: 'unknown_key' });
  });
});
