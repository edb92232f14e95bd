// Closed-loop load for multi-step or stateful scenarios (sign-ins, refresh-token rotation): each
// worker repeats its task until the time is up and finishes the one in flight, so no state is lost
// with an abandoned request (a refresh token consumed by a response nobody read).
import type { LoadOutcome } from './load.js';

export async function driveLoop(workers: number, seconds: number, task: (worker: number) => Promise<void>): Promise<LoadOutcome> {
  const durations: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        try {
          await task(worker);
          durations.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  return { seconds: elapsed, requests: durations.length + errors, rps: durations.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}
