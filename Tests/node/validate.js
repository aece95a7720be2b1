// Checks resources against the protoc-gen-validate rules in Envoy's canonical protos (as shipped in
// @grpc/grpc-js-xds), the rules Envoy applies before it accepts a resource (a NACK otherwise).
// Reads one JSON line per message, {"type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","b64":"..."}
// (a bare type name works too), and answers with one JSON line:
// {"violations": ["path: rule (what was found)", ...], "checked": <rules evaluated>}, or {"error": "..."}.
// The message is walked recursively; google.protobuf.Any is unpacked by its type URL (an unknown one is a
// violation, as Envoy rejects it too). A validate rule this script does not implement is reported as
// "unchecked rule <rule> at <path>", never skipped in silence.
'use strict';
const path = require('path');
const readline = require('readline');
const fs = require('fs');
const protobuf = require('protobufjs');

const { root, deps } = require('./envoy-protos');

// package name -> the .proto files declaring it, so an Any of a type outside the preloaded files is
// looked up in the rest of Envoy's API before it is called unknown.
let packageIndex = null;
function filesOfPackage(pkg) {
  if (packageIndex === null) {
    packageIndex = new Map();
    const scan = (dir) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          scan(full);
        } else if (entry.name.endsWith('.proto')) {
          const match = /^package\s+([\w.]+)\s*;/m.exec(fs.readFileSync(full, 'utf8'));
          if (match) {
            if (!packageIndex.has(match[1])) packageIndex.set(match[1], []);
            packageIndex.get(match[1]).push(full);
          }
        }
      }
    };
    for (const dir of ['envoy-api', 'xds']) scan(path.join(deps, dir));
  }
  return packageIndex.get(pkg) || [];
}

function lookupMessage(name) {
  const found = () => {
    try {
      return root.lookupType(name);
    } catch {
      return null;
    }
  };
  let type = found();
  if (type) return type;
  const parts = name.split('.');
  for (let i = parts.length - 1; i > 0 && !type; i--) {
    const files = filesOfPackage(parts.slice(0, i).join('.'));
    if (files.length === 0) continue;
    root.loadSync(files, { keepCase: true });
    root.resolveAll();
    type = found();
  }
  return type;
}

// PGV's well-known regexes (RFC 7230 header names and values); with strict: false both become the
// looser "no NUL, CR or LF" check.
const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const HEADER_STRING = /^[^\u0000\u000A\u000D]*$/;

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue']
  .map((n) => '.google.protobuf.' + n));

const NUMERIC_KINDS = new Set(['float', 'double', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
const SIXTY_FOUR = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Merges every `(validate.rules)` entry of parsedOptions (a field may state them in several option clauses). */
function merge(target, source) {
  for (const [key, value] of Object.entries(source)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && target[key] !== null && typeof target[key] === 'object' && !Array.isArray(target[key])) {
      merge(target[key], value);
    } else if (Array.isArray(value) && Array.isArray(target[key])) {
      target[key] = target[key].concat(value);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function optionsOf(reflection, key) {
  let result;
  for (const entry of reflection.parsedOptions || []) {
    if (!Object.prototype.hasOwnProperty.call(entry, key)) continue;
    const value = entry[key];
    result = value !== null && typeof value === 'object' ? merge(result || {}, JSON.parse(JSON.stringify(value))) : value;
  }
  return result;
}

function fieldRules(field) {
  const rules = optionsOf(field, '(validate.rules)');
  return rules === undefined ? null : rules;
}

class Checker {
  constructor() {
    this.violations = [];
    this.checked = 0;
  }

  fail(at, text) {
    this.violations.push(`${at}: ${text}`);
  }

  unchecked(rule, at) {
    this.violations.push(`unchecked rule ${rule} at ${at}`);
  }

  message(type, message, prefix) {
    for (const entry of type.parsedOptions || []) {
      for (const key of Object.keys(entry)) {
        if (key.startsWith('(validate.') && key !== '(validate.disabled)') this.unchecked(`message ${key}`, prefix || '<root>');
      }
    }
    if (optionsOf(type, '(validate.disabled)') === true) return;
    for (const oneof of type.oneofsArray) {
      for (const entry of oneof.parsedOptions || []) {
        for (const key of Object.keys(entry)) {
          if (key.startsWith('(validate.') && key !== '(validate.required)') this.unchecked(`oneof ${key}`, prefix + oneof.name);
        }
      }
      if (optionsOf(oneof, '(validate.required)') === true) {
        this.checked++;
        if (!oneof.fieldsArray.some((f) => Object.prototype.hasOwnProperty.call(message, f.name))) {
          this.fail(prefix + oneof.name, `oneof required (none of ${oneof.oneof.join(', ')} is set)`);
        }
      }
    }
    for (const field of type.fieldsArray) {
      // A member of a oneof (or a proto3 optional) is only validated when it is the one set.
      if (field.partOf && message[field.partOf.name] !== field.name) continue;
      const rules = fieldRules(field);
      const name = prefix + field.name;
      const value = message[field.name];
      if (field.map) {
        this.map(field, value || {}, rules, name);
      } else if (field.repeated) {
        this.repeated(field, value || [], rules, name);
      } else {
        this.value(field, value, rules, name);
      }
    }
  }

  map(field, value, rules, at) {
    const keys = Object.keys(value);
    const mapRules = rules && rules.map;
    this.expectKinds(rules, ['map'], at);
    if (mapRules) {
      if (mapRules.ignore_empty && keys.length === 0) return;
      for (const [rule, bound] of Object.entries(mapRules)) {
        this.checked++;
        switch (rule) {
          case 'min_pairs':
            if (keys.length < Number(bound)) this.fail(at, `map.min_pairs ${bound} (has ${keys.length})`);
            break;
          case 'max_pairs':
            if (keys.length > Number(bound)) this.fail(at, `map.max_pairs ${bound} (has ${keys.length})`);
            break;
          case 'no_sparse':
            if (bound && keys.some((k) => value[k] === null || value[k] === undefined)) this.fail(at, 'map.no_sparse');
            break;
          case 'keys':
            for (const key of keys) this.scalar(field.keyType, key, mapRules.keys, `${at}[${key}] (key)`, 'map.keys.');
            break;
          case 'values':
          case 'ignore_empty':
            break;
          default:
            this.unchecked(`map.${rule}`, at);
        }
      }
    }
    for (const key of keys) this.value(field, value[key], mapRules ? mapRules.values || null : null, `${at}[${key}]`, 'map.values.');
  }

  repeated(field, items, rules, at) {
    const repeatedRules = rules && rules.repeated;
    this.expectKinds(rules, ['repeated'], at);
    if (repeatedRules) {
      if (repeatedRules.ignore_empty && items.length === 0) return;
      for (const [rule, bound] of Object.entries(repeatedRules)) {
        this.checked++;
        switch (rule) {
          case 'min_items':
            if (items.length < Number(bound)) this.fail(at, `repeated.min_items ${bound} (has ${items.length})`);
            break;
          case 'max_items':
            if (items.length > Number(bound)) this.fail(at, `repeated.max_items ${bound} (has ${items.length})`);
            break;
          case 'unique': {
            if (!bound) break;
            const seen = new Set();
            items.forEach((item, i) => {
              const key = identity(field, item);
              if (seen.has(key)) this.fail(`${at}[${i}]`, 'repeated.unique (a repeat of an earlier item)');
              seen.add(key);
            });
            break;
          }
          case 'items':
          case 'ignore_empty':
            break;
          default:
            this.unchecked(`repeated.${rule}`, at);
        }
      }
    }
    items.forEach((item, i) => this.value(field, item, repeatedRules ? repeatedRules.items || null : null, `${at}[${i}]`, 'repeated.items.'));
  }

  /** One (non-repeated) value of `field`: a message, an enum or a scalar, under `rules` (a FieldRules). */
  value(field, value, rules, at, context = '') {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      this.messageValue(resolved, value, rules, at, context);
    } else if (resolved instanceof protobuf.Enum) {
      this.expectKinds(rules, ['enum'], at, context);
      if (rules && rules.enum) this.enumValue(resolved, value, rules.enum, at, context);
    } else {
      this.scalar(field.type, value, rules, at, context);
    }
  }

  messageValue(type, value, rules, at, context) {
    const name = type.fullName;
    const present = value !== null && value !== undefined;
    const messageRules = rules && rules.message;
    if (messageRules) {
      for (const [rule, flag] of Object.entries(messageRules)) {
        this.checked++;
        if (rule === 'required') {
          if (flag && !present) this.fail(at, `${context}message.required`);
        } else if (rule !== 'skip') {
          this.unchecked(`${context}message.${rule}`, at);
        }
      }
      if (messageRules.skip) return;
    }
    if (name === '.google.protobuf.Duration') {
      this.expectKinds(rules, ['duration'], at, context);
      if (rules && rules.duration) this.duration(value, rules.duration, at, context);
      return;
    }
    if (name === '.google.protobuf.Timestamp') {
      this.expectKinds(rules, ['timestamp'], at, context);
      if (rules && rules.timestamp) {
        for (const rule of Object.keys(rules.timestamp)) {
          if (rule === 'required') {
            this.checked++;
            if (rules.timestamp.required && !present) this.fail(at, `${context}timestamp.required`);
          } else {
            this.unchecked(`${context}timestamp.${rule}`, at);
          }
        }
      }
      return;
    }
    if (name === '.google.protobuf.Any') {
      this.expectKinds(rules, ['any'], at, context);
      if (rules && rules.any) this.anyRules(value, rules.any, at, context);
      if (present) this.unpack(value, at);
      return;
    }
    if (WRAPPERS.has(name)) {
      // PGV applies a scalar rule on a wrapper field to the wrapped value, when the wrapper is set.
      if (present && rules) {
        const { message: _, ...scalarRules } = rules;
        this.scalar(type.fields.value.type, value.value, scalarRules, at, context);
      }
      return;
    }
    this.expectKinds(rules, [], at, context);
    if (present) this.message(type, value, at + '.');
  }

  unpack(any, at) {
    const typeUrl = any.type_url || '';
    const typeName = typeUrl.replace(/^.*\//, '');
    let inner = null;
    try {
      inner = typeName ? lookupMessage(typeName) : null;
    } catch (e) {
      this.fail(at, `Any of type URL "${typeUrl}" could not be loaded: ${e.message}`);
      return;
    }
    if (!inner) {
      this.fail(at, `Any of unknown type URL "${typeUrl}"`);
      return;
    }
    let decoded;
    try {
      decoded = inner.decode(any.value || new Uint8Array(0));
    } catch (e) {
      this.fail(at, `Any of type ${typeName} does not decode: ${e.message}`);
      return;
    }
    this.message(inner, decoded, at + '.');
  }

  anyRules(value, rules, at, context) {
    const present = value !== null && value !== undefined;
    for (const [rule, bound] of Object.entries(rules)) {
      this.checked++;
      switch (rule) {
        case 'required':
          if (bound && !present) this.fail(at, `${context}any.required`);
          break;
        case 'in':
          if (present && !bound.includes(value.type_url)) this.fail(at, `${context}any.in [${bound.join(', ')}] (is ${value.type_url})`);
          break;
        case 'not_in':
          if (present && bound.includes(value.type_url)) this.fail(at, `${context}any.not_in [${bound.join(', ')}] (is ${value.type_url})`);
          break;
        default:
          this.unchecked(`${context}any.${rule}`, at);
      }
    }
  }

  duration(value, rules, at, context) {
    const present = value !== null && value !== undefined;
    if (rules.required) {
      this.checked++;
      if (!present) this.fail(at, `${context}duration.required`);
    }
    if (!present) return;
    const nanos = durationNanos(value);
    const bounds = {};
    for (const [rule, bound] of Object.entries(rules)) {
      switch (rule) {
        case 'required':
          break;
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
          bounds[rule] = durationNanos(bound);
          break;
        case 'const':
          this.checked++;
          if (nanos !== durationNanos(bound)) this.fail(at, `${context}duration.const ${formatDuration(durationNanos(bound))} (is ${formatDuration(nanos)})`);
          break;
        case 'in':
        case 'not_in': {
          this.checked++;
          // A list of one is written `not_in: 0` in the protos, which protobufjs reads as a scalar.
          const listed = [].concat(bound).map(durationNanos).includes(nanos);
          if (listed !== (rule === 'in')) this.fail(at, `${context}duration.${rule} (is ${formatDuration(nanos)})`);
          break;
        }
        default:
          this.unchecked(`${context}duration.${rule}`, at);
      }
    }
    this.range(nanos, bounds, at, `${context}duration`, formatDuration);
  }

  enumValue(type, value, rules, at, context) {
    const number = Number(value);
    for (const [rule, bound] of Object.entries(rules)) {
      this.checked++;
      switch (rule) {
        case 'defined_only':
          if (bound && !Object.values(type.values).includes(number)) this.fail(at, `${context}enum.defined_only (${number} is not a value of ${type.fullName.slice(1)})`);
          break;
        case 'const':
          if (number !== enumNumber(type, bound)) this.fail(at, `${context}enum.const ${bound} (is ${number})`);
          break;
        case 'in':
        case 'not_in': {
          // A list of one is written `not_in: 0` in the protos, which protobufjs reads as a scalar.
          const listed = [].concat(bound).map((b) => enumNumber(type, b)).includes(number);
          if (listed !== (rule === 'in')) this.fail(at, `${context}enum.${rule} [${[].concat(bound).join(', ')}] (is ${number})`);
          break;
        }
        default:
          this.unchecked(`${context}enum.${rule}`, at);
      }
    }
  }

  /** A scalar `value` of proto type `protoType` under FieldRules `rules`. */
  scalar(protoType, value, rules, at, context = '') {
    if (!rules) return;
    for (const [kind, kindRules] of Object.entries(rules)) {
      if (kind === 'message') {
        this.unchecked(`${context}message on a ${protoType}`, at);
      } else if (NUMERIC_KINDS.has(kind)) {
        this.numeric(kind, value, kindRules, at, context);
      } else if (kind === 'string') {
        this.string(value === undefined || value === null ? '' : String(value), kindRules, at, context);
      } else if (kind === 'bytes') {
        this.bytes(value || new Uint8Array(0), kindRules, at, context);
      } else if (kind === 'bool') {
        for (const [rule, bound] of Object.entries(kindRules)) {
          this.checked++;
          if (rule === 'const') {
            if (Boolean(value) !== Boolean(bound)) this.fail(at, `${context}bool.const ${bound} (is ${Boolean(value)})`);
          } else {
            this.unchecked(`${context}bool.${rule}`, at);
          }
        }
      } else {
        this.unchecked(`${context}${kind}`, at);
      }
    }
  }

  numeric(kind, value, rules, at, context) {
    const wide = SIXTY_FOUR.has(kind);
    const convert = wide ? (v) => BigInt(String(v === undefined || v === null ? 0 : v)) : (v) => Number(v === undefined || v === null ? 0 : v);
    const actual = convert(value);
    if (rules.ignore_empty && (wide ? actual === 0n : actual === 0)) return;
    const bounds = {};
    for (const [rule, bound] of Object.entries(rules)) {
      switch (rule) {
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
          bounds[rule] = convert(bound);
          break;
        case 'const':
          this.checked++;
          if (actual !== convert(bound)) this.fail(at, `${context}${kind}.const ${bound} (is ${actual})`);
          break;
        case 'in':
        case 'not_in': {
          this.checked++;
          // A list of one is written `not_in: 0` in the protos, which protobufjs reads as a scalar.
          const listed = [].concat(bound).map(convert).includes(actual);
          if (listed !== (rule === 'in')) this.fail(at, `${context}${kind}.${rule} [${[].concat(bound).join(', ')}] (is ${actual})`);
          break;
        }
        case 'ignore_empty':
          break;
        default:
          this.unchecked(`${context}${kind}.${rule}`, at);
      }
    }
    this.range(actual, bounds, at, `${context}${kind}`, String);
  }

  /**
   * PGV's range rules: a lower bound (gt/gte) and an upper bound (lt/lte) together mean "inside", unless
   * the upper is below the lower, which means "outside" (an exclusive range).
   */
  range(actual, bounds, at, prefix, format) {
    const lowerRule = 'gt' in bounds ? 'gt' : 'gte' in bounds ? 'gte' : null;
    const upperRule = 'lt' in bounds ? 'lt' : 'lte' in bounds ? 'lte' : null;
    if (!lowerRule && !upperRule) return;
    this.checked++;
    const lowerOk = lowerRule === 'gt' ? actual > bounds.gt : lowerRule === 'gte' ? actual >= bounds.gte : true;
    const upperOk = upperRule === 'lt' ? actual < bounds.lt : upperRule === 'lte' ? actual <= bounds.lte : true;
    const reversed = lowerRule && upperRule && bounds[upperRule] < bounds[lowerRule];
    const ok = reversed ? lowerOk || upperOk : lowerOk && upperOk;
    if (!ok) {
      const stated = [lowerRule, upperRule].filter(Boolean).map((r) => `${prefix}.${r} ${format(bounds[r])}`).join(', ');
      this.fail(at, `${stated} (is ${format(actual)})`);
    }
  }

  string(value, rules, at, context) {
    if (rules.ignore_empty && value === '') return;
    const characters = [...value].length;
    const bytes = Buffer.byteLength(value, 'utf8');
    const strict = rules.strict !== false;
    for (const [rule, bound] of Object.entries(rules)) {
      const failWith = (found) => this.fail(at, `${context}string.${rule} ${JSON.stringify(bound)} (${found})`);
      switch (rule) {
        case 'strict':
        case 'ignore_empty':
          continue;
        case 'min_len':
          if (characters < Number(bound)) failWith(`length ${characters}`);
          break;
        case 'max_len':
          if (characters > Number(bound)) failWith(`length ${characters}`);
          break;
        case 'len':
          if (characters !== Number(bound)) failWith(`length ${characters}`);
          break;
        case 'min_bytes':
          if (bytes < Number(bound)) failWith(`${bytes} bytes`);
          break;
        case 'max_bytes':
          if (bytes > Number(bound)) failWith(`${bytes} bytes`);
          break;
        case 'len_bytes':
          if (bytes !== Number(bound)) failWith(`${bytes} bytes`);
          break;
        case 'const':
          if (value !== bound) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'in':
          if (!bound.includes(value)) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'not_in':
          if (bound.includes(value)) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'prefix':
          if (!value.startsWith(bound)) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'suffix':
          if (!value.endsWith(bound)) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'contains':
          if (!value.includes(bound)) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'not_contains':
          if (value.includes(bound)) failWith(`is ${JSON.stringify(value)}`);
          break;
        case 'pattern': {
          // RE2 and JavaScript agree on the few patterns Envoy's protos use (anchors, classes, alternation).
          let regex;
          try {
            regex = new RegExp(bound, 'u');
          } catch {
            this.unchecked(`${context}string.pattern ${JSON.stringify(bound)} (not a JavaScript regex)`, at);
            continue;
          }
          if (!regex.test(value)) failWith(`is ${JSON.stringify(value)}`);
          break;
        }
        case 'well_known_regex': {
          const regex = !strict ? HEADER_STRING : bound === 'HTTP_HEADER_NAME' || bound === 1 ? HEADER_NAME : bound === 'HTTP_HEADER_VALUE' || bound === 2 ? HEADER_VALUE : null;
          if (regex === null) {
            this.unchecked(`${context}string.well_known_regex ${bound}`, at);
            continue;
          }
          if (!regex.test(value)) failWith(`is ${JSON.stringify(value)}`);
          break;
        }
        default:
          this.unchecked(`${context}string.${rule}`, at);
          continue;
      }
      this.checked++;
    }
  }

  bytes(value, rules, at, context) {
    if (rules.ignore_empty && value.length === 0) return;
    for (const [rule, bound] of Object.entries(rules)) {
      this.checked++;
      switch (rule) {
        case 'min_len':
          if (value.length < Number(bound)) this.fail(at, `${context}bytes.min_len ${bound} (${value.length} bytes)`);
          break;
        case 'max_len':
          if (value.length > Number(bound)) this.fail(at, `${context}bytes.max_len ${bound} (${value.length} bytes)`);
          break;
        case 'len':
          if (value.length !== Number(bound)) this.fail(at, `${context}bytes.len ${bound} (${value.length} bytes)`);
          break;
        case 'ignore_empty':
          break;
        default:
          this.unchecked(`${context}bytes.${rule}`, at);
      }
    }
  }

  /** A rule kind that does not fit the field (say, string rules on a message) is one this script cannot check. */
  expectKinds(rules, allowed, at, context = '') {
    if (!rules) return;
    for (const kind of Object.keys(rules)) {
      if (kind !== 'message' && !allowed.includes(kind)) this.unchecked(`${context}${kind} (on a field of another type)`, at);
    }
  }
}

function identity(field, item) {
  if (field.resolvedType instanceof protobuf.Type) return Buffer.from(field.resolvedType.encode(item).finish()).toString('base64');
  if (item instanceof Uint8Array) return Buffer.from(item).toString('base64');
  return String(item);
}

function enumNumber(type, value) {
  return typeof value === 'number' ? value : type.values[value];
}

function durationNanos(value) {
  const seconds = value && value.seconds !== undefined && value.seconds !== null ? BigInt(String(value.seconds)) : 0n;
  const nanos = value && value.nanos ? BigInt(value.nanos) : 0n;
  return seconds * 1000000000n + nanos;
}

function formatDuration(nanos) {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const seconds = abs / 1000000000n;
  const rest = abs % 1000000000n;
  return `${negative ? '-' : ''}${seconds}${rest === 0n ? '' : '.' + rest.toString().padStart(9, '0').replace(/0+$/, '')}s`;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let reply;
  try {
    const request = JSON.parse(line);
    const typeName = String(request.type).replace(/^.*\//, '');
    const type = lookupMessage(typeName);
    if (!type) throw new Error(`unknown type ${request.type}`);
    const message = type.decode(Buffer.from(request.b64, 'base64'));
    const checker = new Checker();
    checker.message(type, message, '');
    reply = { violations: checker.violations, checked: checker.checked };
  } catch (e) {
    reply = { error: String(e && e.message || e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
