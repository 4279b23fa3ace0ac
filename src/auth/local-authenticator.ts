import { OPERATIONS } from '../config/caller-policy';
import type { Authenticator, Caller } from './caller';

/**
 * AUTH_MODE=none, for local development only: every call is the local developer, allowed every
 * operation, every configured audience and any claim. Config refuses this mode in Azure and the
 * embedded host binds to loopback with it.
 */
export class LocalDeveloperAuthenticator implements Authenticator {
  private readonly caller: Caller;

  constructor(audiences: readonly string[]) {
    this.caller = { id: 'local-developer', permissions: { operations: OPERATIONS, audiences, verifyAudiences: audiences, claims: ['*'] } };
  }

  authenticate(): Promise<Caller> {
    return Promise.resolve(this.caller);
  }
}
