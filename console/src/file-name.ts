/** The file name of a Content-Disposition: `filename*=UTF-8''…` (the name in any script) before `filename="…"`. */
export function fileNameOf(disposition: string): string | undefined {
  const extended = /filename\*=UTF-8''([^;\s]+)/i.exec(disposition)?.[1];
  if (extended) {
    try {
      return decodeURIComponent(extended);
    } catch {
      // a malformed escape: the ASCII name below
    }
  }
  return /filename="([^"]+)"/.exec(disposition)?.[1];
}
