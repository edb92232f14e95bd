// One Gatehouse instance as its own process, for multi-instance tests: the real server (startServer),
// plus an IPC channel through which the test uses this process's own rate-limit store.
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';
import { createLogger } from '../../src/services/logger.js';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

const config = loadConfig(process.env);
const logger = createLogger({ level: config.logLevel });
const running = await startServer({ config, logger });
const limiters = new Map<string, RateLimiterAbstract>();

interface ConsumeRequest {
  id: number;
  type: 'consume';
  prefix: string;
  key: string;
  points: number;
  durationSeconds: number;
}

process.on('message', (message: ConsumeRequest) => {
  if (message.type !== 'consume') return;
  let limiter = limiters.get(message.prefix);
  if (!limiter) {
    limiter = running.gatehouse.core.rateLimits.create(message.prefix, { points: message.points, durationSeconds: message.durationSeconds });
    limiters.set(message.prefix, limiter);
  }
  limiter.consume(message.key).then(
    (result) => process.send!({ id: message.id, allowed: true, remaining: result.remainingPoints }),
    (result: { remainingPoints?: number } | Error) =>
      process.send!({ id: message.id, allowed: false, remaining: result instanceof Error ? -1 : result.remainingPoints, error: result instanceof Error ? result.message : undefined }),
  );
});

process.on('SIGTERM', () => {
  void running.stop().then(() => process.exit(0));
});
process.stdout.write(`Gatehouse is listening on port ${running.port} (backend ${running.gatehouse.core.rateLimits.backend})\n`);
