// Starts a server under test as a separate Node process (its output goes to a log file, not
// through this process), waits until a URL answers, and reads its resident set size from /proc.
import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  logFile: string;
  /** Resident set size in bytes (Linux), or undefined once the process is gone. */
  rss(): number | undefined;
  /** CPU time used so far, user + system, in seconds (Linux). */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

export async function startChild(options: {
  name: string;
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  readyUrl: string;
  nodeArgs?: string[];
  timeoutMs?: number;
}): Promise<Child> {
  const fd = openSync(options.logFile, 'a');
  const child = fork(options.script, [], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    // TypeScript sources run through tsx; a build (dist/) runs on plain node, as in production.
    execArgv: [...(options.script.endsWith('.ts') ? ['--import', 'tsx'] : []), '--no-warnings', ...(options.nodeArgs ?? [])],
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}; see ${options.logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not start in time; see ${options.logFile}`);
    }
    try {
      const response = await fetch(options.readyUrl);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name: options.name,
    process: child,
    pid: child.pid!,
    logFile: options.logFile,
    rss: () => readRss(child.pid!),
    cpuSeconds: () => readCpuSeconds(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

function readRss(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 1/100 s (USER_HZ on Linux). */
function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
