import { app } from '@azure/functions';
import { getServices, processConfig } from '../../src/app/services';

/**
 * Validated at import, so a bad or unsafe setting (e.g. AUTH_MODE=none in Azure) stops the app
 * from loading at all, with the setting's name in the host's log, instead of failing per request.
 */
export const startupConfig = processConfig();

/**
 * The services (key rings, revocation view, audit key: the round trips to Key Vault and Table Storage)
 * start building when the worker starts the app, not on its first request: on a cold Flex Consumption
 * instance the host finishes starting meanwhile. Not awaited, so the worker is never held up; a failure
 * is left to the first request, which builds them again and answers with the error.
 */
app.hook.appStart(() => {
  getServices().catch(() => undefined);
});
