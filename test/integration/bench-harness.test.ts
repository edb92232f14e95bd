// The bench harness itself works: one short run of two scenarios against Gatehouse and the
// baseline produces the JSON figures and the SVG chart. No timing is asserted, only their shape.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import type { BenchReport } from '../../scripts/bench/figures.js';
import { ROOT } from '../helpers/cli.js';
import { serverUrl } from '../helpers/test-database.js';

describe('bench harness (scripts/bench)', function () {
  this.timeout(180_000);
  let outDir: string;

  before(async function () {
    if (!serverUrl()) this.skip(); // the bench needs a Postgres server to create its database on
    outDir = await mkdtemp(path.join(os.tmpdir(), 'gh-bench-test-'));
  });

  after(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('runs scenarios against Gatehouse and the baseline and writes bench.json and bench.svg', async () => {
    const args = ['tsx', 'scripts/bench/main.ts', '--scenarios', 'jwks,client_credentials', '--duration', '1', '--warmup', '0', '--rounds', '1', '--connections', '4', '--log-level', 'warn', '--server', 'tsx', '--out', outDir, '--database-url', serverUrl()!];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('npx', args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (exitCode) => resolve({ code: exitCode, output }));
    });
    expect(code, output).to.equal(0);
    expect(output).to.match(/client_credentials\s+\d+/);

    const report = JSON.parse(await readFile(path.join(outDir, 'bench.json'), 'utf8')) as BenchReport;
    expect(report.scenarios.map((s) => s.scenario)).to.deep.equal(['jwks', 'client_credentials']);
    for (const scenario of report.scenarios) {
      expect(scenario.gatehouse.rps).to.be.greaterThan(0);
      expect(scenario.gatehouse.errors).to.equal(0);
      expect(scenario.baseline?.rps).to.be.greaterThan(0);
      expect(scenario.ratioAgainst).to.equal('baseline');
      expect(scenario.ratio).to.be.a('number');
    }
    expect(report.scenarios[1]!.gatehouse.queriesPerRequest).to.be.a('number');
    expect(report.runs).to.have.length(4);
    expect(report.machine.cpus).to.be.greaterThan(0);
    const svg = await readFile(path.join(outDir, 'bench.svg'), 'utf8');
    expect(svg).to.match(/^<svg /);
    expect(svg).to.include('client_credentials');
  });
});
