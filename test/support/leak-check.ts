// Fails the test that leaves SSH connections open: every probe must close what it opened.
import { afterEach, expect } from 'vitest';
import { openConnectionCount } from '../../collectors/transport.ts';

afterEach(() => {
  expect(openConnectionCount(), 'SSH connections left open by this test').toBe(0);
});
