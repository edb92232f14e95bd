// The sign-in pages' stylesheet and the operator's logo, served by Gatehouse itself (no assets from
// other hosts).
/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's configuration or the project itself, never from a request */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import Router from '@koa/router';

import { VIEWS_DIR } from '../paths.js';

export const LOGO_PATH = '/assets/logo';

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.svg': 'image/svg+xml', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

export function createAssetsRouter({ logoFile }: { logoFile?: string | undefined } = {}): Router {
  const css = readFileSync(path.join(VIEWS_DIR, 'assets', 'gatehouse.css'));
  // Read once at start-up: a missing logo file stops the server with a clear error instead of broken pages.
  const logo = logoFile ? readFileSync(logoFile) : undefined;
  const router = new Router();
  router.get('/assets/gatehouse.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  if (logo && logoFile) {
    router.get(LOGO_PATH, (ctx) => {
      ctx.type = IMAGE_TYPES[path.extname(logoFile).toLowerCase()] ?? 'application/octet-stream';
      ctx.set('Cache-Control', 'public, max-age=3600');
      // An SVG opened on its own must not run scripts.
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox");
      ctx.body = logo;
    });
  }
  return router;
}
