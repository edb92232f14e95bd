// One bench run: start Gatehouse and the baseline, prepare tokens, run every selected scenario
// (scenarios 1–4 against both, interleaved round by round), measure the argon2id limit and the
// sign-in flow, and return every figure.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '../../test/helpers/test-server.js';
import { startBaseline, type BaselineUnderTest } from './baseline/start.js';
import { COMPARED, summarise, type BenchReport, type RunFigure, type Scenario, type ScenarioResult, type Target } from './figures.js';
import { API, REDIRECT_URI, SCOPE, startGatehouse, type GatehouseUnderTest } from './gatehouse.js';
import type { Child } from './child.js';
import { drive, type LoadOutcome, type LoadSpec } from './load.js';
import { driveLoop } from './loop.js';
import { serverCores, type BenchOptions } from './options.js';
import { clientCredentials, discovery, introspection, jwks, refreshRotation, userinfo, type ScenarioInputs } from './scenarios.js';
import { sampleServer } from './server-metrics.js';
import { keepAliveTransport } from './http-transport.js';
import { driveSignIns, measureArgon2Limit, signInFlow, type SignInTarget } from './sign-in.js';
import { describeMachine } from './machine.js';
import { Progress } from './progress.js';

const TARGETS: Partial<Record<Scenario, number>> = { client_credentials: 0.7, introspection: 0.7, jwks: 0.9, discovery: 0.9, sign_in: 0.75 };

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const progress = new Progress(estimateSeconds(options));
  const watchdog = setTimeout(() => {
    console.error(`\nbench overran its time budget; stopping (server logs in ${workDir})`);
    void cleanup().finally(() => process.exit(2));
  }, (estimateSeconds(options) * 2 + 180) * 1000);
  let gatehouse: GatehouseUnderTest | undefined;
  let baseline: BaselineUnderTest | undefined;
  const cleanup = async () => {
    await baseline?.stop().catch(() => undefined);
    await gatehouse?.stop().catch(() => undefined);
  };
  try {
    progress.note(`${options.server === 'build' ? 'building and starting' : 'starting'} Gatehouse on a fresh database (logs in ${workDir})`);
    gatehouse = await startGatehouse({
      port: await freePort(),
      metricsPort: await freePort(),
      databaseUrl: options.databaseUrl,
      redisUrl: options.redisUrl,
      workDir,
      users: options.users,
      logLevel: options.logLevel,
      nodeArgs: options.serverNodeArgs,
      env: options.serverEnv,
      server: options.server,
    });
    const gh = gatehouse;
    const compared = options.scenarios.filter((s) => COMPARED.includes(s));
    if (options.baseline && compared.length) {
      progress.note('starting the baseline (bare oidc-provider, in-memory adapter, same clients and keys)');
      baseline = await startBaseline({ port: await freePort(), workDir, keys: await gh.providerJwks(), api: API, scope: SCOPE, machine: gh.machine, resourceServer: gh.resourceServer, nodeArgs: options.serverNodeArgs });
    }
    const signInTarget: SignInTarget = { issuer: gh.issuer, web: gh.web, redirectUri: REDIRECT_URI, password: gh.password, transport: keepAliveTransport() };
    progress.note('preparing tokens');
    const inputs = {
      gatehouse: await prepareInputs(gh, signInTarget, {
        // One refresh-token family per connection and a few spare: a family is used by one request at a time.
        refreshFamilies: options.scenarios.includes('refresh_token') ? options.connections + Math.max(2, Math.ceil(options.connections / 8)) : 0,
        userinfo: options.scenarios.includes('userinfo'),
      }),
      baseline: baseline ? { api: API, scope: SCOPE, machine: gh.machine, resourceServer: gh.resourceServer, introspectedToken: await baseline.opaqueAccessToken() } : undefined,
    };
    const urls: Record<Target, string | undefined> = { gatehouse: gh.issuer, baseline: baseline?.issuer };
    const runs: RunFigure[] = [];

    // Built once per target: the rotation keeps each worker's latest refresh token across runs.
    const refreshTasks = new Map<Target, (worker: number) => Promise<void>>();
    const refreshTask = (target: Target) => {
      if (!refreshTasks.has(target)) refreshTasks.set(target, refreshRotation(urls[target]!, inputs[target]!));
      return refreshTasks.get(target)!;
    };
    const runOnce = async (scenario: Scenario, target: Target, round: number) => {
      const url = urls[target]!;
      const load = (seconds: number) =>
        scenario === 'refresh_token'
          ? driveLoop(options.connections, seconds, refreshTask(target))
          : drive(url, specFor(scenario, inputs[target]!), { connections: options.connections, seconds });
      if (options.warmupSeconds > 0) {
        progress.start(`${scenario} · ${target} · warm-up`, options.warmupSeconds);
        await load(options.warmupSeconds);
      }
      progress.start(`${scenario} · ${target} · round ${round}`, options.durationSeconds);
      const before = target === 'gatehouse' ? await sampleServer(gh.metricsUrl) : undefined;
      const { outcome, costs } = await withCosts(target === 'gatehouse' ? gh.child : baseline!.child, () => load(options.durationSeconds));
      const after = target === 'gatehouse' ? await sampleServer(gh.metricsUrl) : undefined;
      const figure: RunFigure = {
        scenario,
        target,
        round,
        connections: options.connections,
        ...outcome,
        ...(before && after && outcome.requests ? { queriesPerRequest: (after.queries - before.queries) / outcome.requests } : {}),
        ...costs,
      };
      runs.push(figure);
      progress.done(
        `${Math.round(figure.rps)} req/s, p50 ${figure.p50Ms.toFixed(1)} ms, p99 ${figure.p99Ms.toFixed(1)} ms, ${figure.errors} errors` +
          `${figure.queriesPerRequest !== undefined ? `, ${figure.queriesPerRequest.toFixed(2)} statements/req` : ''}, server CPU ${figure.serverCpuMs?.toFixed(2)} ms/req`,
      );
    };

    for (let round = 1; round <= options.rounds; round += 1) {
      for (const scenario of options.scenarios.filter((s) => s !== 'sign_in')) {
        const both = baseline && COMPARED.includes(scenario);
        // Alternate who goes first, so drift on a shared machine does not favour one side.
        const order: Target[] = !both ? ['gatehouse'] : round % 2 === 1 ? ['baseline', 'gatehouse'] : ['gatehouse', 'baseline'];
        for (const target of order) await runOnce(scenario, target, round);
      }
    }

    let argon2: number | undefined;
    if (options.scenarios.includes('sign_in')) {
      progress.start(`argon2id limit · ${serverCores()} in parallel`, options.argon2Seconds);
      argon2 = await measureArgon2Limit(gh.config.argon2, { parallel: serverCores(), seconds: options.argon2Seconds });
      progress.done(`${argon2.toFixed(1)} verifications/s`);
      const signInSeconds = Math.max(options.durationSeconds, 3);
      for (let round = 1; round <= options.rounds; round += 1) {
        progress.start(`sign_in · gatehouse · round ${round} · ${options.loginWorkers} workers`, signInSeconds);
        const before = await sampleServer(gh.metricsUrl);
        const { outcome, costs } = await withCosts(gh.child, () =>
          driveSignIns(signInTarget, { workers: options.loginWorkers, seconds: signInSeconds, logins: gh.logins, scope: `openid offline_access ${SCOPE}`, resource: API }),
        );
        const after = await sampleServer(gh.metricsUrl);
        const figure: RunFigure = {
          scenario: 'sign_in',
          target: 'gatehouse',
          round,
          connections: options.loginWorkers,
          ...outcome,
          ...(outcome.requests ? { queriesPerRequest: (after.queries - before.queries) / outcome.requests } : {}),
          ...costs,
        };
        runs.push(figure);
        progress.done(
          `${figure.rps.toFixed(1)} flows/s, p50 ${figure.p50Ms.toFixed(0)} ms, p99 ${figure.p99Ms.toFixed(0)} ms, ${figure.errors} errors, ` +
            `${figure.queriesPerRequest?.toFixed(1)} statements/flow, server CPU ${figure.serverCpuMs?.toFixed(1)} ms/flow (argon2 threads included)`,
        );
      }
    }

    const scenarios: ScenarioResult[] = options.scenarios.map((scenario) => {
      const gatehouseSummary = summarise(runs.filter((r) => r.scenario === scenario && r.target === 'gatehouse'));
      const baselineRuns = runs.filter((r) => r.scenario === scenario && r.target === 'baseline');
      const baselineSummary = baselineRuns.length ? summarise(baselineRuns) : undefined;
      const result: ScenarioResult = { scenario, gatehouse: gatehouseSummary, ...(baselineSummary ? { baseline: baselineSummary } : {}) };
      if (baselineSummary?.rps) Object.assign(result, { ratio: gatehouseSummary.rps / baselineSummary.rps, ratioAgainst: 'baseline', target: TARGETS[scenario] });
      if (scenario === 'sign_in' && argon2) Object.assign(result, { ratio: gatehouseSummary.rps / argon2, ratioAgainst: 'argon2id_limit', target: TARGETS.sign_in });
      return result;
    });
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: await describeMachine(gh.core.database.knex, Boolean(options.redisUrl)),
      settings: {
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        rounds: options.rounds,
        loginWorkers: options.loginWorkers,
        argon2: gh.config.argon2,
      },
      ...(argon2 ? { argon2VerificationsPerSecond: argon2 } : {}),
      scenarios,
      runs,
    };
  } finally {
    clearTimeout(watchdog);
    progress.stop();
    await cleanup();
  }
}

/** CPU time per request of the server process and of this (load-generating) process. */
async function withCosts(child: Child, load: () => Promise<LoadOutcome>): Promise<{ outcome: LoadOutcome; costs: { serverCpuMs?: number; clientCpuMs?: number } }> {
  const serverBefore = child.cpuSeconds();
  const clientBefore = process.cpuUsage();
  const outcome = await load();
  const serverAfter = child.cpuSeconds();
  const client = process.cpuUsage(clientBefore);
  if (!outcome.requests) return { outcome, costs: {} };
  return {
    outcome,
    costs: {
      ...(serverBefore !== undefined && serverAfter !== undefined ? { serverCpuMs: ((serverAfter - serverBefore) * 1000) / outcome.requests } : {}),
      clientCpuMs: (client.user + client.system) / 1000 / outcome.requests,
    },
  };
}

function specFor(scenario: Scenario, inputs: ScenarioInputs): LoadSpec {
  switch (scenario) {
    case 'client_credentials':
      return clientCredentials(inputs);
    case 'introspection':
      return introspection(inputs);
    case 'jwks':
      return jwks();
    case 'discovery':
      return discovery();
    case 'userinfo':
      return userinfo(inputs);
    case 'refresh_token':
    case 'sign_in':
      throw new Error(`${scenario} is a closed loop (loop.ts)`);
  }
}

/** The tokens the scenarios present: a client-credentials JWT, refresh-token families, a user's access token. */
export async function prepareInputs(
  gh: GatehouseUnderTest,
  signInTarget: SignInTarget,
  { refreshFamilies, userinfo: forUserinfo }: { refreshFamilies: number; userinfo: boolean },
): Promise<ScenarioInputs> {
  const token = await fetch(new URL('/token', gh.issuer), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(gh.machine.clientId)}:${encodeURIComponent(gh.machine.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, resource: API }).toString(),
  });
  if (token.status !== 200) throw new Error(`client_credentials failed with ${token.status}: ${await token.text()}`);
  const inputs: ScenarioInputs = {
    api: API,
    scope: SCOPE,
    machine: gh.machine,
    resourceServer: gh.resourceServer,
    introspectedToken: ((await token.json()) as { access_token: string }).access_token,
    web: gh.web,
  };
  if (refreshFamilies) {
    const tokens: string[] = [];
    await inParallel(refreshFamilies, 4, async (i) => {
      const response = await signInFlow(signInTarget, { login: gh.logins[i % gh.logins.length]!, scope: `openid offline_access ${SCOPE}`, resource: API });
      tokens.push(response.refresh_token!);
    });
    inputs.refreshTokens = tokens;
  }
  if (forUserinfo) {
    inputs.userAccessToken = (await signInFlow(signInTarget, { login: gh.logins[0]!, scope: 'openid profile email' })).access_token;
  }
  return inputs;
}

async function inParallel(count: number, parallel: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function estimateSeconds(options: BenchOptions): number {
  const perRun = options.durationSeconds + options.warmupSeconds;
  const loadScenarios = options.scenarios.filter((s) => s !== 'sign_in');
  const compared = options.baseline ? loadScenarios.filter((s) => COMPARED.includes(s)).length : 0;
  const signIn = options.scenarios.includes('sign_in') ? options.argon2Seconds + Math.max(options.durationSeconds, 3) * options.rounds : 0;
  return (loadScenarios.length + compared) * perRun * options.rounds + signIn + 15;
}
