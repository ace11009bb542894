// Prints "N passed, N failed" from vitest's JSON report. A run that stopped before the tests
// (lint, type-check or synth failed) counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const [file = '.test-results.json', exitCode = '0'] = process.argv.slice(2);
if (!existsSync(file)) {
  console.log(`0 passed, ${exitCode === '0' ? 0 : 1} failed`);
} else {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const failed =
    report.numFailedTests + (report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? 1 : 0);
  console.log(`${report.numPassedTests} passed, ${failed} failed`);
}
