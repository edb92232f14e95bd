// `npm run bench:soak`: five minutes of mixed traffic (client credentials, introspection, JWKS,
// discovery, userinfo, refresh rotation, sign-ins) against one Gatehouse process, sampling its
// resident set size every second and its event-loop delay (perf_hooks.monitorEventLoopDelay via
// /metrics) every two. Reports the RSS peak, its growth after warm-up and the longest stall;
// writes docs/performance/soak.json.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT } from '../../test/helpers/cli.js';
import { freePort } from '../../test/helpers/test-server.js';
import { prepareInputs } from './bench.js';
import { API, REDIRECT_URI, SCOPE, startGatehouse } from './gatehouse.js';
import { drive, type LoadOutcome } from './load.js';
import { driveLoop } from './loop.js';
import { parseServerEnv } from './options.js';
import { describeMachine } from './machine.js';
import { clientCredentials, discovery, introspection, jwks, refreshRotation, userinfo } from './scenarios.js';
import { sampleServer } from './server-metrics.js';
import { keepAliveTransport } from './http-transport.js';
import { signInFlow, type SignInTarget } from './sign-in.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '60' },
    out: { type: 'string', default: path.join(ROOT, 'docs', 'performance') },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.REDIS_URL },
    'log-level': { type: 'string', default: 'info' },
    'server-node-arg': { type: 'string', multiple: true },
    'server-env': { type: 'string', multiple: true },
    'generator-nice': { type: 'string', default: '10' },
  },
});
const seconds = Math.min(Math.max(Number(values.duration), 10), 3600);
const warmupSeconds = Math.min(Math.max(Number(values.warmup), 0), seconds / 2);
const MB = 2 ** 20;

const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-soak-'));
console.log(`starting Gatehouse (logs in ${workDir})`);
const gh = await startGatehouse({
  port: await freePort(),
  metricsPort: await freePort(),
  databaseUrl: values['database-url'],
  redisUrl: values['redis-url'],
  workDir,
  users: 4,
  logLevel: values['log-level'],
  nodeArgs: values['server-node-arg'] ?? [],
  env: parseServerEnv(values['server-env']),
  server: 'build',
});
// The load generators share the machine's cores with the server (in production they are other
// machines): they run at a lower scheduling priority, so the server's event-loop delay measures the
// server rather than the time it waits for a core the generators hold.
// Lowered after the server started: it would inherit the priority.
const generatorNice = Math.min(Math.max(Number(values['generator-nice']), 0), 19);
try {
  os.setPriority(generatorNice);
} catch {
  console.warn(`could not lower this process's priority to nice ${generatorNice}; the event-loop figures include time waiting for a core`);
}
// Bounded: whatever happens, stop after the run plus a margin.
const watchdog = setTimeout(() => {
  console.error('soak overran; stopping');
  void gh.stop().finally(() => process.exit(2));
}, (seconds + 180) * 1000);
try {
  const target: SignInTarget = { issuer: gh.issuer, web: gh.web, redirectUri: REDIRECT_URI, password: gh.password, transport: keepAliveTransport() };
  const inputs = await prepareInputs(gh, target, { refreshFamilies: 6, userinfo: true });
  const mix: Record<string, () => Promise<LoadOutcome>> = {
    client_credentials: () => drive(gh.issuer, clientCredentials(inputs), { connections: 12, seconds }),
    introspection: () => drive(gh.issuer, introspection(inputs), { connections: 12, seconds }),
    jwks: () => drive(gh.issuer, jwks(), { connections: 2, seconds }),
    discovery: () => drive(gh.issuer, discovery(), { connections: 2, seconds }),
    userinfo: () => drive(gh.issuer, userinfo(inputs), { connections: 4, seconds }),
    refresh_token: () => driveLoop(4, seconds, refreshRotation(gh.issuer, inputs)),
    sign_in: () =>
      driveLoop(2, seconds, async (worker) => {
        await signInFlow(target, { login: gh.logins[worker % gh.logins.length]!, scope: `openid offline_access ${SCOPE}`, resource: API });
      }),
  };

  const started = Date.now();
  const rss: { t: number; mb: number }[] = [];
  const eventLoop: { t: number; maxMs: number; heapTotalMb: number; heapUsedMb: number; externalMb: number }[] = [];
  await sampleServer(gh.metricsUrl); // resets the event-loop maximum
  const rssTimer = setInterval(() => {
    const bytes = gh.child.rss();
    if (bytes) rss.push({ t: (Date.now() - started) / 1000, mb: bytes / MB });
  }, 1000);
  const loopTimer = setInterval(() => {
    sampleServer(gh.metricsUrl)
      .then((s) =>
        eventLoop.push({
          t: (Date.now() - started) / 1000,
          maxMs: s.eventLoopDelayMaxSeconds * 1000,
          heapTotalMb: s.heapTotalBytes / MB,
          heapUsedMb: s.heapUsedBytes / MB,
          externalMb: s.externalBytes / MB,
        }),
      )
      .catch(() => undefined);
  }, 2000);
  const progress = setInterval(() => {
    const last = rss.at(-1);
    const worst = Math.max(0, ...eventLoop.map((e) => e.maxMs));
    process.stdout.write(`\r\x1b[2K${Math.round((Date.now() - started) / 1000)}/${seconds} s  RSS ${last?.mb.toFixed(0) ?? '?'} MB  max event-loop delay ${worst.toFixed(0)} ms`);
  }, 1000);
  const names = Object.keys(mix);
  const outcomes = await Promise.all(names.map((name) => mix[name]!()));
  clearInterval(rssTimer);
  clearInterval(loopTimer);
  clearInterval(progress);
  process.stdout.write('\n');

  const after = rss.filter((s) => s.t >= warmupSeconds);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
  const windowMb = Math.min(60, (seconds - warmupSeconds) / 3);
  const firstWindow = median(after.filter((s) => s.t < warmupSeconds + windowMb).map((s) => s.mb));
  const lastWindow = median(after.filter((s) => s.t >= seconds - windowMb).map((s) => s.mb));
  const peak = Math.max(0, ...rss.map((s) => s.mb));
  const eventLoopMax = Math.max(0, ...eventLoop.map((e) => e.maxMs));
  const report = {
    startedAt: new Date(started).toISOString(),
    machine: await describeMachine(gh.core.database.knex, Boolean(values['redis-url'])),
    settings: { seconds, warmupSeconds, generatorNice, mix: { client_credentials: 12, introspection: 12, jwks: 2, discovery: 2, userinfo: 4, refresh_token: 4, sign_in: 2 } },
    traffic: Object.fromEntries(names.map((name, i) => [name, { requests: outcomes[i]!.requests, rps: outcomes[i]!.rps, p99Ms: outcomes[i]!.p99Ms, errors: outcomes[i]!.errors }])),
    rss: {
      peakMb: peak,
      afterWarmupFirstMinuteMedianMb: firstWindow,
      lastMinuteMedianMb: lastWindow,
      growthAfterWarmupMb: lastWindow - firstWindow,
      samples: rss,
    },
    // Event-loop maximum since the previous sample, with the V8 heap and external memory at that moment.
    eventLoop: { maxDelayMs: eventLoopMax, samples: eventLoop },
    targets: {
      rssUnder250Mb: peak < 250,
      // "No growth": the last minute within 5% (or 10 MB) of the first minute after warm-up.
      noGrowthAfterWarmup: lastWindow - firstWindow <= Math.max(10, firstWindow * 0.05),
      noStallOver100Ms: eventLoopMax <= 100,
    },
  };
  for (const [name, t] of Object.entries(report.traffic)) console.log(`${name.padEnd(20)} ${t.rps.toFixed(1).padStart(8)} req/s  p99 ${t.p99Ms.toFixed(0).padStart(5)} ms  ${t.errors} errors`);
  console.log(`RSS peak ${peak.toFixed(0)} MB; median ${firstWindow.toFixed(0)} MB after warm-up, ${lastWindow.toFixed(0)} MB in the last minute (growth ${(lastWindow - firstWindow).toFixed(1)} MB)`);
  console.log(`event-loop delay: max ${eventLoopMax.toFixed(0)} ms; V8 heap peak ${Math.max(0, ...eventLoop.map((e) => e.heapTotalMb)).toFixed(0)} MB, external peak ${Math.max(0, ...eventLoop.map((e) => e.externalMb)).toFixed(0)} MB`);
  for (const [name, met] of Object.entries(report.targets)) console.log(`${met ? 'met   ' : 'MISSED'}  ${name}`);
  await mkdir(values.out, { recursive: true });
  await writeFile(path.join(values.out, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.join(values.out, 'soak.json')}`);
} finally {
  clearTimeout(watchdog);
  await gh.stop();
}
process.exit(0);
