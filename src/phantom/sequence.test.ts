import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MEAN_RELAXATION, sampleRelaxation, TISSUES, FIELD_STRENGTHS } from './relaxation.js';
import { Random } from './random.js';
import { nullingInversionTime, sampleSequence, signal, type Sequence } from './sequence.js';

describe('signal equations', () => {
  test('spin echo tends to PD as TR → ∞ and TE → 0, and decays by e^{-TE/T2}', () => {
    const tissue = { t1: 800, t2: 80, pd: 0.7 };
    assert.ok(Math.abs(signal({ kind: 'spin-echo', tr: 1e7, te: 1e-6 }, tissue) - 0.7) < 1e-6);
    const short = signal({ kind: 'spin-echo', tr: 5000, te: 10 }, tissue);
    const long = signal({ kind: 'spin-echo', tr: 5000, te: 90 }, tissue);
    assert.ok(Math.abs(long / short - Math.exp(-80 / 80)) < 1e-12);
    // Saturation recovery: S(TR = T1·ln 2) is half the fully relaxed signal.
    const half = signal({ kind: 'spin-echo', tr: 800 * Math.LN2, te: 1e-9 }, tissue);
    assert.ok(Math.abs(half - 0.35) < 1e-9);
  });

  test('the nulling inversion time zeroes the inversion-recovery signal of that T1 only', () => {
    for (const t1 of [700, 1200, 4000]) {
      const ti = nullingInversionTime(t1, 9000);
      const flair: Sequence = { kind: 'inversion-recovery', tr: 9000, te: 100, ti };
      assert.ok(signal(flair, { t1, t2: 100, pd: 1 }) < 1e-12, `T1 ${t1}: TI ${ti}`);
      assert.ok(signal(flair, { t1: t1 * 0.5, t2: 100, pd: 1 }) > 0.05);
    }
    // With a TR much longer than T1 the classic TI = T1·ln 2 appears.
    assert.ok(Math.abs(nullingInversionTime(100, 1e6) - 100 * Math.LN2) < 1e-9);
    assert.throws(() => nullingInversionTime(0, 9000), /nullingInversionTime: T1 and TR must be positive, got T1 0 ms/);
  });

  test('mean tissue parameters give the textbook contrasts at both field strengths', () => {
    const rng = new Random(5);
    for (const field of FIELD_STRENGTHS) {
      const m = MEAN_RELAXATION[field];
      for (let trial = 0; trial < 20; trial++) {
        const t1w = sampleSequence(rng, 't1', m.csf.t1);
        const t2w = sampleSequence(rng, 't2', m.csf.t1);
        const flair = sampleSequence(rng, 'flair', m.csf.t1);
        const pdw = sampleSequence(rng, 'pd', m.csf.t1);
        // T1w: WM > GM > CSF; T2w: CSF > GM > WM; FLAIR: CSF suppressed, GM brighter than WM; PDw: GM > WM.
        assert.ok(signal(t1w, m.wm) > signal(t1w, m.gm) && signal(t1w, m.gm) > signal(t1w, m.csf));
        assert.ok(signal(t2w, m.csf) > 2 * signal(t2w, m.wm) && signal(t2w, m.gm) > signal(t2w, m.wm));
        assert.ok(signal(flair, m.csf) < 0.3 * signal(flair, m.wm));
        assert.ok(signal(pdw, m.gm) > signal(pdw, m.wm));
        // Oedema is bright on FLAIR and T2w: the reason FLAIR exists.
        assert.ok(signal(flair, m.oedema) > 1.5 * signal(flair, m.wm) && signal(t2w, m.oedema) > 1.5 * signal(t2w, m.wm));
        assert.equal(flair.kind, 'inversion-recovery');
        assert.ok(t1w.tr >= 400 && t1w.tr <= 700 && t2w.te >= 80 && t2w.te <= 120);
      }
    }
  });
});

describe('sampleRelaxation', () => {
  test('per-case parameters scatter around the field means and stay physical', () => {
    const rng = new Random(9);
    const ratios: number[] = [];
    for (let c = 0; c < 400; c++) {
      const r = sampleRelaxation(rng, 3);
      for (const t of TISSUES) assert.ok(r[t].t1 > 0 && r[t].t2 > 0 && r[t].pd > 0 && r[t].pd <= 1);
      ratios.push(r.wm.t1 / MEAN_RELAXATION[3].wm.t1);
    }
    const logs = ratios.map(Math.log);
    const mean = logs.reduce((s, v) => s + v, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((s, v) => s + (v - mean) ** 2, 0) / logs.length);
    assert.ok(Math.abs(mean) < 0.015, `log-mean ${mean}`);
    assert.ok(sd > 0.05 && sd < 0.09, `log-sd ${sd}`);
  });
});
