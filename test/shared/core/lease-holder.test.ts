import { describe, expect, it } from 'vitest';
import { holderId, holderRange, instanceOf, INSTANCE_NAME, isPredecessor } from '../../../shared/core/lease-holder.ts';

describe('lease holders under a stable instance name', () => {
  const self = holderId('ocr-worker-1', '222:bb');

  it('an earlier incarnation of the same instance is its predecessor; itself, another instance or an unnamed holder is not', () => {
    expect(isPredecessor(holderId('ocr-worker-1', '111:aa'), self)).toBe(true);
    expect(isPredecessor(self, self)).toBe(false);
    expect(isPredecessor(holderId('ocr-worker-10', '111:aa'), self)).toBe(false);
    expect(isPredecessor(holderId('ocr-worker', '111:aa'), self)).toBe(false);
    expect(isPredecessor('local:host:111:aa', self)).toBe(false);
    // an unnamed instance has no predecessors
    expect(isPredecessor('local:host:111:aa', 'local:host:222:bb')).toBe(false);
    expect(instanceOf('local:host:111:aa')).toBeNull();
  });

  it("the range holds every incarnation of the instance and no other instance's ids", () => {
    const { from, to } = holderRange('ocr-worker-1');
    const inside = (id: string) => id >= from && id < to;
    expect(inside(holderId('ocr-worker-1', '1:00'))).toBe(true);
    expect(inside(holderId('ocr-worker-1', 'zz:ff'))).toBe(true);
    expect(inside(holderId('ocr-worker-10', '1:00'))).toBe(false);
    expect(inside(holderId('ocr-worker-1.5', '1:00'))).toBe(false);
    expect(inside('ocr-worker-1')).toBe(false);
  });

  it('an instance name holds no separator', () => {
    expect(INSTANCE_NAME.test('ocr-worker-1')).toBe(true);
    expect(INSTANCE_NAME.test('a/b')).toBe(false);
    expect(INSTANCE_NAME.test('')).toBe(false);
  });
});
