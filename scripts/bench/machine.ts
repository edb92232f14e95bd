// What the figures were measured on: they mean little without it.
import os from 'node:os';

import type { Knex } from 'knex';

export async function describeMachine(knex: Knex, redis: boolean) {
  const result = (await knex.raw('SHOW server_version')) as { rows: { server_version: string }[] };
  return {
    cpus: os.availableParallelism(),
    model: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: result.rows[0]?.server_version ?? 'unknown',
    redis,
    loadAverageAtStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
