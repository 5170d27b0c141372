// A faultline detector plugin as a plain ES module: export a DetectorFactory as the default export
// (or as `detector`). Run: faultline detect --series <dir> --detector ./detectors/examples/last-value-detector.js
//
// Method: the score is |x_t - x_{t-1}| in units of the median absolute step seen in training; it
// alarms above the largest training score (at least `k`, default 5). Causal: point t sees x_0..x_t.

/** @type {import('../types.js').DetectorFactory} */
const detector = {
  name: 'js-step',
  description: 'example JS plugin: size of the step from the previous value, in median training steps',
  create(options = {}) {
    const k = Number(options.k ?? 5);
    let unit = NaN;
    let threshold = k;
    const score = (values) => {
      const out = new Float64Array(values.length).fill(NaN);
      for (let i = 1; i < values.length; i++) out[i] = Math.abs(values[i] - values[i - 1]) / unit;
      return out;
    };
    return {
      fit(train) {
        const steps = [];
        for (let i = 1; i < train.values.length; i++) {
          const d = Math.abs(train.values[i] - train.values[i - 1]);
          if (Number.isFinite(d)) steps.push(d);
        }
        steps.sort((a, b) => a - b);
        unit = steps.length ? steps[steps.length >> 1] || 1e-9 : 1;
        threshold = score(train.values).reduce((m, v) => (v > m ? v : m), k);
      },
      detect(series) {
        if (!Number.isFinite(unit)) throw new Error('js-step: needs training data');
        const scores = score(series.values);
        const alarms = new Uint8Array(scores.length);
        for (let i = 0; i < scores.length; i++) if (scores[i] > threshold) alarms[i] = 1;
        return { scores, alarms, threshold };
      },
    };
  },
};

export default detector;
