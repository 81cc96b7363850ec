// Which file starts `dovetail` in the tests that run it as a process: the one-file build that
// scripts/test.sh makes from the same sources (it starts in a quarter of the CPU), else bin/dovetail.mjs.
export const DOVETAIL_BIN = process.env.DOVETAIL_TEST_BIN ?? 'bin/dovetail.mjs';
