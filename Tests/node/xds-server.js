// Starts an xDS-enabled gRPC Echo server (gRFC A36) bound to the address given on the command line
// (IP:port), with the bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG. The server serves only once the
// control plane has sent it a valid Listener for that address; then this script calls it once
// with a plain client and prints {"serving": true, "who": <answer>} as one JSON line. It exits
// when stdin closes. With MESH_XDS_CREDENTIALS=1 it serves with xDS server credentials (the
// control plane's transport socket decides: mutual TLS from the bootstrap's certificate provider,
// or plaintext) and prints {"serving": true} once bound, without calling itself.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'));
const echo = grpc.loadPackageDefinition(definition).meshtest.Echo;
const [address, id] = process.argv.slice(2);

// Registers the xds: resolver and the built-in HTTP filters (the router among them) a server needs too.
grpcXds.register();

const server = new grpcXds.XdsServer();
server.addService(echo.service, {
  Who: (call, callback) => callback(null, { backend: id }),
});

const secure = process.env.MESH_XDS_CREDENTIALS === '1';
const credentials = secure ? new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()) : grpc.ServerCredentials.createInsecure();
server.bindAsync(address, credentials, (err) => {
  if (err) {
    process.stdout.write(JSON.stringify({ serving: false, error: String(err) }) + '\n');
    return;
  }
  if (secure) {
    process.stdout.write(JSON.stringify({ serving: true, who: null, error: null }) + '\n');
    return;
  }
  const client = new echo(address, grpc.credentials.createInsecure());
  client.Who({}, { deadline: Date.now() + 10000, waitForReady: true }, (callErr, reply) => {
    process.stdout.write(JSON.stringify({ serving: true, who: callErr ? null : reply.backend, error: callErr ? String(callErr) : null }) + '\n');
    client.close();
  });
});

process.stdin.resume();
process.stdin.on('end', () => {
  server.forceShutdown();
  process.exit(0);
});
