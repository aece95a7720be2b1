// Decodes messages with Envoy's canonical protos (as shipped in @grpc/grpc-js-xds) to prove
// that the project's own proto subset is wire-exact. Reads one JSON line per message,
// {"type":"envoy.config.cluster.v3.Cluster","b64":"..."}, and answers with one JSON line:
// {"b64": <re-encoded bytes>, "fields": [every set field as "path=value", Any unpacked]}.
'use strict';
const path = require('path');
const readline = require('readline');
const fs = require('fs');
const protobuf = require('protobufjs');

const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d));

const root = new protobuf.Root();
root.resolvePath = (origin, target) => {
  if (target.startsWith('google/protobuf/')) {
    // protobufjs bundles the well-known types; descriptor.proto (imported by Envoy's annotations) ships beside them.
    const shipped = path.join(path.dirname(require.resolve('protobufjs/package.json')), target);
    return fs.existsSync(shipped) ? shipped : target;
  }
  for (const dir of includeDirs) {
    const candidate = path.join(dir, target);
    if (fs.existsSync(candidate)) return candidate;
  }
  return target;
};
root.loadSync([
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
], { keepCase: true });
root.resolveAll();

function scalar(value) {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value !== null && typeof value === 'object' && typeof value.toString === 'function' && 'low' in value) return value.toString();
  return String(value);
}

function walk(type, message, prefix, out) {
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(message, field.name)) continue;
    const value = message[field.name];
    // protobufjs' bundled well-known types (Struct, Value) use camelCase names; proto names are snake_case.
    const name = prefix + field.name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    if (field.map) {
      for (const key of Object.keys(value)) visit(field, value[key], `${name}[${key}]`, out);
    } else if (field.repeated) {
      value.forEach((item, i) => visit(field, item, `${name}[${i}]`, out));
    } else {
      if (field.partOf === null && !field.resolvedType && isDefault(value)) continue;
      visit(field, value, name, out);
    }
  }
}

function isDefault(value) {
  return value === 0 || value === false || value === '' || (value && value.length === 0) ||
    (value && typeof value === 'object' && 'low' in value && value.isZero && value.isZero());
}

function visit(field, value, name, out) {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    out.push(name);
    if (resolved.fullName === '.google.protobuf.Any') {
      out.push(`${name}.type_url=${value.type_url}`);
      const inner = root.lookupType(value.type_url.replace(/^.*\//, ''));
      walk(inner, inner.decode(value.value), `${name}.<${inner.fullName.slice(1)}>.`, out);
    } else {
      walk(resolved, value, `${name}.`, out);
    }
  } else if (resolved instanceof protobuf.Enum) {
    out.push(`${name}=${value}`);
  } else {
    out.push(`${name}=${scalar(value)}`);
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let reply;
  try {
    const request = JSON.parse(line);
    const type = root.lookupType(request.type);
    const message = type.decode(Buffer.from(request.b64, 'base64'));
    const fields = [];
    walk(type, message, '', fields);
    fields.sort();
    reply = { b64: Buffer.from(type.encode(message).finish()).toString('base64'), fields };
  } catch (e) {
    reply = { error: String(e && e.message || e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
