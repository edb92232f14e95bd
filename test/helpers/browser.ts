// A minimal cookie-keeping HTTP user agent for driving the sign-in pages with form posts, and headless
// Chromium for the tests that need a real browser.
import { chromium, type Browser as ChromiumBrowser } from 'playwright-core';

export interface Page {
  status: number;
  url: string;
  location: string | undefined;
  body: string;
  headers: Headers;
}

/** How a FormBrowser sends a request (never following redirects); fetch unless told otherwise. */
export type Transport = (url: string, init: { method: string; headers: Headers; body?: string }) => Promise<{ status: number; headers: Headers; body: string }>;

const fetchTransport: Transport = async (url, init) => {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
};

export class FormBrowser {
  private readonly cookies = new Map<string, string>();
  /** Every cookie the server ever set, in order (tests look for their values elsewhere). */
  readonly cookieHistory: { name: string; value: string }[] = [];

  /** `headers` go with every request (e.g. what a reverse proxy adds). */
  constructor(
    private readonly headers: Record<string, string> = {},
    private readonly transport: Transport = fetchTransport,
  ) {}

  async get(url: string): Promise<Page> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Page> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Follows redirects until a page is returned or the URL starts with `stopAt` (the client's redirect URI). */
  async follow(page: Page, stopAt: string, maxHops = 10): Promise<Page> {
    let current = page;
    for (let hop = 0; hop < maxHops && current.location; hop += 1) {
      const next = new URL(current.location, current.url).toString();
      if (next.startsWith(stopAt)) return { ...current, url: next };
      current = await this.get(next);
    }
    return current;
  }

  private async request(url: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<Page> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.headers)) headers.set(name, value);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.set('cookie', cookie);
    const response = await this.transport(url, { method: init.method, headers, body: init.body });
    for (const setCookie of response.headers.getSetCookie()) {
      const [pair] = setCookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(setCookie) || value === '') this.cookies.delete(name);
      else {
        this.cookies.set(name, value);
        this.cookieHistory.push({ name, value });
      }
    }
    return {
      status: response.status,
      url,
      location: response.headers.get('location') ?? undefined,
      body: response.body,
      headers: response.headers,
    };
  }
}

/** The value of a hidden input in a page. */
export function hiddenField(body: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!match) throw new Error(`no hidden field ${name} in page`);
  return match[1]!;
}

/** The action of the first form whose action contains `fragment`. */
export function formAction(body: string, fragment: string): string {
  const match = new RegExp(`action="([^"]*${fragment}[^"]*)"`).exec(body);
  if (!match) throw new Error(`no form with action containing ${fragment}`);
  return match[1]!.replace(/&amp;/g, '&');
}

/** Headless Chromium (Debian's package) driven by playwright-core, with the flags CI needs. */
export async function launchChromium(): Promise<ChromiumBrowser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
