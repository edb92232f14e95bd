// `gatehouse device-login`: signs a user in from a terminal with the device authorization grant
// (RFC 8628) against any Gatehouse over HTTP, the way a CLI or TV app would. It prints where to go
// and which code to enter, polls the token endpoint, and prints the tokens. No database needed.
import { setTimeout as sleep } from 'node:timers/promises';

import { DEVICE_CODE_GRANT } from '../../schemas/client.js';
import { list, str, UsageError, type Command } from '../command.js';
import { formatRecord } from '../format.js';

interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_in: number;
  interval?: number;
}

async function postForm(url: string, form: Record<string, string | string[]>): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
}

const describe = (body: Record<string, unknown>) => `${String(body.error ?? 'error')}${body.error_description ? `: ${String(body.error_description)}` : ''}`;

export const deviceLoginCommand: Command = {
  path: ['device-login'],
  summary: 'Sign a user in from this terminal with the device authorization grant; prints the tokens',
  usage: [
    'gatehouse device-login --client-id ID [--issuer URL] [--scope "openid offline_access"] [--resource API]... [--json]',
    '',
    '  --issuer     the Gatehouse to sign in to (default: $ISSUER, else http://localhost:3000)',
    '  --client-id  a public client registered with the device code grant, e.g.',
    `               gatehouse clients create --name "My CLI" --public --grant-types ${DEVICE_CODE_GRANT},refresh_token`,
  ].join('\n'),
  options: { issuer: { type: 'string' }, 'client-id': { type: 'string' }, scope: { type: 'string' }, resource: { type: 'string', multiple: true } },
  async run(ctx, values) {
    const clientId = str(values['client-id']);
    if (!clientId) throw new UsageError('--client-id is required');
    const issuer = (str(values.issuer) ?? ctx.io.env.ISSUER ?? 'http://localhost:3000').replace(/\/+$/, '');
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined), () => undefined);
    const deviceEndpoint = discovery?.device_authorization_endpoint;
    const tokenEndpoint = discovery?.token_endpoint;
    if (typeof deviceEndpoint !== 'string' || typeof tokenEndpoint !== 'string') {
      throw new UsageError(`${issuer} does not look like a Gatehouse with the device flow (no device_authorization_endpoint in its discovery document)`);
    }
    const resource = list(values.resource);
    const started = await postForm(deviceEndpoint, { client_id: clientId, scope: str(values.scope) ?? 'openid', ...(resource.length ? { resource } : {}) });
    if (started.status !== 200) throw new UsageError(`the device authorization request was refused: ${describe(started.body)}`);
    const device = started.body as unknown as DeviceAuthorization;
    ctx.io.stderr.write(
      `To sign in, open ${device.verification_uri} and enter the code ${device.user_code}\n` +
        (device.verification_uri_complete ? `(or open ${device.verification_uri_complete})\n` : '') +
        'Waiting for you to approve the sign-in...\n',
    );

    let intervalMs = (device.interval ?? 5) * 1000;
    const deadline = Date.now() + device.expires_in * 1000;
    while (Date.now() < deadline) {
      await sleep(intervalMs);
      const polled = await postForm(tokenEndpoint, { grant_type: DEVICE_CODE_GRANT, device_code: device.device_code, client_id: clientId });
      if (polled.status === 200) {
        const tokens = polled.body;
        return { json: tokens, human: `Signed in.\n${formatRecord(tokens)}` };
      }
      if (polled.body.error === 'authorization_pending') continue;
      // RFC 8628 §3.5: slow_down adds 5 seconds to the interval for this and every later request.
      if (polled.body.error === 'slow_down') {
        intervalMs += 5000;
        continue;
      }
      throw new UsageError(`the sign-in did not complete: ${describe(polled.body)}`);
    }
    throw new UsageError('the code expired before the sign-in was approved; run the command again');
  },
};
