// The fetch oidc-provider uses for the URLs clients register (jwks_uri, sector_identifier_uri,
// back-channel logout): bounded by the configured timeout (OUTBOUND_HTTP_TIMEOUT_MS), and measured.
type Fetch = typeof globalThis.fetch;

export type OutboundOutcome = 'ok' | 'error' | 'timeout';

export function createOutboundFetch({
  timeoutMs,
  observe,
  fetchImpl = globalThis.fetch,
}: {
  timeoutMs: number;
  observe?: (outcome: OutboundOutcome, seconds: number) => void;
  fetchImpl?: Fetch;
}): (url: URL | string | Request, options?: RequestInit) => Promise<Response> {
  return async (url, options = {}) => {
    // The library's own signal is a fixed 2.5 s timeout; this one replaces it with the configured one.
    const signal = AbortSignal.timeout(timeoutMs);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const response = await fetchImpl(url, { ...options, signal });
      observe?.('ok', seconds());
      return response;
    } catch (error) {
      const name = (error as { name?: string }).name;
      observe?.(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'error', seconds());
      throw error;
    }
  };
}
