// Command-line options of `npm run bench` (and the soak): every run is bounded in time.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT } from '../../test/helpers/cli.js';
import { SCENARIOS, type Scenario } from './figures.js';

export interface BenchOptions {
  scenarios: Scenario[];
  baseline: boolean;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number;
  loginWorkers: number;
  users: number;
  argon2Seconds: number;
  outDir: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  logLevel: string;
  serverNodeArgs: string[];
  serverEnv: Record<string, string>;
  server: 'build' | 'tsx';
}

export const USAGE = `npm run bench -- [options]
  --quick                 about one minute: 3 s per run, 1 s warm-up, one round
  --duration <s>          seconds per measured run (default 10)
  --warmup <s>            seconds of unmeasured load before each run (default 2)
  --rounds <n>            interleaved rounds of Gatehouse and baseline runs (default 2)
  --connections <n>       concurrent connections for scenarios 1-6 (default 64)
  --login-workers <n>     concurrent sign-ins for scenario 7 (default 8)
  --users <n>             users created for the sign-ins (default 8)
  --scenarios <a,b,...>   any of ${SCENARIOS.join(', ')} (default all)
  --no-baseline           skip the bare oidc-provider runs
  --out <dir>             where bench.json and bench.svg go (default docs/performance)
  --database-url <url>    Postgres server to create the bench database on (default $DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --redis-url <url>       use Redis for rate-limit counters (default $REDIS_URL)
  --log-level <level>     server log level; the log goes to a file (default info)
  --server-node-arg <arg> extra node option for both servers, e.g. --cpu-prof (repeatable)
  --server-env K=V        extra server environment (repeatable)
  --server build|tsx      build with tsc and run dist/src/main.js on node, as in production (default),
                          or run the TypeScript sources through tsx (quicker to start)`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'login-workers': { type: 'string' },
      users: { type: 'string' },
      scenarios: { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      out: { type: 'string' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      'log-level': { type: 'string' },
      'server-node-arg': { type: 'string', multiple: true },
      'server-env': { type: 'string', multiple: true },
      server: { type: 'string', default: 'build' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick;
  const number = (value: string | undefined, fallback: number, max: number) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0 || parsed > max) throw new Error(`invalid number ${value} (1..${max})`);
    return parsed;
  };
  const scenarios = values.scenarios ? values.scenarios.split(',').map((s) => s.trim()) : [...SCENARIOS];
  for (const scenario of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`unknown scenario ${scenario}; known: ${SCENARIOS.join(', ')}`);
  }
  const serverEnv = parseServerEnv(values['server-env']);
  if (values.server !== 'build' && values.server !== 'tsx') throw new Error('--server is build or tsx');
  return {
    server: values.server,
    scenarios: scenarios as Scenario[],
    baseline: !values['no-baseline'],
    durationSeconds: number(values.duration, quick ? 3 : 10, 600),
    warmupSeconds: values.warmup === '0' ? 0 : number(values.warmup, quick ? 1 : 2, 60),
    rounds: number(values.rounds, quick ? 1 : 2, 10),
    connections: number(values.connections, 64, 1024),
    loginWorkers: number(values['login-workers'], 8, 256),
    users: number(values.users, 8, 1000),
    argon2Seconds: quick ? 2 : 4,
    outDir: path.resolve(values.out ?? path.join(ROOT, 'docs', 'performance')),
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: values['redis-url'] ?? process.env.REDIS_URL ?? undefined,
    logLevel: values['log-level'] ?? 'info',
    serverNodeArgs: values['server-node-arg'] ?? [],
    serverEnv,
  };
}

/** `--server-env KEY=VALUE` pairs (bench and soak). */
export function parseServerEnv(pairs: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--server-env expects KEY=VALUE, got ${pair}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** Cores the server may use: all of them (one Node process plus libuv's threads for argon2). */
export const serverCores = () => os.availableParallelism();
