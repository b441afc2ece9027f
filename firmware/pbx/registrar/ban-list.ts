/**
 * fail2ban-like protection for the registrar: after maxFailures failed
 * authentications from one source address within windowMs, that address is
 * ignored (its requests dropped without answer) for banMs. Pure: the caller
 * passes the monotonic time.
 */
export interface BanPolicy {
  maxFailures: number;
  windowMs: number;
  banMs: number;
}

export interface BanEntry {
  address: string;
  until: number;
  failures: number;
  since: number;
}

const MAX_TRACKED = 10_000;

export class BanList {
  private readonly failures = new Map<string, number[]>();
  private readonly bans = new Map<string, BanEntry>();

  constructor(private policy: BanPolicy) {}

  setPolicy(policy: BanPolicy): void {
    this.policy = policy;
  }

  isBanned(address: string, now: number): boolean {
    const b = this.bans.get(address);
    if (!b) return false;
    if (b.until > now) return true;
    this.bans.delete(address);
    return false;
  }

  /** Records a failed authentication; returns the ban if this one triggered it. */
  recordFailure(address: string, now: number): BanEntry | undefined {
    const since = now - this.policy.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    list.push(now);
    if (list.length >= this.policy.maxFailures) {
      this.failures.delete(address);
      const entry: BanEntry = { address, until: now + this.policy.banMs, failures: list.length, since: now };
      this.bans.set(address, entry);
      return entry;
    }
    // Bound memory against a spray of spoofed sources: forget the oldest tracked address.
    if (!this.failures.has(address) && this.failures.size >= MAX_TRACKED) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(address, list);
    return undefined;
  }

  /** A successful authentication clears the address's failure count. */
  recordSuccess(address: string): void {
    this.failures.delete(address);
  }

  list(now: number): BanEntry[] {
    return [...this.bans.values()].filter((b) => b.until > now).sort((a, b) => a.since - b.since);
  }

  lift(address: string): boolean {
    this.failures.delete(address);
    return this.bans.delete(address);
  }
}
