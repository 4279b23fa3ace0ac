import { randomUUID } from 'node:crypto';
import { keysHandler } from '../../functions/keys';
import { keysTimelineHandler } from '../../functions/keysTimeline';
import { allElements, byClass, parseSvg, textOf } from '../support/svg';
import { answer, context, get, outcome, useEntraApp, useLocalApp, type EntraApp, type LocalApp } from './in-process';

/** GET /api/keys/timeline in process: the rings of GET /api/keys as an SVG that can run nothing, for admins only. */
const timeline = (headers?: Record<string, string>): ReturnType<typeof keysTimelineHandler> => keysTimelineHandler(get('keys/timeline', headers), context('keysTimeline'));

describe('GET /api/keys/timeline', () => {
  let app: LocalApp;
  beforeAll(async () => {
    app = await useLocalApp({ JWT_ALG: 'PS256', ROTATION_INTERVAL: 'P1D', ROTATION_PROPAGATION: 'PT1H' });
  });
  afterAll(() => app.close());

  it('answers static SVG under headers that keep it static: no sniffing, no script, no caching', async () => {
    const response = await timeline();
    expect(response.status).toBe(200);
    expect(response.headers).toEqual({
      'Content-Type': 'image/svg+xml; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
    expect(allElements(parseSvg(response.body as string)).map((element) => element.tag)).not.toContain('script');
  });

  it('draws one lane per version GET /api/keys lists, titled with the algorithm and the store, with now and the next rotation marked', async () => {
    const listing = answer(await keysHandler(get('keys'), context('keys'))) as { keys: Array<{ kid: string; phase: string; activates: string }>; encryption: { keys: Array<{ kid: string }> } };
    const root = parseSvg((await timeline()).body as string);
    expect(textOf(root)).toContain('kv-jwt key ring · PS256 · embedded key store');
    const lanes = byClass(root, 'lane').map((lane) => [lane.attributes['data-use'], lane.attributes['data-kid']]);
    expect(lanes).toEqual([...listing.keys.map(({ kid }) => ['sig', kid]), ...listing.encryption.keys.map(({ kid }) => ['enc', kid])]);
    const time = (name: string): number => Number(byClass(root, name).find((element) => element.tag === 'line')?.attributes['data-time']);
    expect(Math.abs(time('now') - Date.now() / 1000)).toBeLessThan(60);
    // No successor announced yet: the active key's activation + ROTATION_INTERVAL − ROTATION_PROPAGATION.
    expect(time('next-rotation')).toBe(Date.parse(listing.keys[0].activates) / 1000 + 86_400 - 3_600);
  });

  it('with AUTH_MODE=none answers loopback hosts only', async () => {
    expect(outcome(await timeline({ host: 'evil.example' }))).toBe('403 loopback_only');
  });
});

describe('GET /api/keys/timeline with Entra callers', () => {
  const admin = randomUUID();
  const verifier = randomUUID();
  let app: EntraApp;
  beforeAll(async () => {
    app = await useEntraApp({ [admin]: { operations: ['admin'] }, [verifier]: { operations: ['verify'], audiences: ['api://orders'] } });
  });
  afterAll(() => app.close());

  it('draws for an admin only', async () => {
    expect(outcome(await timeline(app.as(admin)))).toBe('200');
    expect(outcome(await timeline(app.as(verifier)))).toBe('403 forbidden');
    expect(outcome(await timeline())).toBe('401 unauthorized');
  });
});
