import { describe, expect, it } from '@jest/globals';
import type { Trial } from './trials.js';
import { summarize, table } from './trials.js';

const phases = (detection: number, announced: number) => ({
  detection,
  targetChosen: 1,
  plumbed: announced,
  announced,
  committed: announced + 40,
});

describe('summarize', () => {
  it('gives the outage figures and the median of each phase', () => {
    const trials: Trial[] = [
      { outageMs: 130, failed: 12, from: 'filer1', phases: phases(100, 12) },
      { outageMs: 150, failed: 14, from: 'filer2', phases: phases(120, 14) },
      { outageMs: 120, failed: 11, from: 'filer1', phases: phases(90, 10) },
    ];
    expect(summarize({ name: 'vsnet-default', trials })).toEqual({
      name: 'vsnet-default',
      trials: 3,
      median: 130,
      p99: 150,
      max: 150,
      min: 120,
      phases: { detection: 100, targetChosen: 1, plumbed: 12, announced: 12, committed: 52 },
      other: 18, // 130−100−12, 150−120−14 = 16, 120−90−10 = 20
    });
  });

  it('has no phases for keepalived, and the table shows them as dashes', () => {
    const s = summarize({
      name: 'keepalived-0.1s',
      trials: [
        { outageMs: 349, failed: 33, from: 'filer1' },
        { outageMs: 320, failed: 30, from: 'filer2' },
      ],
    });
    expect(s.phases).toEqual({});
    expect(s.other).toBeUndefined();
    const [header, row] = table([s]).split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'case',
      'trials',
      'median',
      'p99',
      'max',
      'min',
      'detect',
      'chosen',
      'plumbed',
      'announced',
      'committed',
      'other',
    ]);
    expect(row?.split(/\s+/)).toEqual([
      'keepalived-0.1s',
      '2',
      '320',
      '349',
      '349',
      '320',
      '—',
      '—',
      '—',
      '—',
      '—',
      '—',
    ]);
  });
});
