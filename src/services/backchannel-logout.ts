// Delivers OpenID Connect back-channel logout tokens to clients' backchannel_logout_uri without
// making the user wait: a delivery runs in the background with the outbound timeout and retries
// with a doubling delay. Deliveries live in this process only: a restart drops pending retries.
export interface LogoutDelivery {
  clientId: string;
  uri: string;
  logoutToken: string;
}

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

export interface BackchannelLogoutOptions {
  /** Given the delivery too: how far a client's URL may reach depends on who registered it. */
  fetch: (url: string, init: RequestInit, delivery: LogoutDelivery) => Promise<Response>;
  attempts: number;
  retryDelayMs: number;
  onOutcome?: (delivery: LogoutDelivery, outcome: DeliveryOutcome, detail: { attempt: number; error?: string }) => void;
}

export class BackchannelLogoutSender {
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: BackchannelLogoutOptions) {}

  /** Starts the delivery and returns at once. */
  send(delivery: LogoutDelivery): void {
    this.attempt(delivery, 1);
  }

  /** Resolves when every delivery in flight has settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Cancels scheduled retries. Deliveries in flight end on their own (answer or timeout): shutdown does not wait for them. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private attempt(delivery: LogoutDelivery, attempt: number): void {
    if (this.stopped) return;
    const run = this.post(delivery).then(
      () => this.options.onOutcome?.(delivery, 'delivered', { attempt }),
      (error: unknown) => this.retryOrGiveUp(delivery, attempt, error),
    );
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  private retryOrGiveUp(delivery: LogoutDelivery, attempt: number, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (attempt >= this.options.attempts || this.stopped) {
      this.options.onOutcome?.(delivery, 'failed', { attempt, error: message });
      return;
    }
    this.options.onOutcome?.(delivery, 'retrying', { attempt, error: message });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(delivery, attempt + 1);
    }, this.options.retryDelayMs * 2 ** (attempt - 1));
    timer.unref();
    this.timers.add(timer);
  }

  private async post(delivery: LogoutDelivery): Promise<void> {
    const response = await this.options.fetch(delivery.uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: delivery.logoutToken }).toString(),
    }, delivery);
    await response.body?.cancel();
    // OpenID Connect Back-Channel Logout 1.0 §2.8: 200 (or 204) is success; anything else is not.
    if (response.status !== 200 && response.status !== 204) throw new Error(`${delivery.uri} answered ${response.status}`);
  }
}
