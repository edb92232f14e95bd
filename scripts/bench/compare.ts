// A regression check outside the test suite: compares a bench result with a reference (by default
// the committed docs/performance/bench.json) on what survives a noisy machine — the ratios to the
// reference, database statements per request, errors — and exits 1 when one got worse.
//   npm run bench -- --out /tmp/now && npm run bench:compare -- /tmp/now/bench.json
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { ROOT } from '../../test/helpers/cli.js';
import type { BenchReport } from './figures.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    reference: { type: 'string', default: path.join(ROOT, 'docs', 'performance', 'bench.json') },
    // Ratios move by about ±0.1 between runs on a shared machine.
    tolerance: { type: 'string', default: '0.15' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: npm run bench:compare -- NEW.json [--reference OLD.json] [--tolerance 0.15]');
  process.exit(64);
}
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
const current = read(positionals[0]!);
const reference = read(values.reference);
const tolerance = Number(values.tolerance);

let worse = 0;
for (const now of current.scenarios) {
  const then = reference.scenarios.find((s) => s.scenario === now.scenario);
  const findings: string[] = [];
  if (then?.ratio !== undefined && now.ratio !== undefined && now.ratio < then.ratio - tolerance) {
    findings.push(`ratio ${then.ratio.toFixed(2)}× -> ${now.ratio.toFixed(2)}×`);
  }
  const statementsThen = then?.gatehouse.queriesPerRequest;
  const statementsNow = now.gatehouse.queriesPerRequest;
  if (statementsThen !== undefined && statementsNow !== undefined && statementsNow > statementsThen + 0.5) {
    findings.push(`statements/request ${statementsThen.toFixed(2)} -> ${statementsNow.toFixed(2)}`);
  }
  if (now.gatehouse.errors > 0) findings.push(`${now.gatehouse.errors} errors`);
  worse += findings.length ? 1 : 0;
  console.log(`${findings.length ? 'WORSE' : 'ok   '}  ${now.scenario.padEnd(20)} ${findings.join('; ') || `ratio ${now.ratio?.toFixed(2) ?? '–'}×, ${statementsNow?.toFixed(2) ?? '–'} statements/request`}`);
}
process.exit(worse ? 1 : 0);
