import { expect, test } from 'vitest';

test('the test suite runs on the pinned Node 24', () => {
  expect(process.version).toMatch(/^v24\./);
});
