// Saves a screenshot of every sign-in and account page at desktop (1280 px) and phone (390 px)
// width into screenshots/ (git-ignored), so a person can look at them: npm run screenshots
// Runs its own Gatehouse on a throwaway database (the embedded one unless TEST_DATABASE_URL is set).
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { PROJECT_ROOT } from '../src/paths.js';
import { launchChromium } from '../test/helpers/browser.js';
import { PASSWORD, createUser, relyingParty, startAuthorization } from '../test/helpers/fixtures.js';
import { startTestServer } from '../test/helpers/test-server.js';
import { totpCode } from '../test/helpers/totp.js';

const OUT = path.join(PROJECT_ROOT, 'screenshots');
const WIDTHS = { desktop: { width: 1280, height: 860 }, phone: { width: 390, height: 844 } } as const;
const API = 'https://api.example.com/orders';

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const app = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title>'));
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const server = await startTestServer({ env: { LOGIN_DELAY_AFTER: '1000' } });
  const chromium = await launchChromium();
  try {
    const { core, issuer } = server;
    await core.apis.create({
      identifier: API,
      name: 'Orders API',
      scopes: [
        { name: 'orders:read', description: 'See your orders and their status' },
        { name: 'orders:write', description: 'Place and cancel orders for you' },
      ],
    });
    const { client, clientSecret } = await core.clients.create({
      name: 'Acme Shop',
      redirectUris: [`${appOrigin}/callback`],
      postLogoutRedirectUris: [`${appOrigin}/bye`],
      apis: [API],
      policyUri: 'https://shop.example.com/privacy',
      tosUri: 'https://shop.example.com/terms',
    });
    const rp = await relyingParty(issuer, client.clientId, clientSecret);
    const authorize = async (extra: Record<string, string> = {}, prompt?: string) =>
      (await startAuthorization(rp, { redirectUri: `${appOrigin}/callback`, scope: 'openid profile email orders:read orders:write', resource: API, prompt, extra })).url.toString();

    for (const [device, viewport] of Object.entries(WIDTHS)) {
      const username = `jamie-${device}`;
      await createUser(core, username);
      const context = await chromium.newContext({ viewport, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const shot = async (name: string) => {
        await page.waitForLoadState('networkidle');
        const file = path.join(OUT, `${name}-${device}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(file);
      };
      const signIn = async (password = PASSWORD) => {
        await page.getByLabel('Username or email').fill(username);
        await page.getByLabel('Password', { exact: true }).fill(password);
        await page.getByRole('button', { name: 'Sign in' }).click();
      };

      await page.goto(await authorize({ login_hint: username }));
      await shot('01-login');
      await page.goto(await authorize({ ui_locales: 'de' }));
      await shot('02-login-de');
      await page.goto(await authorize());
      await signIn('not the password');
      await page.getByRole('alert').waitFor();
      await shot('03-login-error');
      await signIn();
      await page.getByRole('button', { name: 'Allow' }).waitFor();
      await shot('04-consent');
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((url) => url.origin === appOrigin);

      // A second browser signed in too, so the account page lists another session to sign out.
      const other = await chromium.newContext({ viewport, deviceScaleFactor: 1 });
      const otherPage = await other.newPage();
      await otherPage.goto(`${issuer}/account`);
      await otherPage.getByLabel('Username or email').fill(username);
      await otherPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await otherPage.getByRole('button', { name: 'Sign in' }).click();
      await otherPage.getByRole('heading', { name: 'Your account' }).waitFor();
      await other.close();

      await page.goto(`${issuer}/account`);
      await shot('05-account');
      await page.getByRole('link', { name: 'Set up two-step sign-in' }).click();
      await shot('06-two-step-enrol');
      const secret = (await page.locator('#totp-secret').textContent())!.trim();
      await page.getByLabel('Your password').fill(PASSWORD);
      await page.getByLabel('Authentication code').fill((await totpCode(secret)).code);
      await page.getByRole('button', { name: 'Turn on' }).click();
      await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      await shot('07-recovery-codes');
      await page.goto(`${issuer}/account`);
      await shot('08-account-two-step-on');

      await page.goto(`${issuer}/session/end`);
      await shot('09-logout');
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
      await shot('10-logged-out');

      await page.goto(await authorize());
      await signIn();
      await page.getByLabel('Authentication code').waitFor();
      await shot('11-two-step-login');
      await page.goto(`${issuer}/interaction/expired-or-unknown`);
      await shot('12-error');
      await context.close();
    }
  } finally {
    await chromium.close();
    await server.stop();
    app.close();
  }
}

await main();
