// A TCP port free on 127.0.0.1 right now, for a server a test starts (Vendure, `dovetail run`):
// suites run side by side, so none may count on a fixed port.
import net from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
