/**
 * Raw HTTP/1.1 POSTs to /v1/score over a socket, for what fetch cannot send: a body in explicit
 * chunks, or a body that stalls after its first bytes.
 */
import { connect } from 'node:net';

/**
 * `chunked`: `{"candidates":["1"],"pad":"x…"}` of about `bytes` in 64 KiB chunks; `stall`: that
 * many bytes of a declared 10× larger body, then nothing. Resolves to the status line
 * (`HTTP/1.1 413 Payload Too Large`), or `no reply in <s> s`.
 */
export function rawPost(origin: string, bytes: number, mode: 'chunked' | 'stall', timeoutMs = 30_000): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const body = Buffer.from(`{"candidates":["1"],"pad":"${'x'.repeat(bytes)}"}`);
    const socket = connect(Number(port), hostname, () => {
      if (mode === 'chunked') {
        socket.write('POST /v1/score HTTP/1.1\r\nHost: worker\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
        for (let i = 0; i < body.length; i += 65536) {
          const chunk = body.subarray(i, i + 65536);
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          socket.write('\r\n');
        }
        socket.write('0\r\n\r\n');
      } else {
        socket.write(`POST /v1/score HTTP/1.1\r\nHost: worker\r\nContent-Type: application/json\r\nContent-Length: ${body.length * 10}\r\nConnection: close\r\n\r\n`);
        socket.write(body);
      }
    });
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) {
        resolve(reply.split('\r\n')[0]);
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(`no reply in ${timeoutMs / 1000} s`);
    });
  });
}
