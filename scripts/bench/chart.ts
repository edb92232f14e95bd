// An SVG chart of a bench run, written by hand (no dependency): per scenario, Gatehouse's
// throughput as a ratio of its reference (baseline, or the argon2id limit for sign-in) with the
// target marked, and Gatehouse's p50/p99 latency next to the 50 ms budget.
import type { BenchReport } from './figures.js';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(report: BenchReport): string {
  const rows = report.scenarios;
  const rowHeight = 34;
  const top = 70;
  const labelWidth = 150;
  const panelWidth = 330;
  const gap = 170;
  const width = labelWidth + panelWidth * 2 + gap + 120;
  const height = top + rows.length * rowHeight + 62;
  const maxRatio = Math.max(1.2, ...rows.map((r) => r.ratio ?? 0)) * 1.05;
  const latencyRows = rows.filter((r) => r.scenario !== 'sign_in');
  // Logarithmic: the closed-loop scenarios take hundreds of milliseconds, the others a few.
  const maxLatency = Math.max(100, ...latencyRows.map((r) => r.gatehouse.p99Ms)) * 1.2;
  const ratioX = (v: number) => labelWidth + (v / maxRatio) * panelWidth;
  const latencyLeft = labelWidth + panelWidth + gap;
  const latencyX = (v: number) => latencyLeft + (Math.log10(Math.max(v, 1)) / Math.log10(maxLatency)) * panelWidth;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  parts.push(`<text x="12" y="22" font-size="15" font-weight="600">Gatehouse bench, ${escape(report.finishedAt.slice(0, 16).replace('T', ' '))} UTC — ${report.machine.cpus} cores, ${report.settings.connections} connections</text>`);
  parts.push(`<text x="${labelWidth}" y="${top - 16}" font-weight="600">Throughput ÷ reference (bar), target (tick)</text>`);
  parts.push(`<text x="${latencyLeft}" y="${top - 16}" font-weight="600">Latency ms (log scale): p50 (dark) · p99 (light)</text>`);
  for (const [i, row] of rows.entries()) {
    const y = top + i * rowHeight;
    parts.push(`<text x="12" y="${y + 17}">${escape(row.scenario)}</text>`);
    if (row.ratio !== undefined) {
      const met = row.target === undefined || row.ratio >= row.target;
      parts.push(`<rect x="${labelWidth}" y="${y + 4}" width="${(ratioX(row.ratio) - labelWidth).toFixed(1)}" height="18" fill="${met ? '#3451b2' : '#c2410c'}"/>`);
      const reference = row.ratioAgainst === 'argon2id_limit' ? 'of argon2id' : 'of baseline';
      const labelX = Math.max(ratioX(row.ratio), row.target === undefined ? 0 : ratioX(row.target)) + 6;
      parts.push(`<text x="${labelX.toFixed(1)}" y="${y + 17}">${row.ratio.toFixed(2)}× ${reference} (${Math.round(row.gatehouse.rps)}/s)</text>`);
      if (row.target !== undefined) parts.push(`<line x1="${ratioX(row.target).toFixed(1)}" x2="${ratioX(row.target).toFixed(1)}" y1="${y + 1}" y2="${y + 25}" stroke="#111" stroke-width="2"/>`);
    } else {
      parts.push(`<text x="${labelWidth}" y="${y + 17}" fill="#555">${Math.round(row.gatehouse.rps)} req/s (no reference)</text>`);
    }
    if (row.scenario !== 'sign_in') {
      parts.push(`<rect x="${latencyLeft}" y="${y + 4}" width="${(latencyX(row.gatehouse.p99Ms) - latencyLeft).toFixed(1)}" height="18" fill="#a5b4fc"/>`);
      parts.push(`<rect x="${latencyLeft}" y="${y + 4}" width="${(latencyX(row.gatehouse.p50Ms) - latencyLeft).toFixed(1)}" height="18" fill="#3451b2"/>`);
      parts.push(`<text x="${(latencyX(row.gatehouse.p99Ms) + 4).toFixed(1)}" y="${y + 17}">${row.gatehouse.p50Ms.toFixed(0)} / ${row.gatehouse.p99Ms.toFixed(0)}</text>`);
    } else {
      parts.push(`<text x="${latencyLeft}" y="${y + 17}" fill="#555">flow p50 ${row.gatehouse.p50Ms.toFixed(0)} ms, p99 ${row.gatehouse.p99Ms.toFixed(0)} ms</text>`);
    }
  }
  const bottom = top + rows.length * rowHeight;
  parts.push(`<line x1="${ratioX(1)}" x2="${ratioX(1)}" y1="${top - 8}" y2="${bottom}" stroke="#999" stroke-dasharray="3 3"/>`);
  parts.push(`<text x="${ratioX(1) - 8}" y="${bottom + 14}" fill="#555">1×</text>`);
  for (const tick of [1, 10, 100, 1000, 10000].filter((t) => t <= maxLatency)) {
    parts.push(`<line x1="${latencyX(tick)}" x2="${latencyX(tick)}" y1="${bottom}" y2="${bottom + 4}" stroke="#999"/>`);
    parts.push(`<text x="${latencyX(tick) - 6}" y="${bottom + 14}" fill="#555">${tick}</text>`);
  }
  parts.push(`<line x1="${latencyX(50)}" x2="${latencyX(50)}" y1="${top - 8}" y2="${bottom}" stroke="#c2410c" stroke-dasharray="3 3"/>`);
  parts.push(`<text x="${latencyX(50) - 14}" y="${bottom + 26}" fill="#c2410c">50 ms budget</text>`);
  const errors = rows.reduce((sum, r) => sum + r.gatehouse.errors, 0);
  parts.push(`<text x="12" y="${height - 12}" fill="#555">Ratios are measured in the same run, interleaved, on a machine shared with other work. Errors: ${errors}. Postgres, rate limits, audit log, revocable JWTs on.</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
