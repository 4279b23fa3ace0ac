import { LocalDeveloperAuthenticator } from '../../src/auth/local-authenticator';
import { OPERATIONS } from '../../src/config/caller-policy';

describe('LocalDeveloperAuthenticator', () => {
  it('answers, as a promise, the local developer with every operation, the configured audiences and any claim', async () => {
    const answer = new LocalDeveloperAuthenticator(['api://orders']).authenticate();
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toEqual({ id: 'local-developer', permissions: { operations: OPERATIONS, audiences: ['api://orders'], verifyAudiences: ['api://orders'], claims: ['*'] } });
  });
});
