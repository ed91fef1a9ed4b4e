/** A message ready to send on one channel. */
export interface OutgoingMessage {
  /** Idempotency key: passed to the provider so that a retry after a lost answer can be recognised. */
  key: string;
  recipient: string;
  subject: string;
  body: string;
}

/** Delivers messages on one channel; throws to ask for a retry, or a PermanentDeliveryError to give up. */
export interface Transport {
  readonly channel: 'email' | 'sms';
  send(message: OutgoingMessage): Promise<{ providerRef?: string }>;
  close?(): Promise<void>;
}

/** A failure that retrying cannot fix (bad address, refused credential …). */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}
