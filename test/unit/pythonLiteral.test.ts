import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePythonLiteral, parseRecordLine, PythonLiteralError } from '../../model-export/data/pythonLiteral.js';

const parse = (text: string) => parsePythonLiteral(text);

describe('Python literal parser: the literal subset', () => {
  it('parses a historical Amazon metadata line', () => {
    const line =
      "{'asin': '0000031852', 'title': \"Girls' Ballet Tutu\", 'price': 3.17, 'salesRank': {'Toys & Games': 211836}, " +
      "'related': {'also_bought': ['B00JHONN1S', 'B002BZX8Z6']}, 'categories': [['Electronics', 'Computers & Accessories', 'Cables'], ['Toys']]}";
    expect(parse(line)).toEqual({
      asin: '0000031852',
      title: "Girls' Ballet Tutu",
      price: 3.17,
      salesRank: { 'Toys & Games': 211836 },
      related: { also_bought: ['B00JHONN1S', 'B002BZX8Z6'] },
      categories: [['Electronics', 'Computers & Accessories', 'Cables'], ['Toys']],
    });
  });

  it('True, False, None and numbers', () => {
    expect(parse('[True, False, None]')).toEqual([true, false, null]);
    expect(parse('[0, 42, -7, + 3, 1_000, 0x1F, 0o17, 0b101, 00]')).toEqual([0, 42, -7, 3, 1000, 31, 15, 5, 0]);
    expect(parse('[1.5, .5, 1., 1e3, -2.5E-2, 1_0.2_5]')).toEqual([1.5, 0.5, 1, 1000, -0.025, 10.25]);
    expect(parse('123456789012345678901234567890')).toBe(123456789012345678901234567890n);
    expect(parse('-9007199254740991')).toBe(-9007199254740991);
  });

  it('strings: quotes, escapes, unicode, prefixes, concatenation', () => {
    expect(parse(`'it\\'s'`)).toBe("it's");
    expect(parse(`"say \\"hi\\""`)).toBe('say "hi"');
    expect(parse(`'tab\\tnew\\nline\\\\ bell\\a'`)).toBe('tab\tnew\nline\\ bell\x07');
    expect(parse(`'\\x41\\101\\0'`)).toBe('AA\0');
    expect(parse(`'Caf\\xe9 \\u2013 \\U0001F50A'`)).toBe('Café – 🔊');
    expect(parse(`'naïve – already unicode'`)).toBe('naïve – already unicode');
    expect(parse(`'\\d stays'`)).toBe('\\d stays'); // unknown escapes are kept, as Python does
    expect(parse(`r'\\n\\'raw'`)).toBe("\\n\\'raw");
    expect(parse(`u'unicode prefix'`)).toBe('unicode prefix');
    expect(parse(`'''triple 'quoted' "text"\nspanning'''`)).toBe(`triple 'quoted' "text"\nspanning`);
    expect(parse(`"""a"""`)).toBe('a');
    expect(parse(`''`)).toBe('');
    expect(parse(`'con' "cat" r'\\x' u'!'`)).toBe('concat\\x!');
    expect(parse(`'line \\\ncontinued'`)).toBe('line continued');
  });

  it('containers: nesting, tuples, trailing commas, empties', () => {
    expect(parse(`{'a': [1, (2, 3), {'b': ()}], 'c': (4,), 'd': (5), 'e': [], 'f': {},}`)).toEqual({
      a: [1, [2, 3], { b: [] }],
      c: [4],
      d: 5,
      e: [],
      f: {},
    });
    expect(parse(`[ [ 'x' , ] , ]`)).toEqual([['x']]);
    expect(parse(`  {\n'k':\t'v'\n}  `)).toEqual({ k: 'v' });
    expect(parse(`{'k': 1, 'k': 2}`)).toEqual({ k: 2 }); // the last repeated key wins, as in Python
  });

  it('a "__proto__" key is plain data, not a prototype', () => {
    const value = parse(`{'__proto__': {'polluted': True}, 'constructor': 1}`) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBeNull();
  });

  it('record lines: JSON first, then Python', () => {
    expect(parseRecordLine('{"asin": "B1", "ok": true, "x": null}')).toEqual({ asin: 'B1', ok: true, x: null });
    expect(parseRecordLine("{'asin': 'B1', 'ok': True, 'x': None}")).toEqual({ asin: 'B1', ok: true, x: null });
  });
});

describe('Python literal parser: anything else is rejected, never run', () => {
  const marker = '/tmp/interest-edge-python-literal-pwned';

  const rejects = (text: string, reason: RegExp, position?: number) => {
    let error: unknown;
    try {
      parse(text);
    } catch (e) {
      error = e;
    }
    expect(error, text).toBeInstanceOf(PythonLiteralError);
    expect((error as PythonLiteralError).message).toMatch(reason);
    expect((error as PythonLiteralError).message).toMatch(/at position \d+/);
    if (position !== undefined) expect((error as PythonLiteralError).position).toBe(position);
  };

  it('rejects code that would create a file or set a global if evaluated', () => {
    rmSync(marker, { force: true });
    const g = globalThis as Record<string, unknown>;
    delete g.pwned;
    const payloads = [
      `__import__('os').system('touch ${marker}')`,
      `{'categories': [[__import__('os').system('touch ${marker}')]]}`,
      `{'a': open('${marker}', 'w')}`,
      `exec("open('${marker}', 'w')")`,
      `eval('1')`,
      `[c for c in ().__class__.__bases__[0].__subclasses__()]`,
      `lambda: __import__('os')`,
      `globalThis.pwned = 1`,
      `(() => { globalThis.pwned = 1 })()`,
      `require('fs').writeFileSync('${marker}', 'x')`,
      `\`\${globalThis.pwned = 1}\``,
      `f'{__import__("os").system("touch ${marker}")}'`,
    ];
    for (const payload of payloads) {
      expect(() => parse(payload), payload).toThrow(PythonLiteralError);
      expect(() => parseRecordLine(payload), payload).toThrow(PythonLiteralError);
    }
    expect(existsSync(marker)).toBe(false);
    expect(g.pwned).toBeUndefined();
  });

  it('names, calls, attributes, operators: clear errors with the position', () => {
    rejects(`__import__('os')`, /the name "__import__" is not a literal/, 0);
    rejects(`{'a': os.system}`, /the name "os" is not a literal/, 6);
    rejects(`{'a': 1}.get('a')`, /unexpected input after the literal/, 8);
    rejects(`[].__class__`, /unexpected input after the literal/, 2);
    rejects(`1 + 1`, /unexpected input after the literal/, 2);
    rejects(`{'a': 1 if True else 2}`, /expected "," or "}"/, 8);
    rejects(`[inf, nan]`, /the name "inf"/, 1);
    rejects(`true`, /the name "true"/, 0);
  });

  it('literal forms outside the subset', () => {
    rejects(`f'x'`, /f-strings are not supported/, 0);
    rejects(`b'x'`, /bytes literals are not supported/, 0);
    rejects(`{1, 2}`, /only string dict keys/, 1);
    rejects(`{'a', 'b'}`, /set literals are not supported/, 4);
    rejects(`{1: 'one'}`, /only string dict keys/, 1);
    rejects(`1j`, /complex numbers/, 0);
    rejects(`007`, /leading zeros/, 0);
    rejects(`--1`, /a sign must be followed by a number/, 0);
    rejects(`-'a'`, /a sign must be followed by a number/, 0);
    rejects(`'\\N{EN DASH}'`, /\\N\{…\} escapes are not supported/, 1);
    rejects(`'\\x4'`, /truncated \\x escape/, 1);
    rejects(`'\\U00110000'`, /beyond the Unicode range/, 1);
    rejects(`xy'a'`, /invalid string prefix "xy"/, 0);
  });

  it('malformed input', () => {
    rejects(``, /empty input/, 0);
    rejects(`   `, /empty input/);
    rejects(`'abc`, /unterminated string literal/, 0);
    rejects(`{'a': 'abc`, /unterminated string literal/, 6);
    rejects(`'abc\ndef'`, /unterminated string literal \(end of line\)/, 0);
    rejects(`'''abc''`, /unterminated string literal/, 0);
    rejects(`r'abc\\'`, /unterminated string literal/, 0);
    rejects(`{'a': 1`, /missing "}"/, 7);
    rejects(`[1, 2`, /missing "]"/, 5);
    rejects(`{'a' 1}`, /expected ":"/, 5);
    rejects(`[1,, 2]`, /unexpected character ","/, 3);
    rejects(`{'a': }`, /unexpected character "}"/, 6);
    rejects(`[1 2]`, /expected "," or "]"/, 3);
    rejects(`@`, /unexpected character "@"/, 0);
  });

  it('limits nesting depth (default 100, configurable) without exhausting the stack', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(() => parse(nested(100))).not.toThrow();
    rejects(nested(101), /nesting deeper than 100 levels/, 100);
    expect(() => parsePythonLiteral(nested(5), { maxDepth: 4 })).toThrow(/nesting deeper than 4 levels/);
    expect(() => parsePythonLiteral(`{'a': ((({'b': 1},),),)}`, { maxDepth: 4 })).toThrow(/nesting deeper than 4/);
    expect(() => parse('('.repeat(1_000_000))).toThrow(PythonLiteralError);
    expect(() => parse(`{'a': `.repeat(200_000))).toThrow(/nesting deeper than 100/);
  });
});
