import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startHost, type RunningHost } from '../support/host';
import { arbitraryToken, checkSign, checkVerify, makeFuzzSubject, type FuzzSubject } from './fuzz-properties';

/** Property-based fuzzing in npm test (a few hundred cases each); `npm run fuzz` runs 100,000+. */
const dirs: string[] = [];
let subject: FuzzSubject;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-fuzz-'));
  dirs.push(dir);
  subject = await makeFuzzSubject(dir);
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

it('verify never throws and never accepts a forged or altered token', async () => {
  await checkVerify(subject, 500);
});

it('sign answers bad claims with a 4xx and otherwise issues tokens that verify', async () => {
  await checkSign(subject, 300);
});

it('over HTTP: random tokens and bodies never get a 5xx and the host stays healthy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvjwt-fuzz-http-'));
  dirs.push(dir);
  const host: RunningHost = await startHost({ env: { AUTH_MODE: 'none', LOCAL_KEYSTORE_DIR: dir, JWT_AUDIENCES: 'api://a' } });
  try {
    await fc.assert(
      fc.asyncProperty(fc.oneof(arbitraryToken(subject.genuine).map((token) => JSON.stringify({ token })), fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), async (body) => {
        const response = await fetch(`${host.baseUrl}/api/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answer = (await response.json()) as { active?: boolean };
        return response.status < 500 && answer.active !== true;
      }),
      { numRuns: 150 },
    );
    expect((await fetch(`${host.baseUrl}/api/health`)).status).toBe(200);
  } finally {
    await host.stop();
  }
}, 60_000);
