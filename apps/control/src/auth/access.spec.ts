import { describe, expect, it } from '@jest/globals';
import {
  allows,
  CLUSTER_NETWORK,
  JOIN_TOKEN,
  JOIN_TOKEN_HOLDER,
  READ,
  vsvrNetwork,
} from './access.js';

describe('allows', () => {
  it('refuses the join token holder every access, READ included', () => {
    for (const access of [READ, CLUSTER_NETWORK, vsvrNetwork('sales'), JOIN_TOKEN]) {
      expect(allows(JOIN_TOKEN_HOLDER, access)).toBe(false);
    }
  });

  it('lets a read-only principal read', () => {
    expect(allows({ ...JOIN_TOKEN_HOLDER, name: 'viewer' }, READ)).toBe(true);
  });
});
