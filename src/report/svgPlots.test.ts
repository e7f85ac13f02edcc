import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linePlot, niceTicks, stripPlot } from './index.js';

/** The plot's own mapping, read back from its data attributes: pixel → data. */
function readMapping(svg: string) {
  const attr = (name: string) => new RegExp(`data-${name}="([^"]+)"`).exec(svg)![1];
  const [ax, ay, aw, ah] = (attr('area')).split(' ').map(Number);
  const [x0, x1] = (attr('x-domain')).split(' ').map(Number);
  const [y0, y1] = (attr('y-domain')).split(' ').map(Number);
  const log = attr('y-scale') === 'log10';
  return (px: number, py: number) => {
    const y = y0 + ((ay + ah - py) / ah) * (y1 - y0);
    return [x0 + ((px - ax) / aw) * (x1 - x0), log ? 10 ** y : y];
  };
}

function seriesPoints(svg: string, name: string): number[][] {
  const match = new RegExp(`data-series="${name}"[^>]*points="([^"]+)"`).exec(svg);
  assert.ok(match, `series ${name}`);
  return match[1].split(' ').map((p) => p.split(',').map(Number));
}

describe('svg plots', () => {
  test('niceTicks covers the range with round steps', () => {
    assert.deepEqual(niceTicks(0, 1000), [0, 200, 400, 600, 800, 1000]);
    assert.deepEqual(niceTicks(0.013, 0.047), [0.02, 0.03, 0.04]);
    assert.deepEqual(niceTicks(3, 3), [3]);
  });

  test('each drawn point maps back, through the plot\'s declared axes, to its data (linear and log scales)', () => {
    const loss: [number, number][] = [[1, 0.5], [2, 0.02], [50, 0.003], [400, 0.0011]];
    const lr: [number, number][] = [[1, 1e-4], [400, 2e-4]];
    for (const logY of [false, true]) {
      const svg = linePlot([{ name: 'loss', colour: '#000', points: loss }, { name: 'other', colour: '#f00', points: lr }],
        { title: 't', xLabel: 'step', yLabel: 'y', logY });
      const toData = readMapping(svg);
      seriesPoints(svg, 'loss').forEach(([px, py], i) => {
        const [x, y] = toData(px, py);
        assert.ok(Math.abs(x - loss[i][0]) < 0.01 * 400 / 480, `x ${x} vs ${loss[i][0]}`);
        const tolerance = logY ? Math.abs(Math.log10(y) - Math.log10(loss[i][1])) : Math.abs(y - loss[i][1]);
        assert.ok(tolerance < 0.01, `y ${y} vs ${loss[i][1]} (${logY ? 'log' : 'linear'})`);
      });
    }
  });

  test('non-finite and (on a log axis) non-positive values are left out; a plot without data says so', () => {
    const svg = linePlot([{ name: 's', colour: '#000', points: [[0, 1], [1, NaN], [2, 0], [3, 10]] }], { title: 'T', xLabel: 'x', yLabel: 'y', logY: true });
    assert.equal(seriesPoints(svg, 's').length, 2);
    assert.match(linePlot([], { title: 'Empty', xLabel: 'x', yLabel: 'y' }), /Empty: no data/);
  });

  test('a strip plot draws one point per case and method, with the case and value, and escapes labels', () => {
    const svg = stripPlot([
      { label: 'model <a>', points: [{ caseId: 'A', value: 20 }, { caseId: 'B', value: 22 }] },
      { label: 'baseline', points: [{ caseId: 'A', value: 17 }, { caseId: 'B', value: Infinity }] },
    ], { title: 'PSNR', yLabel: 'dB' });
    const points = [...svg.matchAll(/data-case="(\w)" data-value="([\d.]+)"/g)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(points, ['A=20', 'B=22', 'A=17']);
    assert.match(svg, /model &lt;a&gt;/);
    assert.doesNotMatch(svg, /<a>/);
  });
});
