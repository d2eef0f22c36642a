import { userHashOf } from '../../shared/core/task.ts';
import { TEST_SECRET } from './suite.ts';

/** Two callers for isolation tests, with the user hashes the suite's secret gives them. */
export const ALICE = 'alice@example.com';
export const BOB = 'bob@example.com';
export const aliceHash = userHashOf(ALICE, TEST_SECRET);
export const bobHash = userHashOf(BOB, TEST_SECRET);
