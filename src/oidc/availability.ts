// While the database is unreachable, oidc-provider must answer "temporarily_unavailable" (503, or
// RFC 6749 §4.1.2.1's error in the authorization redirect) instead of a generic 500 server_error.
// The adapter is where almost every protocol request touches the database, so its errors are
// translated there; the remaining paths are caught by the koa-database-unavailable middleware.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';

import { isDatabaseUnavailable } from '../db/unavailable.js';

export const UNAVAILABLE_DESCRIPTION = 'the service is temporarily unavailable; retry later';

export function temporarilyUnavailable(cause?: unknown): errors.OIDCProviderError {
  const error = new errors.TemporarilyUnavailable(UNAVAILABLE_DESCRIPTION, cause === undefined ? undefined : { cause });
  // The library makes every custom error a 400 and hides the message of anything >= 500.
  Object.assign(error, { status: 503, statusCode: 503, expose: true });
  return error;
}

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isDatabaseUnavailable(error) ? temporarilyUnavailable(error) : error;
  }
}

/** The same adapter, with database outages reported as temporarily_unavailable. */
export function withDatabaseAvailability(AdapterClass: new (name: string) => Adapter): new (name: string) => Adapter {
  return class AvailabilityAwareAdapter implements Adapter {
    private readonly inner: Adapter;

    constructor(name: string) {
      this.inner = new AdapterClass(name);
    }

    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      return translated(async () => this.inner.upsert(id, payload, expiresIn));
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return translated(async () => (await this.inner.find(id)) ?? undefined);
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return translated(async () => (await this.inner.findByUid?.(uid)) ?? undefined);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return translated(async () => (await this.inner.findByUserCode?.(userCode)) ?? undefined);
    }

    consume(id: string): Promise<void> {
      return translated(async () => this.inner.consume(id));
    }

    destroy(id: string): Promise<void> {
      return translated(async () => this.inner.destroy(id));
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return translated(async () => this.inner.revokeByGrantId(grantId));
    }
  };
}
