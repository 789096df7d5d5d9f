import { describe, expect, it } from 'vitest';
import { type DataRow, toData, toRows } from '../app/data-rows.js';

const row = (key: string, value: string, type: DataRow['type'] = 'text'): DataRow => ({ key, value, type });

describe('contact data editor rows', () => {
  it('takes prototype-named keys as ordinary keys, not as "used twice"', () => {
    const data = toData([
      row('toString', 't'),
      row('constructor', '1', 'number'),
      row('hasOwnProperty', 'true', 'boolean'),
      row('valueOf', '{"a":1}', 'json'),
      row('prototype', 'p'),
    ]);
    expect(JSON.parse(JSON.stringify(data))).toEqual({
      toString: 't',
      constructor: 1,
      hasOwnProperty: true,
      valueOf: { a: 1 },
      prototype: 'p',
    });
    expect(toRows(JSON.parse(JSON.stringify(data)))).toHaveLength(5);
  });

  it('sends __proto__ as a key (the server refuses it by name), never as the prototype', () => {
    expect(JSON.stringify(toData([row('__proto__', 'x')]))).toBe('{"__proto__":"x"}');
  });

  it('still refuses a key used twice', () => {
    expect(() => toData([row('toString', 'a'), row('toString', 'b')])).toThrow(
      'Data key “toString” is used twice',
    );
  });
});
