/**
 * The HTTP ceiling of the API benchmark, run as a child process of it so that it sits in its own
 * process as gregord does and its CPU can be read apart: a bare `node:http` server that reads each
 * request's body, parses it as JSON and answers 201 `{}` at once — no key, routing, validation,
 * storage or broadcast. It prints `{"port":N}` once listening on 127.0.0.1 and exits when its
 * stdin closes (the bench ended, however it ended).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveUntilStdinEnds } from './child-server.js';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  serveUntilStdinEnds((server.address() as AddressInfo).port);
});
