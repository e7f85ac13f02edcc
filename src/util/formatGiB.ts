/** A byte count in GiB with two decimals, as memory estimates and limits are reported. */
export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}
