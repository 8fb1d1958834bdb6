// The metrics panel's throughput chart zooms to the data it has: a fresh burst fills a
// one-minute chart instead of a sliver of a fixed 15-minute one.

import assert from 'node:assert/strict';
import { chartWindow } from '../../webview/chartWindow';

const now = Date.UTC(2026, 10, 30, 12, 0, 0);
const ago = (seconds: number): number => now - seconds * 1000;

describe('throughput chart window', () => {
  it('shows the last minute when there are no samples yet, or only seconds of them', () => {
    for (const first of [undefined, ago(0), ago(12), ago(60)]) {
      const window = chartWindow(first, now);
      assert.equal(window.minutes, 1, `first sample ${first === undefined ? 'none' : (now - first) / 1000 + ' s ago'}`);
      assert.equal(window.from, ago(60));
      assert.equal(window.to, now);
      assert.deepEqual(window.ticks.map((t) => t.label), ['-1 min', '-30 s', 'now']);
      assert.deepEqual(window.ticks.map((t) => t.t), [ago(60), ago(30), now]);
    }
  });

  it('steps up through 2, 5, 10 and 15 minutes as history grows, and stops at 15', () => {
    const spans = [61, 120, 121, 300, 301, 600, 601, 900, 901, 5000].map((seconds) => chartWindow(ago(seconds), now).minutes);
    assert.deepEqual(spans, [2, 2, 5, 5, 10, 10, 15, 15, 15, 15]);
  });

  it('labels ticks in whole minutes from two minutes up, the oldest first', () => {
    assert.deepEqual(chartWindow(ago(90), now).ticks.map((t) => t.label), ['-2 min', '-1 min', 'now']);
    assert.deepEqual(chartWindow(ago(200), now).ticks.map((t) => t.label), ['-5 min', '-4 min', '-3 min', '-2 min', '-1 min', 'now']);
    assert.deepEqual(chartWindow(ago(3600), now).ticks.map((t) => t.label), ['-15 min', '-10 min', '-5 min', 'now']);
    for (const seconds of [30, 90, 200, 500, 3600]) {
      const { from, ticks } = chartWindow(ago(seconds), now);
      assert.equal(ticks[0].t, from, 'the first tick is the left edge');
      assert.equal(ticks[ticks.length - 1].t, now, 'the last tick is now');
    }
  });
});
