// Newline-delimited JSON (the watch stream) arrives in arbitrary chunks.

/** Splits a stream's text into complete lines; the partial tail waits for the next chunk. */
export function lineSplitter(): (chunk: string) => string[] {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  };
}
