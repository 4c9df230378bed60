import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that can pause traffic: while paused, connections stay open and
 * bytes in both directions are held back (a network partition, not an outage); on resume they
 * flow again, in order.
 */
export class TcpProxy {
  private server: Server | undefined;
  private paused = false;
  private readonly pipes = new Set<{ flush: () => void; close: () => void }>();

  constructor(private readonly targetPort: number) {}

  /** Starts listening; resolves to the proxy's port. */
  async start(): Promise<number> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const p of this.pipes) p.flush();
  }

  async stop(): Promise<void> {
    for (const p of this.pipes) p.close();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    const held: Array<[Socket, Buffer]> = [];
    const forward = (to: Socket) => (data: Buffer) => {
      if (this.paused) held.push([to, data]);
      else to.write(data);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const entry = {
      flush: () => {
        for (const [to, data] of held.splice(0)) to.write(data);
      },
      close: () => {
        client.destroy();
        upstream.destroy();
      },
    };
    this.pipes.add(entry);
    const end = (): void => {
      entry.close();
      this.pipes.delete(entry);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}
