import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on loopback that records what it accepts; can be stopped and restarted on its port. */
export class SmtpReceiver {
  readonly received: { to: string[]; data: string }[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  readonly connectionErrors: string[] = [];

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        let data = '';
        stream.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        stream.on('end', () => {
          this.received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
    const server = this.server;
    // A sender killed mid-session (the crash test's SIGKILL) resets its connection: that is the sender's failure,
    // seen as an 'error' event, and must not bring the receiver (or the test process) down.
    server.on('error', (err: Error) => this.connectionErrors.push(err.message));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A real HTTP server on loopback standing in for the SMS provider's webhook. */
export class WebhookReceiver {
  readonly received: { body: { to: string; text: string }; authorization?: string; key?: string }[] = [];
  private server: http.Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        this.received.push({ body: JSON.parse(raw), authorization: req.headers.authorization, key: req.headers['idempotency-key'] as string | undefined });
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `sms-${this.received.length}` }));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/sms`;
  }
}
