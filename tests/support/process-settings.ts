import { resetServices } from '../../src/app/services';

/**
 * In-process handler tests: the app reads its settings once from process.env (as in Azure), so a
 * test sets them there, and restores them (and forgets the services built from them) afterwards.
 */
export async function useProcessSettings(env: Record<string, string | undefined>): Promise<() => Promise<void>> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  await resetServices();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return async () => {
    await resetServices();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
