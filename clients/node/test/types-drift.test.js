'use strict';
// Fails when index.d.ts misses a message, a field or an enum value of the shipped contract.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');

const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8');
const root = protobuf.loadSync(path.join(__dirname, '..', 'proto', 'sidecar', 'v1', 'completions.proto'));
const pkg = root.lookup('sidecar.v1');

/** The text of `export interface NAME` / `export type NAME` up to the next declaration, or null. */
function declaration(name) {
  const start = dts.search(new RegExp(`^export (interface|type) ${name}\\b`, 'm'));
  if (start < 0) return null;
  const rest = dts.slice(start + 1);
  const end = rest.search(/^(export |\/\/ ---)/m);
  return end < 0 ? rest : rest.slice(0, end);
}

const messages = pkg.nestedArray.filter((n) => n instanceof protobuf.Type);
const enums = pkg.nestedArray.filter((n) => n instanceof protobuf.Enum);

test('contract_hasMessagesAndEnums', () => {
  assert.ok(messages.length >= 10, `found ${messages.length} messages`);
  assert.ok(enums.length >= 4, `found ${enums.length} enums`);
});

for (const type of messages) {
  test(`indexDts_message_${type.name}_declaresEveryField`, () => {
    // Messages used in both requests and answers have an `…Init` request shape as well.
    const shapes = [type.name, `${type.name}Init`].map((n) => [n, declaration(n)]).filter(([, d]) => d);
    assert.ok(shapes.length > 0, `index.d.ts has no interface or type ${type.name}`);
    for (const [shapeName, text] of shapes) {
      for (const field of type.fieldsArray) {
        const camel = protobuf.util.camelCase(field.name);
        assert.match(text, new RegExp(`\\b${camel}\\??:`), `${shapeName} lacks field ${camel} (${type.name}.${field.name})`);
      }
    }
  });
}

for (const en of enums) {
  test(`indexDts_enum_${en.name}_declaresEveryValue`, () => {
    const text = declaration(en.name);
    assert.ok(text, `index.d.ts has no type ${en.name}`);
    for (const value of Object.keys(en.values)) {
      assert.ok(text.includes(`'${value}'`), `${en.name} lacks '${value}'`);
    }
  });
}

test('indexDts_SidecarErrorReason_isEveryErrorReasonButUnspecified', () => {
  const errors = protobuf.loadSync(path.join(__dirname, '..', 'proto', 'sidecar', 'v1', 'errors.proto'));
  const values = errors.lookupEnum('sidecar.v1.ErrorReason').values;
  const want = Object.keys(values).filter((name) => values[name] !== 0).sort();
  const text = declaration('SidecarErrorReason');
  assert.ok(text, 'index.d.ts has no type SidecarErrorReason');
  const declared = [...text.matchAll(/\| '([A-Z_]+)'/g)].map((m) => m[1]).sort();
  assert.deepEqual(declared, want);
});
