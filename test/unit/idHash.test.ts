import { describe, expect, it } from 'vitest';
import { idHash } from '../../contract/idHash.js';

describe('idHash', () => {
  it('is xxHash32 of the UTF-8 bytes (reference vectors)', () => {
    expect(idHash('', 0)).toBe(0x02cc5d05);
    expect(idHash('a', 0)).toBe(0x550d7456);
    expect(idHash('abc', 0)).toBe(0x32d153ff);
  });
  it('differs by seed and is unsigned', () => {
    expect(idHash('42', 1)).not.toBe(idHash('42', 2));
    for (const id of ['x', 'é', '12345678901234567890']) expect(idHash(id, 3)).toBeGreaterThanOrEqual(0);
  });
});
