// The HTTP ceiling of the benchmark: fastify 5 with a POST route that answers with the
// octet-stream body it was sent, and nothing else (no auth, no COMMAREA, no worker, no
// journal). Run as a process of its own; prints the URL it listens on.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/cics/:tranid', async (request, reply) =>
  reply.type('application/octet-stream').send(request.body as Buffer),
);
app.get('/health', async () => ({ status: 'ok' }));

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`echo server listening on ${address}`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
