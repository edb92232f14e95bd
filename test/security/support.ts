// Raw HTTP for the attack suite: requests exactly as an attacker would send them (no client library
// smoothing anything over), and the answers with status, headers and parsed body.
import { createHash, randomBytes } from 'node:crypto';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
  location: URL | undefined;
}

export async function send(url: string, init: RequestInit & { body?: string | Buffer } = {}): Promise<Answer> {
  const response = await fetch(url, { redirect: 'manual', ...init } as RequestInit);
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  if (response.headers.get('content-type')?.includes('json')) {
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
  }
  const location = response.headers.get('location');
  return { status: response.status, headers: response.headers, text, json, location: location ? new URL(location, url) : undefined };
}

export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A form POST; `body` is sent as given when it is a string (so duplicates and bad encodings survive). */
export function postForm(url: string, body: string | Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
  });
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
