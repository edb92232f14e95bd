// The terminal table of a bench run, and the targets of the performance issue checked against it.
import type { BenchReport } from './figures.js';

const fixed = (value: number | undefined, digits = 0) => (value === undefined ? '–' : value.toFixed(digits));

export function formatTable(report: BenchReport): string {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'stmt/req', 'cpu ms/req', 'baseline req/s', 'b. p99 ms', 'b. cpu ms', 'ratio', 'target'];
  const rows = report.scenarios.map((s) => [
    s.scenario,
    fixed(s.gatehouse.rps),
    fixed(s.gatehouse.p50Ms, 1),
    fixed(s.gatehouse.p99Ms, 1),
    String(s.gatehouse.errors),
    fixed(s.gatehouse.queriesPerRequest, 2),
    fixed(s.gatehouse.serverCpuMs, 2),
    s.ratioAgainst === 'argon2id_limit' ? `${fixed(report.argon2VerificationsPerSecond)} argon2/s` : fixed(s.baseline?.rps),
    fixed(s.baseline?.p99Ms, 1),
    fixed(s.baseline?.serverCpuMs, 2),
    s.ratio === undefined ? '–' : `${s.ratio.toFixed(2)}×`,
    s.target === undefined ? '–' : `≥${s.target}× ${s.ratio !== undefined && s.ratio >= s.target ? 'met' : 'MISSED'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export interface TargetCheck {
  name: string;
  met: boolean;
  detail: string;
}

/** The throughput, latency and error targets (memory and event loop are the soak's). */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const s of report.scenarios) {
    if (s.target !== undefined && s.ratio !== undefined) {
      checks.push({ name: `${s.scenario} ≥ ${s.target}× ${s.ratioAgainst === 'argon2id_limit' ? 'argon2id limit' : 'baseline'}`, met: s.ratio >= s.target, detail: `${s.ratio.toFixed(2)}×` });
    }
  }
  const latencyBound = report.scenarios.filter((s) => s.scenario !== 'sign_in');
  if (latencyBound.length) {
    const worst = latencyBound.reduce((a, b) => (b.gatehouse.p99Ms > a.gatehouse.p99Ms ? b : a));
    checks.push({ name: `p99 ≤ 50 ms at ${report.settings.connections} connections`, met: worst.gatehouse.p99Ms <= 50, detail: `worst ${worst.gatehouse.p99Ms.toFixed(1)} ms (${worst.scenario})` });
  }
  const errors = report.scenarios.reduce((sum, s) => sum + s.gatehouse.errors, 0);
  checks.push({ name: 'zero errors', met: errors === 0, detail: `${errors} errors` });
  return checks;
}
