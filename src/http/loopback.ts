import { isLoopbackHost } from '../config/readers';

/**
 * AUTH_MODE=none lets every caller do everything, so it answers only the developer's own machine:
 * - the Host must be a loopback name or address — a DNS-rebinding page reaches 127.0.0.1 under its
 *   own host name, which this refuses;
 * - an Origin, when sent, must be a loopback origin — a page the developer visits must not be able
 *   to sign, revoke or rotate through the developer's browser (`Origin: null` is not loopback).
 * Returns why a request is refused, or undefined when it may proceed.
 */
export function loopbackRefusal(host: string | null | undefined, origin: string | null | undefined): string | undefined {
  if (!host || !isLoopbackHost(hostnameOf(host))) return 'With AUTH_MODE=none only requests to a loopback host (127.0.0.1, localhost, [::1]) are answered.';
  if (origin !== null && origin !== undefined && !isLoopbackOrigin(origin)) return 'With AUTH_MODE=none cross-origin requests are refused.';
  return undefined;
}

/** The host name of a Host header value (`127.0.0.1:7071`, `[::1]:7071`, `localhost`). */
function hostnameOf(host: string): string {
  const trimmed = host.trim();
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1);
  const colon = trimmed.indexOf(':');
  return colon === -1 ? trimmed : trimmed.slice(0, colon);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}
