// Numbers as the CLI's summary, the metrics panel and the dashboard show them
// (src/shared/format.ts): one set of rules, so a figure reads the same everywhere.

import assert from 'node:assert/strict';
import { formatBytes, formatCount, formatDuration, formatMs, formatMsPair } from '../../src/shared/format';

const NBSP = '\u00a0';

describe('shared number formatting', () => {
  it('gives bytes in B, KiB, MiB and GiB, switching at each 1024', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1024 ** 2), '1.0 MiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.00 GiB');
  });

  it('groups counts below ten thousand and abbreviates from there', () => {
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(9999), '9,999');
    assert.equal(formatCount(12_345), '12.3 k');
    assert.equal(formatCount(4_500_000), '4.5 M');
    assert.equal(formatCount(1_200_000_000), '1.2 G');
  });

  it('says durations in s, then min and s, then h and min', () => {
    assert.equal(formatDuration(9), '9 s');
    assert.equal(formatDuration(185), '3 min 5 s');
    assert.equal(formatDuration(7800), '2 h 10 min');
  });

  it('gives milliseconds below a second and seconds above, with a no-break space', () => {
    assert.equal(formatMs(712.4), `712${NBSP}ms`);
    assert.equal(formatMs(1480), `1.48${NBSP}s`);
    assert.equal(formatMs(12_000), `12.0${NBSP}s`);
  });

  it('shares the unit of a pair when both have it, and keeps both otherwise', () => {
    assert.equal(formatMsPair(1480, 1780), `1.48 / 1.78${NBSP}s`);
    assert.equal(formatMsPair(712, 986), `712 / 986${NBSP}ms`);
    assert.equal(formatMsPair(712, 1020), `712${NBSP}ms / 1.02${NBSP}s`);
  });
});
