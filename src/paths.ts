// Where the project's own files (views, migrations) live, from sources (tsx) or from dist/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- walks up from this module's own location
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const VIEWS_DIR = path.join(PROJECT_ROOT, 'views');
export const RESOURCES_DIR = path.join(PROJECT_ROOT, 'resources');
