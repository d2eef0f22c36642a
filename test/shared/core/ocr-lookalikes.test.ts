import { describe, expect, it } from 'vitest';
import { digitsRead, lettersRead, wordsRead } from '../../../shared/core/ocr-lookalikes.ts';

describe('OCR look-alikes', () => {
  it('reads letters inside numbers as digits, and leaves words and codes alone', () => {
    expect(digitsRead('TOTAL RM5O.0O on O6/O3/2O18')).toBe('TOTAL RM50.00 on 06/03/2018');
    expect(digitsRead('NO.12 SDN BHD S 10.5l')).toBe('NO.12 SDN BHD S 10.51');
  });

  it('reads digits inside words as letters, keeping the length', () => {
    const text = 'CA5H T0TAL 03-1234 A4 2X';
    expect(lettersRead(text)).toBe('CASH TOTAL 03-1234 A4 2X');
    expect(lettersRead(text)).toHaveLength(text.length);
  });

  it('splits numbers and currency codes off the words they are glued to', () => {
    expect(wordsRead('TOTALRM54.50 Cash100.00 T0TAL')).toEqual(['TOTAL', 'RM', 'CASH', 'TOTAL']);
  });
});
