// Starts one gRPC Echo server per id given on the command line, each on 127.0.0.1 with a
// port the OS picks, prints {"id": port, ...} as one JSON line, and exits when stdin closes.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'));
const echo = grpc.loadPackageDefinition(definition).meshtest.Echo;

async function start(id) {
  const server = new grpc.Server();
  server.addService(echo.service, {
    Who: (call, callback) => callback(null, { backend: id }),
  });
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
