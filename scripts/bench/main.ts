// `npm run bench`: Gatehouse and the bare oidc-provider baseline under the same load, interleaved,
// then a table on the terminal, docs/performance/bench.json and docs/performance/bench.svg.
// The whole run is bounded: a watchdog stops everything if it overruns its time budget.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { runBench } from './bench.js';
import { renderChart } from './chart.js';
import { parseOptions, USAGE } from './options.js';
import { checkTargets, formatTable } from './report.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(64);
}
const report = await runBench(options);
console.log(`\n${formatTable(report)}\n`);
for (const check of checkTargets(report)) console.log(`${check.met ? 'met   ' : 'MISSED'}  ${check.name}: ${check.detail}`);
await mkdir(options.outDir, { recursive: true });
await writeFile(path.join(options.outDir, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(path.join(options.outDir, 'bench.svg'), renderChart(report));
console.log(`\nwrote ${path.join(options.outDir, 'bench.json')} and bench.svg`);
process.exit(0);
