import type { Logger } from '../audit';
import type { Clock } from '../clock';
import type { AppConfig } from '../config/settings';
import { appTableClient } from '../storage/table-client';
import { noReplayCache, type ReplayCache } from './replay-cache';
import { TableReplayCache } from './table-replay-cache';

/** What checking a binding needs, bound once per process. */
export interface BindingDependencies {
  clock: Clock;
  replayCache: ReplayCache;
  /** DPOP_PROOF_WINDOW in seconds. */
  proofWindowSeconds: number;
  /** JWT_CLOCK_SKEW in seconds, for a proof's iat too. */
  clockSkewSeconds: number;
  /** The public URL of the sign route: what a proof sent with a sign request is made for. */
  signUri: string;
}

/**
 * A replay table on a request's path answers quickly or not at all: two quick retries, then the
 * proof is refused with a 503 rather than the request waiting on the SDK's default back-off.
 */
const REPLAY_TABLE_RETRIES = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 };

/** The shared replay table (DPOP_REPLAY_TABLE_NAME beside the revocations), or none without storage. */
export async function createReplayCache(config: AppConfig, clock: Clock, logger: Logger): Promise<ReplayCache> {
  const client = await appTableClient(config, config.binding.replayTableName, { retryOptions: REPLAY_TABLE_RETRIES });
  return client ? new TableReplayCache({ client, clock, logger }) : noReplayCache;
}

export function bindingDependencies(config: AppConfig, clock: Clock, replayCache: ReplayCache): BindingDependencies {
  return {
    clock,
    replayCache,
    proofWindowSeconds: config.binding.dpopProofWindowSeconds,
    clockSkewSeconds: Math.floor(config.clockSkewMs / 1000),
    signUri: `${config.apiBaseUrl}/sign`,
  };
}
