/** What a person can do about each refusal, in plain words, shown under the service's own message. */
const ADVICE: Readonly<Record<string, string>> = {
  UNSUPPORTED_TYPE: 'Send a PDF or an image (PNG, JPEG, TIFF, WebP, GIF, BMP or PNM). Export other documents to PDF first.',
  EMPTY_FILE: 'The file has no content. Pick the file again, or save it again from the program that made it.',
  FILE_TOO_LARGE: 'Split the document into smaller parts, or scan it at a lower resolution.',
  PAYLOAD_TOO_LARGE: 'Split the document into smaller parts.',
  TOO_MANY_PAGES: 'Split the document into parts with fewer pages.',
  IMAGE_TOO_LARGE: 'Scan at a lower resolution (300 dpi is plenty for text).',
  CORRUPT_DOCUMENT: 'The file is damaged or not what its name says. Open it on your computer to check, then export it again.',
  ENCRYPTED_PDF: 'Give the PDF\'s password below to read it, or upload a copy without one.',
  WRONG_PASSWORD: 'That password does not open the PDF: give the right one below.',
  PASSWORD_UNREADABLE: 'The password given earlier can no longer be read: give it again below.',
  LANGUAGE_UNAVAILABLE: 'Choose another language: this one is not installed.',
  INVALID_REQUEST: 'Check the language and priority you chose.',
  UNAUTHENTICATED: 'Sign in again: your sign-in has expired.',
  PAGE_TIMEOUT: 'A page took too long to read: try a cleaner or lower-resolution scan.',
  ENGINE_FAILURE: 'A temporary failure: use "Requeue failed" to try again.',
  INTERNAL: 'A temporary failure on our side: try again in a minute.',
  UNAVAILABLE: 'The service is busy or restarting: try again in a minute.',
  RATE_LIMITED: 'Too many requests in a short time: wait a few seconds, then try again.',
  NETWORK: 'The connection broke: check your network, then try again.',
  NOT_CONFIGURED: 'Ask the operator to set UPLOAD_URL on the api.',
};

export const adviceFor = (code: string): string => ADVICE[code] ?? 'Try again; if it keeps failing, tell the operator this code.';
