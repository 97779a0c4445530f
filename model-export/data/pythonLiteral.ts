/**
 * A parser for the Python literal subset, for the historical Amazon metadata files: each line of
 * `meta_<Category>.json` is the `repr()` of a Python dict (single quotes, True/False/None,
 * nested lists), not JSON. The original scripts read them with `eval(line)`; this parser never
 * evaluates anything. It is a recursive-descent reader of literals only:
 *
 *   dict `{'k': v, …}` (string keys), list `[…]`, tuple `(…)` (becomes an array), str (quotes,
 *   triple quotes, `r`/`u` prefixes, escapes, adjacent-literal concatenation), int (decimal, hex,
 *   octal, binary, underscores; beyond 2^53 a bigint), float, a sign before a number,
 *   True/False/None.
 *
 * Anything else — a name, a call, attribute access, an operator, lambda, f-strings, bytes, sets,
 * complex numbers, an unterminated string, nesting deeper than `maxDepth` — throws a
 * PythonLiteralError giving the character position.
 */

export type PyValue = string | number | bigint | boolean | null | PyValue[] | PyDict;
/** A Python dict with string keys, as an object without prototype (a `__proto__` key is plain data). */
export interface PyDict {
  [key: string]: PyValue;
}

export interface PythonLiteralOptions {
  /** Containers nested deeper than this are rejected (default 100). */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 100;

export class PythonLiteralError extends SyntaxError {
  constructor(
    readonly reason: string,
    /** 0-based character offset in the parsed text. */
    readonly position: number,
    source: string,
  ) {
    super(`Python literal: ${reason} at position ${position} (near ${JSON.stringify(source.slice(position, position + 24))})`);
    this.name = 'PythonLiteralError';
  }
}

export function parsePythonLiteral(source: string, options: PythonLiteralOptions = {}): PyValue {
  return new Parser(source, options.maxDepth ?? DEFAULT_MAX_DEPTH).parseDocument();
}

/**
 * One record line of an Amazon file: JSON when it is JSON (the reviews, newer metadata dumps),
 * else a Python literal (the historical metadata). Neither path evaluates code.
 */
export function parseRecordLine(line: string, options?: PythonLiteralOptions): PyValue {
  try {
    return JSON.parse(line) as PyValue;
  } catch {
    return parsePythonLiteral(line, options);
  }
}

const SIMPLE_ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['a', '\x07'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['v', '\v'],
]);

const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const RADIX_INT = /0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/y;
const DECIMAL = /(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?/y;

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): PyValue {
    this.skipSpace();
    if (this.pos >= this.src.length) this.fail('empty input');
    const value = this.parseValue();
    this.skipSpace();
    if (this.pos < this.src.length) this.fail('unexpected input after the literal');
    return value;
  }

  private fail(reason: string, at = this.pos): never {
    throw new PythonLiteralError(reason, at, this.src);
  }

  private skipSpace(): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.pos++;
      else break;
    }
  }

  private parseValue(): PyValue {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === undefined) this.fail('unexpected end of input');
    if (c === '{') return this.parseDict();
    if (c === '[') return this.parseSequence('[', ']');
    if (c === '(') return this.parseParenthesised();
    if (c === "'" || c === '"') return this.parseStrings();
    if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return this.parseNumber();
    if (NAME_CHAR.test(c)) return this.parseName();
    return this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private enter(): void {
    if (++this.depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
    this.pos++;
  }

  /** After an element: `,` (then maybe the closer: a trailing comma) or the closer. True when closed. */
  private endOfElement(close: string): boolean {
    this.skipSpace();
    const c = this.src[this.pos];
    if (c === close) {
      this.pos++;
      return true;
    }
    if (c !== ',') this.fail(c === undefined ? `missing "${close}"` : `expected "," or "${close}"`);
    this.pos++;
    this.skipSpace();
    if (this.src[this.pos] === close) {
      this.pos++;
      return true;
    }
    return false;
  }

  private parseDict(): PyDict {
    this.enter();
    const dict = Object.create(null) as PyDict;
    this.skipSpace();
    if (this.src[this.pos] === '}') {
      this.pos++;
    } else {
      for (;;) {
        this.skipSpace();
        const keyAt = this.pos;
        const key = this.parseValue();
        if (typeof key !== 'string') this.fail('only string dict keys are supported', keyAt);
        this.skipSpace();
        if (this.src[this.pos] !== ':') this.fail(this.src[this.pos] === ',' || this.src[this.pos] === '}' ? 'set literals are not supported' : 'expected ":"');
        this.pos++;
        dict[key] = this.parseValue(); // a repeated key keeps the last value, as in Python
        if (this.endOfElement('}')) break;
      }
    }
    this.depth--;
    return dict;
  }

  private parseSequence(open: string, close: string): PyValue[] {
    this.enter();
    const items: PyValue[] = [];
    this.skipSpace();
    if (this.src[this.pos] === close) {
      this.pos++;
    } else {
      do items.push(this.parseValue());
      while (!this.endOfElement(close));
    }
    this.depth--;
    return items;
  }

  /** `()` and `(x,)`/`(x, y)` are tuples (arrays); `(x)` is just x, as in Python. */
  private parseParenthesised(): PyValue {
    this.enter();
    this.skipSpace();
    let value: PyValue;
    if (this.src[this.pos] === ')') {
      this.pos++;
      value = [];
    } else {
      const first = this.parseValue();
      this.skipSpace();
      if (this.src[this.pos] === ')') {
        this.pos++;
        value = first;
      } else {
        const items = [first];
        while (!this.endOfElement(')')) items.push(this.parseValue());
        value = items;
      }
    }
    this.depth--;
    return value;
  }

  private parseName(): PyValue {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.src);
    if (!match) return this.fail(`unexpected character ${JSON.stringify(this.src[this.pos])}`);
    const name = match[0];
    const next = this.src[this.pos + name.length];
    if (next === "'" || next === '"') return this.parseStrings();
    if (name === 'True') return this.advance(name, true);
    if (name === 'False') return this.advance(name, false);
    if (name === 'None') return this.advance(name, null);
    return this.fail(`the name "${name}" is not a literal (only True, False and None are allowed)`);
  }

  private advance<T>(text: string, value: T): T {
    this.pos += text.length;
    return value;
  }

  /** One string literal, then any literals written right after it (Python concatenates them). */
  private parseStrings(): string {
    let out = this.parseString();
    for (;;) {
      const save = this.pos;
      this.skipSpace();
      const c = this.src[this.pos];
      const prefixed = c !== undefined && /[rRuUbBfF]/.test(c) && /^[A-Za-z]{0,2}['"]/.test(this.src.slice(this.pos, this.pos + 3));
      if (c === "'" || c === '"' || prefixed) out += this.parseString();
      else {
        this.pos = save;
        return out;
      }
    }
  }

  private parseString(): string {
    const start = this.pos;
    let prefix = '';
    while (NAME_CHAR.test(this.src[this.pos] ?? '')) prefix += this.src[this.pos++];
    const p = prefix.toLowerCase();
    if (p.includes('f')) this.fail('f-strings are not supported (they evaluate expressions)', start);
    if (p.includes('b')) this.fail('bytes literals are not supported', start);
    if (p !== '' && p !== 'r' && p !== 'u') this.fail(`invalid string prefix "${prefix}"`, start);
    const raw = p === 'r';
    const quote = this.src[this.pos];
    const triple = this.src.startsWith(quote.repeat(3), this.pos);
    const closer = triple ? quote.repeat(3) : quote;
    this.pos += closer.length;

    let out = '';
    let run = this.pos; // start of the pending unescaped run
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail('unterminated string literal', start);
      if (c === quote && this.src.startsWith(closer, this.pos)) {
        out += this.src.slice(run, this.pos);
        this.pos += closer.length;
        return out;
      }
      if ((c === '\n' || c === '\r') && !triple) this.fail('unterminated string literal (end of line)', start);
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      out += this.src.slice(run, this.pos);
      const next = this.src[this.pos + 1];
      if (next === undefined) this.fail('unterminated string literal', start);
      if (raw) {
        // A raw string keeps the backslash; it only stops the next character from closing the string.
        out += '\\' + next;
        this.pos += 2;
      } else {
        out += this.readEscape();
      }
      run = this.pos;
    }
  }

  /** At a backslash inside a non-raw string: consume the escape, return what it stands for. */
  private readEscape(): string {
    const at = this.pos;
    const c = this.src[at + 1];
    this.pos += 2;
    const simple = SIMPLE_ESCAPES.get(c);
    if (simple !== undefined) return simple;
    if (c === '\n') return ''; // backslash-newline: line continuation
    if (c === '\r') {
      if (this.src[this.pos] === '\n') this.pos++;
      return '';
    }
    if (c >= '0' && c <= '7') {
      let digits = c;
      while (digits.length < 3 && /[0-7]/.test(this.src[this.pos] ?? '')) digits += this.src[this.pos++];
      return String.fromCharCode(parseInt(digits, 8));
    }
    if (c === 'x' || c === 'u' || c === 'U') {
      const width = c === 'x' ? 2 : c === 'u' ? 4 : 8;
      const hex = this.src.slice(this.pos, this.pos + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) this.fail(`truncated \\${c} escape (needs ${width} hex digits)`, at);
      this.pos += width;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) this.fail('escape beyond the Unicode range', at);
      return code > 0xffff ? String.fromCodePoint(code) : String.fromCharCode(code);
    }
    if (c === 'N') this.fail('\\N{…} escapes are not supported', at);
    return '\\' + c; // Python keeps unknown escapes verbatim
  }

  private parseNumber(): number | bigint {
    const start = this.pos;
    let sign = 1;
    const s = this.src[this.pos];
    if (s === '-' || s === '+') {
      sign = s === '-' ? -1 : 1;
      this.pos++;
      this.skipSpace();
    }
    const bodyAt = this.pos;
    RADIX_INT.lastIndex = bodyAt;
    DECIMAL.lastIndex = bodyAt;
    const radix = RADIX_INT.exec(this.src);
    const match = radix ?? DECIMAL.exec(this.src);
    if (!match) return this.fail(s === '-' || s === '+' ? 'a sign must be followed by a number' : 'invalid number', start);
    const text = match[0];
    this.pos = bodyAt + text.length;
    if (NAME_CHAR.test(this.src[this.pos] ?? '') || this.src[this.pos] === '.') {
      this.fail('invalid number (complex numbers and suffixes are not supported)', start);
    }
    const clean = text.replace(/_/g, '');
    const isInt = radix !== null || !/[.eE]/.test(clean);
    if (!isInt) return sign * Number(clean);
    if (!radix && /^0+[1-9]/.test(clean)) this.fail('leading zeros in a decimal integer are not allowed', bodyAt);
    const big = BigInt(clean) * BigInt(sign);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
}
