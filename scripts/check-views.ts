// Fails (exit 1) when a view prints something unescaped: `<%-` is allowed only to include one of
// the trusted partials in views/partials (`<%- include('partials/name', …) %>`). Everything else
// must use escaped output (`<%= %>`). Run by `npm run lint` (and so by .ci/run).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ViewFinding {
  file: string;
  line: number;
  text: string;
}

const RAW_TAG = /<%-([\s\S]*?)-?%>/g;
const TRUSTED_INCLUDE = /^\s*include\(\s*'partials\/([a-z0-9-]+)'\s*(,[^()]*)?\)\s*$/;

function viewFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return viewFiles(full);
    return entry.name.endsWith('.ejs') ? [full] : [];
  });
}

export function checkViews(viewsDir: string): ViewFinding[] {
  const partials = new Set(readdirSync(path.join(viewsDir, 'partials')).filter((f) => f.endsWith('.ejs')).map((f) => f.slice(0, -'.ejs'.length)));
  const findings: ViewFinding[] = [];
  for (const file of viewFiles(viewsDir)) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(RAW_TAG)) {
      const include = TRUSTED_INCLUDE.exec(match[1]!);
      if (include && partials.has(include[1]!)) continue;
      findings.push({ file: path.relative(viewsDir, file), line: source.slice(0, match.index).split('\n').length, text: match[0].slice(0, 120) });
    }
    // Other ways to print raw output: EJS's custom delimiters would hide a raw tag from this check.
    if (/<%_?\s*(delimiter|openDelimiter|closeDelimiter)\b/.test(source)) {
      findings.push({ file: path.relative(viewsDir, file), line: 1, text: 'custom EJS delimiters are not allowed' });
    }
  }
  return findings;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const viewsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'views');
  const findings = checkViews(viewsDir);
  for (const f of findings) console.error(`views/${f.file}:${f.line}: unescaped output (only trusted partials may use <%-): ${f.text}`);
  if (findings.length) process.exit(1);
  console.log(`check-views: ${viewFiles(viewsDir).length} views, no unescaped output`);
}
