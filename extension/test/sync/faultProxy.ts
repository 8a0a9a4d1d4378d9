// A TCP proxy in front of a server that injects network faults: an outage (down/up on the same port), and stalls or cuts of chosen requests.
import net from 'node:net';

/** What to do to a request whose head (request line and headers) `matches`. */
export interface Fault {
  matches(head: string): boolean;
  /** Pass this many bytes of the answer, then stop forwarding (the connection stays open, silent) or close it. */
  afterBytes: number;
  action: 'stall' | 'cut';
  /** How many matching requests it applies to (then it is spent); default: all. */
  times?: number;
}

export interface FaultProxy {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  /** Adds a fault; returns how many requests it hit so far. */
  inject(fault: Fault): () => number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: URL): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  const faults: { fault: Fault; hits: number }[] = [];
  let server: net.Server | undefined;
  let port = 0;

  const onConnection = (client: net.Socket) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    // The fault of the request in flight on this connection (keep-alive: requests follow each other).
    let active: { fault: Fault; left: number } | undefined;
    let silenced = false;
    client.on('data', (chunk: Buffer) => {
      const head = chunk.toString('latin1', 0, Math.min(chunk.length, 4096));
      if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(head)) {
        const hit = faults.find((f) => (f.fault.times === undefined || f.hits < f.fault.times) && f.fault.matches(head));
        if (hit) {
          hit.hits++;
          active = { fault: hit.fault, left: hit.fault.afterBytes };
        } else active = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (silenced) return;
      if (!active) return void client.write(chunk);
      const pass = chunk.subarray(0, Math.max(0, active.left));
      active.left -= pass.length;
      if (pass.length) client.write(pass);
      if (active.left > 0) return;
      if (active.fault.action === 'cut') {
        client.destroy();
        upstream.destroy();
      } else silenced = true; // held open and silent: only the client's own timeout ends it
    });
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  };

  const up = async () => {
    server = net.createServer(onConnection);
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  };
  const down = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();
  return {
    url: `http://127.0.0.1:${port}`,
    up,
    down,
    inject(fault) {
      const entry = { fault, hits: 0 };
      faults.push(entry);
      return () => entry.hits;
    },
    close: down,
  };
}
