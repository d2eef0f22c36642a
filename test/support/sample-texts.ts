/** OCR-like text samples shared by the metadata and classification tests. */

export const RECEIPT = `SUPERMART #0423
221B Market Street
Tel. (555) 010-4477

Milk 2L                 2.49
Bread                   3.10
Apples 1.2kg            4.68
SUBTOTAL               10.27
TAX                     0.82
TOTAL                 $11.09
CASH                  $20.00
CHANGE                 $8.91

VISA **** 1234  AUTH CODE 083214
TERMINAL ID 0042   03/15/24 14:32
THANK YOU FOR YOUR PURCHASE`;
