// Runs Gatehouse as a separate OS process (src/main.ts, or the instance harness with an IPC channel)
// and waits until it listens.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { ROOT } from './cli.js';

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  /** Sends a request over IPC (harness only) and resolves with the reply. */
  request<T>(message: Record<string, unknown>): Promise<T>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export const MAIN = path.join(ROOT, 'src', 'main.ts');
export const HARNESS = path.join(ROOT, 'test', 'helpers', 'instance-process.ts');

export function startServerProcess(script: string, env: NodeJS.ProcessEnv, { ready = 'Gatehouse is listening', timeoutMs = 60_000 } = {}): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      execArgv: ['--import', 'tsx', '--no-warnings'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    let nextId = 0;
    const pending = new Map<number, (value: unknown) => void>();
    child.on('message', (message: { id?: number }) => {
      if (message.id !== undefined) {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    };
    child.once('exit', onEarlyExit);
    const handle: ServerProcess = {
      child,
      output: () => output,
      request<T>(message: Record<string, unknown>) {
        const id = (nextId += 1);
        return new Promise<T>((done) => {
          pending.set(id, done as (value: unknown) => void);
          child.send({ ...message, id });
        });
      },
      stop() {
        child.off('exit', onEarlyExit);
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
        return new Promise((done) => {
          child.once('exit', (code) => done(code));
          child.kill('SIGTERM');
        });
      },
    };
  });
}
