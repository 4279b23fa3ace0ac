import { app } from '@azure/functions';
import { nowSeconds } from '../src/clock';
import { nextRotationAt } from '../src/keys/timeline-data';
import { renderKeyTimeline } from '../src/keys/timeline-svg';
import { httpHandler } from './shared/http';
import './shared/startup';

/**
 * The picture is static markup, and these headers keep it that way wherever it is opened: no
 * sniffing it into HTML, and a policy under which nothing in it could run or load.
 */
const SVG_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'image/svg+xml; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
});

/** GET /api/keys/timeline (admin): the key rings of GET /api/keys as an SVG timeline, encryption key lanes below. */
export const keysTimelineHandler = httpHandler('admin', async ({ services }) => {
  await Promise.all([services.ring.ready(), services.encryption.ring.ready()]);
  const phased = services.ring.phases();
  const svg = renderKeyTimeline(phased, {
    now: nowSeconds(services.clock),
    nextRotation: nextRotationAt(phased, services.rotation.policy),
    encryption: services.encryption.ring.phases(),
    title: `kv-jwt key ring · ${services.config.alg} · ${services.store.kind === 'keyvault' ? 'Azure Key Vault' : 'embedded key store'}`,
  });
  return { status: 200, body: svg, headers: SVG_HEADERS };
});

app.http('keysTimeline', { methods: ['GET'], route: 'keys/timeline', authLevel: 'anonymous', handler: keysTimelineHandler });
