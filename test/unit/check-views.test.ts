// The view check (scripts/check-views.ts, run by npm run lint) passes the real views and fails on
// any `<%-` other than an include of a trusted partial.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { checkViews } from '../../scripts/check-views.js';
import { ROOT } from '../helpers/cli.js';

describe('check-views', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gh-views-'));
    mkdirSync(path.join(dir, 'partials'));
    writeFileSync(path.join(dir, 'partials', 'head.ejs'), '<title><%= title %></title>');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes the real views', () => {
    expect(checkViews(path.join(ROOT, 'views'))).to.deep.equal([]);
  });

  it('allows trusted partials and escaped output', () => {
    writeFileSync(path.join(dir, 'ok.ejs'), "<%- include('partials/head') %>\n<p><%= message %></p>\n<%- include('partials/head', { title }) -%>");
    expect(checkViews(dir)).to.deep.equal([]);
  });

  it('finds request or client data printed unescaped', () => {
    writeFileSync(path.join(dir, 'bad.ejs'), "<p>\n<%- message %></p>\n<%- include('partials/missing') %>\n<%- include(userTemplate) %>\n<% delimiter = '?' %>");
    const findings = checkViews(dir);
    expect(findings.map((f) => `${f.file}:${f.line}`)).to.deep.equal(['bad.ejs:2', 'bad.ejs:3', 'bad.ejs:4', 'bad.ejs:1']);
  });
});

describe('eslint-plugin-security', () => {
  it('is on for every source file (a finding fails npm run lint)', async () => {
    const { ESLint } = await import('eslint');
    const eslint = new ESLint({ cwd: ROOT });
    for (const file of ['src/app.ts', 'src/middleware/koa-rate-limit.ts', 'src/oidc/provider.ts']) {
      const config = (await eslint.calculateConfigForFile(path.join(ROOT, file))) as { rules: Record<string, unknown> };
      const severity = (rule: string) => {
        const setting = config.rules[rule];
        return Array.isArray(setting) ? setting[0] : setting;
      };
      for (const rule of ['security/detect-eval-with-expression', 'security/detect-unsafe-regex', 'security/detect-non-literal-regexp', 'security/detect-child-process', 'security/detect-non-literal-fs-filename']) {
        expect(severity(rule), `${rule} on ${file}`).to.be.oneOf([1, 2, 'warn', 'error']);
      }
    }
  });
});
