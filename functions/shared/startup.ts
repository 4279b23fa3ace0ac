import { processConfig } from '../../src/app/services';

/**
 * Validated at import, so a bad or unsafe setting (e.g. AUTH_MODE=none in Azure) stops the app
 * from loading at all, with the setting's name in the host's log, instead of failing per request.
 */
export const startupConfig = processConfig();
