// The Grafana dashboard and the Prometheus alert rules in deploy/ are well-formed, and every metric
// they query exists in what /metrics actually serves; docker-compose.yml passes `docker-compose config`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';

import { ROOT } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const TOKEN = 'deploy-monitoring-token-'.padEnd(40, 'x');
const METRIC = /\b((?:gatehouse|process|nodejs)_[a-z0-9_]+)\b/g;

interface Rule {
  alert?: string;
  expr?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function read(relative: string): string {
  return readFileSync(path.join(ROOT, relative), 'utf8');
}

/** Every PromQL expression in a dashboard, wherever panels nest them. */
function dashboardExpressions(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) dashboardExpressions(item, found);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'definition') && typeof value === 'string') found.push(value);
      else dashboardExpressions(value, found);
    }
  }
  return found;
}

function referencedMetrics(expressions: string[]): Set<string> {
  return new Set(expressions.flatMap((e) => [...e.matchAll(METRIC)].map((m) => m[1]!)));
}

describe('deploy/: dashboard, alert rules and compose file', () => {
  let server: TestServer;
  let exposed: Set<string>;

  before(async () => {
    server = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
    const text = await (await fetch(`${server.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    // Declared metrics (a labelled counter has no samples until first used) plus histogram series names.
    exposed = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exposed.add(name!);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(`${name}${suffix}`);
    }
  });

  after(async () => server?.stop());

  it('alert rules: valid groups, each rule with expr, severity and summary, on metrics that exist', () => {
    const rules = parseYaml(read('deploy/prometheus/alerts.yml')) as { groups: { name: string; rules: Rule[] }[] };
    expect(rules.groups).to.be.an('array').that.is.not.empty;
    const all = rules.groups.flatMap((g) => g.rules);
    const names = all.map((r) => r.alert);
    expect(new Set(names).size).to.equal(names.length);
    for (const rule of all) {
      expect(rule.alert, JSON.stringify(rule)).to.match(/^Gatehouse[A-Za-z0-9]+$/);
      expect(rule.expr, rule.alert).to.be.a('string').and.not.empty;
      expect(rule.labels?.severity, rule.alert).to.be.oneOf(['critical', 'warning', 'info']);
      expect(rule.annotations?.summary, rule.alert).to.be.a('string');
    }
    // The warning signs the issue names: 4xx/5xx spikes, login failures from one source, rate-limit hits.
    expect(names).to.include.members(['GatehouseHigh5xxRate', 'GatehouseSpikeOf4xx', 'GatehouseLoginFailuresFromOneSource', 'GatehouseRateLimitHits']);
    const missing = [...referencedMetrics(all.map((r) => r.expr!))].filter((m) => !exposed.has(m));
    expect(missing).to.deep.equal([]);
  });

  it('dashboard: valid JSON with unique panel ids, every query on a metric that exists', () => {
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/gatehouse.json')) as { uid: string; panels: { id: number; type: string; targets?: unknown[] }[] };
    expect(dashboard.uid).to.equal('gatehouse');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.targets, `panel ${panel.id}`).to.be.an('array').that.is.not.empty;
    const used = referencedMetrics(dashboardExpressions(dashboard));
    expect(used.size).to.be.greaterThan(15);
    expect([...used].filter((m) => !exposed.has(m))).to.deep.equal([]);
    // Prometheus scrapes the port the compose file gives Gatehouse's metrics.
    expect(read('deploy/prometheus/prometheus.yml')).to.include("gatehouse:9464");
    expect(read('docker-compose.yml')).to.include('METRICS_PORT: "9464"');
  });

  const compose = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));
  (compose ? it : it.skip)('docker-compose.yml passes `docker-compose config`, with and without the monitoring profile', async () => {
    const run = promisify(execFile);
    await run(compose!, ['config', '-q'], { cwd: ROOT });
    const { stdout } = await run(compose!, ['--profile', 'monitoring', 'config', '--services'], { cwd: ROOT });
    expect(stdout.split('\n').filter(Boolean)).to.have.members(['postgres', 'redis', 'gatehouse', 'prometheus', 'grafana']);
  });
});
