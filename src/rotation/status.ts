import type { ServiceError } from '../errors';

/** What this instance knows about its own rotation runs, for /api/health. */
export class RotationStatus {
  lastRunMs?: number;
  lastSuccessMs?: number;
  lastFailure?: { atMs: number; code: string; message: string };
  lastCreated?: string;

  recordSuccess(atMs: number, report: { created?: string }): void {
    this.lastRunMs = atMs;
    this.lastSuccessMs = atMs;
    this.lastFailure = undefined;
    if (report.created) this.lastCreated = report.created;
  }

  recordFailure(atMs: number, error: ServiceError): void {
    this.lastRunMs = atMs;
    this.lastFailure = { atMs, code: error.code, message: error.message };
  }
}
