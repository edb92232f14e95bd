// Reads a secret setting from NAME or from the file named by NAME_FILE (Docker/Kubernetes secrets).
/* eslint-disable security/detect-non-literal-fs-filename -- paths come from the operator's configuration or the project itself, never from a request */
import { readFileSync } from 'node:fs';

export function readSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file) {
    throw new Error(`set either ${name} or ${name}_FILE, not both`);
  }
  if (file) {
    return readFileSync(file, 'utf8').trim();
  }
  return direct === '' ? undefined : direct;
}
