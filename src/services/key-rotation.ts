// Rotating signing keys without downtime: a successor is published at once and signs only after
// the activation delay (verifiers' cached JWKS have expired by then); its predecessor retires at
// that moment and stays published until every token it signed has expired. Every change to the key
// set happens under one advisory lock, so instances and the CLI never rotate twice.
import { accessTokenAlgs, type KeyPolicy } from '../config/config.js';
import { conflict, invalidInput } from '../errors/app-error.js';
import type { KeyTransaction, SigningKeyRecord, SigningKeyRepository } from '../repositories/signing-keys.js';
import type { AuditLog } from './audit-log.js';
import type { ChangeFeed } from './change-feed.js';
import { addSeconds, effectiveState } from './key-lifecycle.js';
import { SIGNING_KEY_TOPIC } from './key-ring.js';
import type { KeyInfo, SigningKeyService } from './signing-keys.js';

export interface KeyRotationDependencies {
  repository: SigningKeyRepository;
  keys: SigningKeyService;
  feed: ChangeFeed;
  policy: KeyPolicy;
  /** Seconds a retired key of `alg` stays published (see retentionSeconds in key-lifecycle.ts). */
  retention(alg: string): Promise<number>;
  /** The algorithms something signs with: ID tokens, the default access-token alg, every API's alg. */
  algsInUse(): Promise<string[]>;
  /** Records key.rotated for every successor published. */
  audit?: AuditLog;
}

type PreparedKey = Awaited<ReturnType<SigningKeyService['create']>>;

const stateOf = (records: SigningKeyRecord[], alg: string, state: string, now: number) =>
  records.find((r) => r.alg === alg && effectiveState(r, now) === state);

export class KeyRotation {
  constructor(private readonly deps: KeyRotationDependencies) {}

  /**
   * Publishes a successor for each algorithm (default: every one in use). It signs after the
   * activation delay, or at once with `immediately` (a compromised key: then a successor already
   * published is the one activated). A successor already waiting is a conflict otherwise.
   */
  async rotate({ algs, immediately = false }: { algs?: string[]; immediately?: boolean } = {}): Promise<KeyInfo[]> {
    const { repository, keys, policy } = this.deps;
    const targets = [...new Set(algs?.length ? algs : await this.deps.algsInUse())];
    const unsupported = targets.filter((alg) => !(accessTokenAlgs as readonly string[]).includes(alg));
    if (unsupported.length) {
      throw invalidInput(`unsupported signing algorithm ${unsupported.join(', ')} (supported: ${accessTokenAlgs.join(', ')})`);
    }
    // Never write a key the configured KEKs could not read back, nor under a KEK the others lack.
    await keys.verifyDecryptable();
    const retention = await this.retentionByAlg(targets);
    const prepared = await this.prepare(targets);
    const kids = await repository.withLock(async (trx) => {
      const now = Date.now();
      const records = await repository.list(trx);
      await keys.syncStates(trx, records, now);
      const waiting = targets.map((alg) => stateOf(records, alg, 'next', now)).filter((r) => r !== undefined);
      if (waiting.length && !immediately) {
        const which = waiting.map((r) => `${r.alg} key ${r.kid} (signs from ${r.activatesAt.toISOString()})`).join(', ');
        throw conflict(`a successor is already published and waiting: ${which}; let it activate, or rotate with --now to make it sign at once`);
      }
      const activatesAt = new Date(now + (immediately ? 0 : policy.activationDelay * 1000));
      const changed: string[] = [];
      for (const alg of targets) {
        changed.push(await this.scheduleSuccessor(trx, records, alg, prepared.get(alg)!, activatesAt, retention.get(alg)!, now));
      }
      return changed;
    });
    await this.publish(kids);
    return this.audited((await keys.list()).filter((k) => kids.includes(k.kid)), immediately ? 'manual_immediate' : 'manual');
  }

  /**
   * Automatic rotation: a successor for every algorithm in use whose current key reaches the rotation
   * interval within the activation delay, timed to sign exactly when it does.
   */
  async rotateDue(): Promise<KeyInfo[]> {
    const { repository, keys, policy } = this.deps;
    if (!policy.rotationInterval) return [];
    const algs = [...new Set(await this.deps.algsInUse())];
    const due = (records: SigningKeyRecord[], now: number) =>
      algs.filter((alg) => {
        const current = stateOf(records, alg, 'current', now);
        if (!current || current.retiredAt || stateOf(records, alg, 'next', now)) return false;
        return now >= current.activatesAt.getTime() + (policy.rotationInterval - policy.activationDelay) * 1000;
      });
    const records = await repository.list();
    const candidates = due(records, Date.now());
    if (!candidates.length) return [];
    await keys.verifyDecryptable(records);
    const retention = await this.retentionByAlg(candidates);
    const prepared = await this.prepare(candidates);
    const kids = await repository.withLock(async (trx) => {
      const now = Date.now();
      const locked = await repository.list(trx);
      await keys.syncStates(trx, locked, now);
      const changed: string[] = [];
      for (const alg of due(locked, now).filter((a) => prepared.has(a))) {
        const current = stateOf(locked, alg, 'current', now)!;
        const activatesAt = new Date(Math.max(now + policy.activationDelay * 1000, current.activatesAt.getTime() + policy.rotationInterval * 1000));
        changed.push(await this.scheduleSuccessor(trx, locked, alg, prepared.get(alg)!, activatesAt, retention.get(alg)!, now));
      }
      return changed;
    });
    await this.publish(kids);
    return this.audited((await keys.list()).filter((k) => kids.includes(k.kid)), 'schedule');
  }

  private audited(rotated: KeyInfo[], trigger: string): KeyInfo[] {
    for (const key of rotated) {
      this.deps.audit?.record({ type: 'key.rotated', outcome: 'success', details: { kid: key.kid, alg: key.alg, activates_at: key.activatesAt, trigger } });
    }
    return rotated;
  }

  /**
   * Persists what time has changed (states, removals) and keeps retired keys published for longer
   * if tokens may now live longer (an API registered since with a longer lifetime). Returns the
   * number of changes; other instances are told when there are any.
   */
  async maintain(): Promise<number> {
    const { repository, keys } = this.deps;
    const retention = await this.retentionByAlg((await repository.list()).map((k) => k.alg));
    const changed = await repository.withLock(async (trx) => {
      const now = Date.now();
      const records = await repository.list(trx);
      let count = 0;
      for (const record of records) {
        if (!record.retiredAt || !record.removeAfter || effectiveState(record, now) === 'removed') continue;
        const required = addSeconds(record.retiredAt, retention.get(record.alg)!);
        if (record.removeAfter < required) {
          await repository.postponeRemoval(record.kid, required, trx);
          record.removeAfter = required;
          count += 1;
        }
      }
      return count + (await keys.syncStates(trx, records, now));
    });
    if (changed) await this.publish(['maintenance']);
    return changed;
  }

  private async retentionByAlg(algs: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(algs)];
    return new Map(await Promise.all(unique.map(async (alg) => [alg, await this.deps.retention(alg)] as const)));
  }

  private async prepare(algs: string[]): Promise<Map<string, PreparedKey>> {
    return new Map(await Promise.all(algs.map(async (alg) => [alg, await this.deps.keys.create(alg)] as const)));
  }

  /** Retires the alg's current key at `activatesAt` and makes its successor sign from then on. */
  private async scheduleSuccessor(
    trx: KeyTransaction,
    records: SigningKeyRecord[],
    alg: string,
    key: PreparedKey,
    activatesAt: Date,
    retention: number,
    now: number,
  ): Promise<string> {
    const { repository } = this.deps;
    const current = stateOf(records, alg, 'current', now);
    // Without a current key nothing signs and no verifier holds anything: the new key signs at once.
    if (!current) activatesAt = new Date(now);
    const immediate = activatesAt.getTime() <= now;
    if (current) {
      await repository.scheduleRetirement(current.kid, activatesAt, addSeconds(activatesAt, retention), trx);
      if (immediate) await repository.setState(current.kid, 'retired', trx);
    }
    const waiting = stateOf(records, alg, 'next', now);
    if (waiting) {
      // Only reached when rotating immediately: the published successor is the quickest safe choice.
      await repository.setActivation(waiting.kid, activatesAt, trx);
      await repository.setState(waiting.kid, 'current', trx);
      return waiting.kid;
    }
    const inserted = await repository.insert(
      { ...key, state: immediate ? 'current' : 'next', activatesAt, retiredAt: null, removeAfter: null },
      trx,
    );
    if (!inserted) throw conflict(`another ${alg} key was created at the same moment; try again`);
    return key.kid;
  }

  private async publish(kids: string[]): Promise<void> {
    if (!kids.length) return;
    await this.deps.feed.publish({ topic: SIGNING_KEY_TOPIC, key: kids.join(','), expiresAt: null });
  }
}
