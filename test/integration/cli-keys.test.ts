// `gatehouse keys list | rotate | rekey` against a real database: one JSON object per --json run,
// conflicts and bad configuration with the exit codes scripts rely on.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { EXIT } from '../../src/cli/run.js';
import { kekFromString } from '../../src/config/secrets.js';
import { cli, spawnCli } from '../helpers/cli.js';
import { TEST_SECRETS } from '../helpers/test-config.js';
import { createTestDatabase, defaultKind, type TestDatabase } from '../helpers/test-database.js';

interface ListedKey {
  kid: string;
  alg: string;
  state: string;
  activates_at: string;
  retired_at: string | null;
  remove_after: string | null;
  kek_id: string;
}

describe(`gatehouse keys (${defaultKind()})`, function () {
  this.timeout(60_000);
  let testDb: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: NodeJS.ProcessEnv;
  const oldKek = TEST_SECRETS.GATEHOUSE_KEK;
  const newKek = randomBytes(32).toString('base64');
  const run = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => cli([...args, '--json'], { ...env, ...extraEnv });
  const json = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const outcome = await run(args, extraEnv);
    expect(outcome.code, outcome.stderr).to.equal(0);
    expect(outcome.stdout.trim().split('\n')).to.have.length(1);
    return JSON.parse(outcome.stdout) as Record<string, unknown>;
  };
  const keys = async () => (await json(['keys', 'list'])).keys as ListedKey[];

  before(async () => {
    if (defaultKind() === 'postgres') {
      testDb = await createTestDatabase({ migrate: false });
      env = { ...TEST_SECRETS, DATABASE_URL: testDb.url, NODE_ENV: 'test' };
    } else {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'gh-cli-keys-'));
      env = { ...TEST_SECRETS, GATEHOUSE_DATA_DIR: dataDir, NODE_ENV: 'test' };
    }
    await json(['migrate']);
  });

  after(async () => {
    await testDb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists no keys before the first start, and a key once something needs one', async () => {
    expect(await keys()).to.deep.equal([]);
    expect((await cli(['keys', 'list'], env)).stdout).to.include('(none)');
    await json(['apis', 'create', '--identifier', 'https://keys.example.com', '--scopes', 'k', '--alg', 'ES256']);
    expect((await keys()).map((k) => [k.alg, k.state])).to.deep.equal([['ES256', 'current']]);
  });

  it('rotates every algorithm in use: a successor waits for the activation delay, an algorithm without a key starts at once', async () => {
    const before = Date.now();
    const { rotated } = (await json(['keys', 'rotate'])) as { rotated: ListedKey[] };
    expect(rotated.map((k) => [k.alg, k.state]).sort()).to.deep.equal([['ES256', 'next'], ['RS256', 'current']]);
    const successor = rotated.find((k) => k.alg === 'ES256')!;
    expect(Date.parse(successor.activates_at)).to.be.at.least(before + 900_000);
    const listed = await keys();
    const predecessor = listed.find((k) => k.alg === 'ES256' && k.state === 'current')!;
    expect(predecessor.retired_at).to.equal(successor.activates_at);
    expect(Date.parse(predecessor.remove_after!)).to.be.greaterThan(Date.parse(predecessor.retired_at!));
    // Human output names the states and when the successor signs.
    const human = await cli(['keys', 'list'], env);
    expect(human.stdout).to.match(/KID\s+ALG\s+STATE/).and.include('next').and.include(successor.kid);
  });

  it('refuses a second rotation while a successor waits (exit 4), and unknown algorithms (exit 2)', async () => {
    const again = await run(['keys', 'rotate', '--alg', 'ES256']);
    expect(again.code).to.equal(EXIT.conflict);
    expect(JSON.parse(again.stderr).error).to.include('already published and waiting');
    expect((await run(['keys', 'rotate', '--alg', 'HS256'])).code).to.equal(EXIT.usage);
  });

  it('rotates at once with --now: the old key retires and stays published', async () => {
    const [old] = (await keys()).filter((k) => k.alg === 'RS256');
    const { rotated } = (await json(['keys', 'rotate', '--alg', 'RS256', '--now'])) as { rotated: ListedKey[] };
    expect(rotated).to.have.length(1);
    expect(rotated[0]!.state).to.equal('current');
    const retired = (await keys()).find((k) => k.kid === old!.kid)!;
    expect(retired.state).to.equal('retired');
    expect(Date.parse(retired.remove_after!)).to.be.greaterThan(Date.now());
  });

  it('refuses to rotate or rekey under a KEK that cannot read the keys (exit 78), writing nothing', async () => {
    const count = (await keys()).length;
    const wrong = { GATEHOUSE_KEK: newKek };
    const rotate = await run(['keys', 'rotate', '--alg', 'EdDSA'], wrong);
    expect(rotate.code).to.equal(EXIT.config);
    expect(JSON.parse(rotate.stderr).error).to.include('cannot be decrypted').and.include('GATEHOUSE_KEK');
    expect((await run(['keys', 'rekey'], wrong)).code).to.equal(EXIT.config);
    expect((await keys()).length).to.equal(count);
  });

  it('rekeys under the first KEK after a KEK rotation, and says when the old one can go', async () => {
    const rotating = { GATEHOUSE_KEK: `${newKek},${oldKek}` };
    const result = await json(['keys', 'rekey'], rotating);
    expect(result).to.deep.include({ kek_id: kekFromString(newKek).id, done: true, kek_ids_in_use: [kekFromString(newKek).id] });
    expect((result.rewritten as Record<string, number>).signing_keys).to.equal((await keys()).length);
    const onlyNew = { GATEHOUSE_KEK: newKek };
    expect((await json(['keys', 'list'], onlyNew)).keys as ListedKey[]).to.satisfy((list: ListedKey[]) => list.every((k) => k.kek_id === kekFromString(newKek).id));
    const human = await cli(['keys', 'rekey'], { ...env, ...rotating });
    expect(human.stdout).to.include('can be removed from GATEHOUSE_KEK');
    // The new KEK alone now reads every key: a rotation works with it.
    expect((await json(['keys', 'rotate', '--alg', 'EdDSA'], onlyNew)).rotated).to.have.length(1);
  });

  it('prints help for each keys command, and runs as the real executable', async () => {
    for (const command of ['list', 'rotate', 'rekey']) {
      const outcome = await cli(['keys', command, '--help'], env);
      expect(outcome.code).to.equal(0);
      expect(outcome.stdout).to.include('Usage: gatehouse keys');
    }
    const real = await spawnCli(['keys', 'list', '--json'], { ...env, GATEHOUSE_KEK: newKek });
    expect(real.code, real.stderr).to.equal(0);
    expect(JSON.parse(real.stdout).keys).to.be.an('array').that.is.not.empty;
  });
});
