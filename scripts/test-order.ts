// The order scripts/run-tests.ts gives the test files: longest first (longest-processing-time-first
// scheduling), so that with two workers the run does not end on one long file working alone.

/**
 * `known`: ms per file from the last run. A file not timed yet (new, or the first run on this
 * machine) is placed as if long: real-server files before the others, the bigger first. Starting
 * a short file early costs nothing; ending on a long one does.
 */
export function longestFirst(files: string[], known: Record<string, number>, sizeOf: (file: string) => number): string[] {
  const guess = (file: string) => (file.includes('/integration/') ? 60_000 : 0) + sizeOf(file);
  const expected = (file: string) => known[file] ?? guess(file);
  return [...files].sort((a, b) => expected(b) - expected(a));
}
