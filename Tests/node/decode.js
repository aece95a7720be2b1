// Decodes messages with Envoy's canonical protos (as shipped in @grpc/grpc-js-xds) to prove
// that the project's own proto subset is wire-exact. Reads one JSON line per message,
// {"type":"envoy.config.cluster.v3.Cluster","b64":"..."}, and answers with one JSON line:
// {"b64": <re-encoded bytes>, "fields": [every set field as "path=value", Any unpacked]}.
'use strict';
const path = require('path');
const readline = require('readline');
const protobuf = require('protobufjs');

const { root, deps } = require('./envoy-protos');

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
