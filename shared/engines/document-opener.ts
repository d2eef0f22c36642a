import type { DocumentOpener } from '../core/ports.ts';
import { openImage } from './image-source.ts';
import { openPdf } from './pdf-source.ts';

export const documentOpener: DocumentOpener = {
  open: (bytes, type, options) => (type === 'pdf' ? openPdf(bytes, options) : openImage(bytes, type, options)),
};
