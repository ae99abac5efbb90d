import type { Client, ClientConfig } from "pg";

/** A notification payload, or `undefined` after a reconnect (something may have been missed). */
export type Notice = (payload: string | undefined) => void;

/**
 * One LISTEN connection per store (on all of its channels), shared by the worker and every
 * watcher in the process.
 * Notifications are hints, not the truth: they are not durable (one sent while the connection is
 * down is lost), so subscribers always re-read the tables when woken, are told to re-read after a
 * reconnect, and poll as well.
 */
export class Listener {
  private readonly subscribers = new Set<{ readonly channel: string; readonly notice: Notice }>();
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly channels: readonly string[],
  ) {}

  /** Calls `notice` for every notification on `channel` until the returned function is called. */
  subscribe(channel: string, notice: Notice): () => void {
    const subscriber = { channel, notice };
    this.subscribers.add(subscriber);
    if (this.client === undefined && this.connecting === undefined && this.retryTimer === undefined) this.connect();
    return () => {
      this.subscribers.delete(subscriber);
      // disconnect() catches every failure of its own; nothing waits for it.
      if (this.subscribers.size === 0) void this.disconnect();
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
    return this.disconnect();
  }

  private connect(): void {
    if (this.closed || this.subscribers.size === 0) return;
    this.connecting = import("pg").then((pg) => this.listen(new pg.Client(this.config)));
  }

  private listen(client: Client): Promise<void> {
    // An error on an idle LISTEN connection (a server restart) must not crash the process.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (message) => this.emit(message.channel, message.payload));
    return client
      .connect()
      .then(() => client.query(this.channels.map((channel) => `LISTEN "${channel}";`).join(" ")))
      .then(() => {
        this.connecting = undefined;
        if (this.closed || this.subscribers.size === 0) return void client.end().catch(() => undefined);
        this.client = client;
        // Anything sent while the connection was down is gone: every subscriber re-reads.
        if (this.failures > 0) this.emit(undefined, undefined);
        this.failures = 0;
      })
      .catch(() => {
        this.connecting = undefined;
        this.lost(client);
      });
  }

  private lost(client: Client): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners("notification");
    client.end().catch(() => undefined);
    if (this.closed || this.subscribers.size === 0 || this.retryTimer !== undefined) return;
    this.failures++;
    // Back off up to 5 s; subscribers poll meanwhile, so nothing waits on this.
    const delay = Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.client === undefined && this.connecting === undefined) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private async disconnect(): Promise<void> {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      client.removeAllListeners("end");
      client.removeAllListeners("error");
      client.on("error", () => undefined);
      await client.end().catch(() => undefined);
    }
  }

  /** `channel` undefined: to every subscriber (after a reconnect). */
  private emit(channel: string | undefined, payload: string | undefined): void {
    for (const s of [...this.subscribers]) if (channel === undefined || s.channel === channel) s.notice(payload);
  }
}
