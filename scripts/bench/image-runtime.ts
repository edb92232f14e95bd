// The runtime settings of the container image (memory settings in the Dockerfile's ENV), so the
// bench and the soak measure the server as the image runs it, from one source of truth.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { ROOT } from '../../test/helpers/cli.js';

export const IMAGE_RUNTIME_KEYS = ['MALLOC_ARENA_MAX', 'NODE_OPTIONS'] as const;

export function imageRuntimeEnv(dockerfile = path.join(ROOT, 'Dockerfile')): Record<string, string> {
  const text = readFileSync(dockerfile, 'utf8').replace(/\\\r?\n/g, ' ');
  const env: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => /^ENV\s/.test(l))) {
    for (const key of IMAGE_RUNTIME_KEYS) {
      const value = new RegExp(`(?:^|\\s)${key}=("[^"]*"|\\S+)`).exec(line)?.[1];
      if (value !== undefined) env[key] = value.replace(/^"|"$/g, '');
    }
  }
  return env;
}
