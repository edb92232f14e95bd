// The sign-in pages' stylesheet, served by Gatehouse itself (no assets from other hosts).
/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's configuration or the project itself, never from a request */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import Router from '@koa/router';

import { VIEWS_DIR } from '../paths.js';

export function createAssetsRouter(): Router {
  const css = readFileSync(path.join(VIEWS_DIR, 'assets', 'gatehouse.css'));
  const router = new Router();
  router.get('/assets/gatehouse.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = css;
  });
  return router;
}
