// The bench runs the server with the container image's memory settings, read from the Dockerfile.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { imageRuntimeEnv } from '../../scripts/bench/image-runtime.js';

describe('image runtime settings', () => {
  it("reads the Dockerfile's malloc arena and V8 heap settings", () => {
    const env = imageRuntimeEnv();
    expect(env.MALLOC_ARENA_MAX).to.match(/^\d+$/);
    expect(env.NODE_OPTIONS).to.match(/--max-old-space-size=\d+/);
  });

  it('follows continuation lines and quotes, and ignores other instructions', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gh-dockerfile-')), 'Dockerfile');
    writeFileSync(file, 'FROM x\nRUN echo NODE_OPTIONS=--wrong\nENV A=1 \\\n    NODE_OPTIONS="--max-old-space-size=99 --foo" \\\n    MALLOC_ARENA_MAX=3\n');
    expect(imageRuntimeEnv(file)).to.deep.equal({ NODE_OPTIONS: '--max-old-space-size=99 --foo', MALLOC_ARENA_MAX: '3' });
  });
});
