// Back-channel logout delivery: returns at once, retries failures with the same token and a
// doubling delay, stops after the configured attempts, and stop() cancels pending retries.
import { expect } from 'chai';

import { BackchannelLogoutSender, type DeliveryOutcome } from '../../src/services/backchannel-logout.js';

const delivery = { clientId: 'c1', uri: 'https://rp.example.com/logout', logoutToken: 'token-1' };

function recorder(statuses: (number | Error)[]) {
  const calls: { url: string; body: string }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, body: String(init.body) });
    const next = statuses[Math.min(calls.length - 1, statuses.length - 1)]!;
    if (next instanceof Error) throw next;
    return new Response(null, { status: next });
  };
  return { calls, fetch };
}

async function settle(sender: BackchannelLogoutSender, outcomes: DeliveryOutcome[], until: (o: DeliveryOutcome[]) => boolean) {
  for (let i = 0; i < 200 && !until(outcomes); i += 1) {
    await sender.idle();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('back-channel logout delivery', () => {
  it('delivers once on 200 and reports it', async () => {
    const { calls, fetch } = recorder([200]);
    const outcomes: DeliveryOutcome[] = [];
    const sender = new BackchannelLogoutSender({ fetch, attempts: 3, retryDelayMs: 1, onOutcome: (_d, o) => outcomes.push(o) });
    sender.send(delivery);
    await settle(sender, outcomes, (o) => o.includes('delivered'));
    expect(outcomes).to.deep.equal(['delivered']);
    expect(calls).to.have.length(1);
    expect(new URLSearchParams(calls[0]!.body).get('logout_token')).to.equal('token-1');
  });

  it('retries errors and non-2xx answers with the same token, then gives up', async () => {
    const { calls, fetch } = recorder([500, new Error('connection refused'), 302]);
    const outcomes: DeliveryOutcome[] = [];
    const sender = new BackchannelLogoutSender({ fetch, attempts: 3, retryDelayMs: 1, onOutcome: (_d, o) => outcomes.push(o) });
    sender.send(delivery);
    await settle(sender, outcomes, (o) => o.includes('failed'));
    expect(outcomes).to.deep.equal(['retrying', 'retrying', 'failed']);
    expect(calls.map((c) => c.body)).to.deep.equal(Array(3).fill(calls[0]!.body));
  });

  it('succeeds on a retry (204 counts as delivered)', async () => {
    const { calls, fetch } = recorder([503, 204]);
    const outcomes: DeliveryOutcome[] = [];
    const sender = new BackchannelLogoutSender({ fetch, attempts: 5, retryDelayMs: 1, onOutcome: (_d, o) => outcomes.push(o) });
    sender.send(delivery);
    await settle(sender, outcomes, (o) => o.includes('delivered'));
    expect(outcomes).to.deep.equal(['retrying', 'delivered']);
    expect(calls).to.have.length(2);
  });

  it('cancels scheduled retries on stop', async () => {
    const { calls, fetch } = recorder([500]);
    const outcomes: DeliveryOutcome[] = [];
    const sender = new BackchannelLogoutSender({ fetch, attempts: 3, retryDelayMs: 60_000, onOutcome: (_d, o) => outcomes.push(o) });
    sender.send(delivery);
    await settle(sender, outcomes, (o) => o.includes('retrying'));
    sender.stop();
    await sender.idle();
    expect(calls).to.have.length(1);
    expect(outcomes).to.deep.equal(['retrying']);
  });
});
