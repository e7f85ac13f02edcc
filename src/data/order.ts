/**
 * Code-point order of ids and file names: the same in every locale, and the order Python's `sorted` gives (UTF-8
 * byte order equals code-point order), which the BraSyn-compatible dropout relies on.
 */
export function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
