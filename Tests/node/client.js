// A proxyless gRPC client built on @grpc/grpc-js-xds. It dials the target given on the
// command line (xds:///host:port) with the bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG, and takes
// one JSON command per stdin line, answering each with one JSON line on stdout:
//   {"op":"call","n":N,"metadata":{...}}  N sequential calls, each sending the metadata given
//       -> {ok, failed, by:{backend:count}, retried, errors}; retried counts the calls that
//       succeeded on a retry (the backend saw grpc-previous-rpc-attempts above 0)
//   {"op":"loop-start"} / {"op":"loop-stop"}  calls back to back until stopped -> the same tally
//   {"op":"csds"}  the client's own CSDS view -> {configs:[{type_url,name,client_status,version_info}]}
'use strict';
const path = require('path');
const readline = require('readline');
const grpc = require('@grpc/grpc-js');
const grpcXds = require('@grpc/grpc-js-xds');
const protoLoader = require('@grpc/proto-loader');

grpcXds.register();

const target = process.argv[2];
const echoDefinition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'));
const Echo = grpc.loadPackageDefinition(echoDefinition).meshtest.Echo;
// MESH_XDS_CREDENTIALS=1: xDS channel credentials (the cluster's transport socket decides: mutual
// TLS from the bootstrap's certificate provider, or plaintext).
const credentials = process.env.MESH_XDS_CREDENTIALS === '1'
  ? new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure())
  : grpc.credentials.createInsecure();
const client = new Echo(target, credentials);

const xdsDeps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const csdsDefinition = protoLoader.loadSync('envoy/service/status/v3/csds.proto', {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  includeDirs: ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xdsDeps, d)),
});
const Csds = grpc.loadPackageDefinition(csdsDefinition).envoy.service.status.v3.ClientStatusDiscoveryService;

let adminPort = 0;
const admin = new grpc.Server();
grpc.addAdminServicesToServer(admin);

function newTally() {
  return { ok: 0, failed: 0, by: {}, retried: 0, errors: [] };
}

function callOnce(tally, metadata) {
  return new Promise((resolve) => {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata || {})) md.set(k, v);
    client.Who({ caller: 'test' }, md, { deadline: Date.now() + 5000 }, (err, reply) => {
      if (err) {
        tally.failed++;
        if (tally.errors.length < 5) tally.errors.push(`${err.code}: ${err.details}`);
      } else {
        tally.ok++;
        tally.by[reply.backend] = (tally.by[reply.backend] || 0) + 1;
        if (reply.previousAttempts > 0) tally.retried++;
      }
      resolve();
    });
  });
}

let loop = null;

async function handle(command) {
  switch (command.op) {
    case 'call': {
      const tally = newTally();
      for (let i = 0; i < command.n; i++) await callOnce(tally, command.metadata);
      return tally;
    }
    case 'loop-start': {
      const state = { tally: newTally(), running: true };
      state.done = (async () => {
        while (state.running) await callOnce(state.tally, command.metadata);
      })();
      loop = state;
      return { started: true };
    }
    case 'loop-stop': {
      if (!loop) return { error: 'no loop running' };
      loop.running = false;
      await loop.done;
      const tally = loop.tally;
      loop = null;
      return tally;
    }
    case 'csds': {
      const csds = new Csds(`127.0.0.1:${adminPort}`, grpc.credentials.createInsecure());
      const response = await new Promise((resolve, reject) =>
        csds.FetchClientStatus({}, (err, r) => (err ? reject(err) : resolve(r))));
      csds.close();
      const configs = [];
      for (const config of response.config) {
        for (const c of config.generic_xds_configs) {
          configs.push({ type_url: c.type_url, name: c.name, client_status: c.client_status, version_info: c.version_info });
        }
      }
      return { configs };
    }
    default:
      return { error: `unknown op ${command.op}` };
  }
}

admin.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`admin server: ${err}\n`);
    process.exit(1);
  }
  adminPort = port;
  process.stdout.write(JSON.stringify({ ready: true, adminPort }) + '\n');
  const lines = readline.createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      let reply;
      try {
        reply = await handle(JSON.parse(line));
      } catch (e) {
        reply = { error: String(e && e.message || e) };
      }
      process.stdout.write(JSON.stringify(reply) + '\n');
    });
  });
  lines.on('close', () => {
    queue.then(() => {
      client.close();
      admin.forceShutdown();
      process.exit(0);
    });
  });
});
