/**
 * Growable typed arrays: rows of a 10⁷-line file or samples of a protocol are appended one by one
 * without a JS object each, so the garbage collector never walks them (at 10⁷ rows, per-row
 * objects made GC a third of the preparation time).
 */
type NumberArray = Int32Array | Float64Array;

class Column<T extends NumberArray> {
  private data: T;
  length = 0;

  constructor(private readonly make: (size: number) => T) {
    this.data = make(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  get(i: number): number {
    return this.data[i];
  }

  /** The filled part, copied to its exact size; the column is empty afterwards. */
  done(): T {
    const out = this.data.slice(0, this.length) as T;
    this.data = this.make(0);
    this.length = 0;
    return out;
  }
}

export class Int32Column extends Column<Int32Array> {
  constructor() {
    super((n) => new Int32Array(n));
  }
}

export class Float64Column extends Column<Float64Array> {
  constructor() {
    super((n) => new Float64Array(n));
  }
}
