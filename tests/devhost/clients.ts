import { connect } from 'node:net';

/** Clients the host's hardening is tested with, over real sockets (shared by http-server.test.ts and main.test.ts). */
export interface Answer {
  status?: number;
  body?: string;
  /** The socket error the client saw, if any (EPIPE, ECONNRESET). */
  error?: string;
}

/**
 * A client that writes its whole request body, paced like one on a real network, before it reads,
 * over a half-open-capable socket (as curl's and most HTTP stacks' are): a host that answers and
 * closes while the body is still coming makes its writes fail (EPIPE, a reset), which counts as a
 * failure even if a response arrived first. `chunked` sends the body without a declared length.
 */
export function postPaced(port: number, path: string, size: number, options: { chunked?: boolean; headers?: string } = {}): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    const answer: Answer = {};
    let received = '';
    const framing = options.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`;
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      void (async () => {
        socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${options.headers ?? ''}${framing}\r\n\r\n`);
        for (let sent = 0; sent < size && !socket.destroyed; sent += 64 * 1024) {
          const chunk = Buffer.alloc(Math.min(64 * 1024, size - sent), 97);
          socket.write(options.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
          await new Promise((resolveLater) => setTimeout(resolveLater, 2));
        }
        if (options.chunked) socket.write('0\r\n\r\n');
        socket.end();
      })();
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => (answer.error ??= error.code ?? error.name));
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received)?.[1];
      if (status !== undefined) Object.assign(answer, { status: Number(status), body: received.slice(received.indexOf('\r\n\r\n') + 4) });
      resolveAnswer(answer);
    });
  });
}

/** Sends the start of a request and stalls; resolves with what the host wrote before closing (or '' once `giveUpMs` passed). */
export function stallMidRequest(port: number, partial: string, giveUpMs = 15_000): Promise<string> {
  return new Promise((resolveAnswer) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(partial));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('close', () => resolveAnswer(received));
    setTimeout(() => socket.destroy(), giveUpMs).unref();
  });
}
