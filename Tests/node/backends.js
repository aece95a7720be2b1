// Starts one gRPC Echo server per id given on the command line, each on 127.0.0.1 with a
// port the OS picks, prints {"id": port, ...} as one JSON line, and exits when stdin closes.
// An id may name a mode after a colon: "bad:unavailable" answers every call with UNAVAILABLE
// (before any response header, so the call is not committed and a client may retry it).
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'));
const echo = grpc.loadPackageDefinition(definition).meshtest.Echo;

function who(id, mode) {
  switch (mode) {
    case undefined:
      return (call, callback) => callback(null, {
        backend: id,
        previousAttempts: Number(call.metadata.get('grpc-previous-rpc-attempts')[0] ?? 0),
      });
    case 'unavailable':
      return (call, callback) => callback({ code: grpc.status.UNAVAILABLE, details: `${id} answers UNAVAILABLE` });
    default:
      throw new Error(`unknown backend mode ${mode} of ${id}`);
  }
}

async function start(spec) {
  const [id, mode] = spec.split(':');
  const server = new grpc.Server();
  server.addService(echo.service, { Who: who(id, mode) });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { id, port, server };
}

(async () => {
  const servers = await Promise.all(process.argv.slice(2).map(start));
  const ports = {};
  for (const s of servers) ports[s.id] = s.port;
  process.stdout.write(JSON.stringify(ports) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    for (const s of servers) s.server.forceShutdown();
    process.exit(0);
  });
})().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
