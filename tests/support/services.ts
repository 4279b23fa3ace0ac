/**
 * Outside services shared by every test file of one jest run. Start functions set environment
 * variables (inherited by jest workers) so tests can find them; stop functions run at teardown.
 */
type Stop = () => Promise<void>;

const stops: Stop[] = [];

declare global {
  // eslint-disable-next-line no-var
  var __kvJwtSharedStops: Stop[] | undefined;
}

export async function startSharedServices(): Promise<void> {
  globalThis.__kvJwtSharedStops = stops;
}

export async function stopSharedServices(): Promise<void> {
  const pending = globalThis.__kvJwtSharedStops ?? [];
  for (const stop of pending.reverse()) await stop();
}
