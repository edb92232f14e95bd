// The lifecycle is a pure function of time: what state a key is in, when the next change happens,
// and how long a retired key must stay published.
import { expect } from 'chai';

import { effectiveState, nextTransition, retentionSeconds } from '../../src/services/key-lifecycle.js';

const T = Date.UTC(2026, 0, 1);
const at = (seconds: number) => new Date(T + seconds * 1000);

describe('signing key lifecycle', () => {
  const current = { activatesAt: at(0), retiredAt: null, removeAfter: null };
  const retiring = { activatesAt: at(0), retiredAt: at(100), removeAfter: at(200) };
  const successor = { activatesAt: at(100), retiredAt: null, removeAfter: null };

  it('moves a key from next to current at its activation, and never back', () => {
    expect(effectiveState(successor, T + 99_999)).to.equal('next');
    expect(effectiveState(successor, T + 100_000)).to.equal('current');
    expect(effectiveState(current, T + 10 ** 12)).to.equal('current');
  });

  it('retires the predecessor at the very moment its successor activates, then removes it', () => {
    expect(effectiveState(retiring, T + 99_999)).to.equal('current');
    expect(effectiveState(retiring, T + 100_000)).to.equal('retired');
    expect(effectiveState(retiring, T + 199_999)).to.equal('retired');
    expect(effectiveState(retiring, T + 200_000)).to.equal('removed');
    // Exactly one of the pair signs at any moment.
    for (const ms of [0, 99_999, 100_000, 150_000, 250_000]) {
      const signing = [retiring, successor].filter((k) => effectiveState(k, T + ms) === 'current');
      expect(signing, `at ${ms} ms`).to.have.length(1);
    }
  });

  it('names the next moment anything changes', () => {
    expect(nextTransition([retiring, successor], T)).to.deep.equal(at(100));
    expect(nextTransition([retiring, successor], T + 100_000)).to.deep.equal(at(200));
    expect(nextTransition([retiring, successor], T + 200_000)).to.equal(undefined);
    expect(nextTransition([current], T)).to.equal(undefined);
  });

  it('keeps a retired key for the longest token lifetime, the clock tolerance and the margin', () => {
    expect(retentionSeconds({ idToken: 3600, session: 0, accessToken: 600, apiAccessTokens: [7200, 60] }, 300)).to.equal(7200 + 5 + 300);
    expect(retentionSeconds({ idToken: 3600, session: 0, accessToken: 600, apiAccessTokens: [] }, 0)).to.equal(3605);
  });

  it('keeps a key that signed ID tokens as long as a sign-in session lives: its ID tokens come back as hints at logout', () => {
    expect(retentionSeconds({ idToken: 3600, session: 14 * 86_400, accessToken: 600, apiAccessTokens: [7200] }, 300)).to.equal(14 * 86_400 + 5 + 300);
  });
});
