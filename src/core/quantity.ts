// Kubernetes quantities for sizes in bytes ("64Mi", "3Mi", "1G", "1048576"),
// the unit Kubernetes manifests and flags write memory and sizes in.

const MULTIPLIER: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

/** Whole bytes, or undefined when the text is not a non-negative quantity with a byte-sized suffix. */
export function parseByteQuantity(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * MULTIPLIER[m[2] ?? '']!);
}
