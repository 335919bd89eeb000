// The admin's mirror of the server rules and rounding, checked in Node (the
// module is plain ES, no DOM) and, through the example table, in the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueFor, validateProgram, examplePoints } from '../../../widget/program-rules.js';
import { program } from '../lib/helpers.mjs';

export function ruleTests() {
  test('rules: value is points ÷ ratio rounded down to the minor unit', () => {
    assert.equal(valueFor(500, '100', 2), '5.00');
    assert.equal(valueFor(199, '100', 2), '1.99');
    assert.equal(valueFor(500, '3', 2), '166.66'); // 166.666… never rounds up
    assert.equal(valueFor(7, '2.5', 0), '2'); // JPY-like: no minor unit
    assert.equal(valueFor(1, '0.000001', 2), '1000000.00');
    assert.equal(valueFor(999_999_999, '7', 3), '142857142.714');
  });

  test('rules: program validation mirrors the server', () => {
    assert.deepEqual(validateProgram(program()), {});
    const bad = validateProgram(program({
      points_per_unit: '0', min_points: 500, max_points: 100, purchase_type: 'both',
      subscription: { applies_to: 'recurring', cycles: 0 }, eligibility: { kind: 'segments', ids: [] },
      code_prefix: 'AB-', code_lifetime_hours: 9000,
    }));
    assert.deepEqual(Object.keys(bad).sort(), ['code_lifetime_hours', 'code_prefix', 'eligibility.ids', 'max_points',
      'points_per_unit', 'subscription.cycles']);
    assert.ok(validateProgram(program({ points_per_unit: '1.0000001' })).points_per_unit, 'at most 6 decimals');
    assert.ok(validateProgram(program({ max_points: 1_000_000_001 })).max_points);
    assert.deepEqual(examplePoints(100, 10000), [100, 500, 1000, 5000, 10000]);
  });
}
