// A module plugin for `faultline rca --algorithm ./rca/examples/slowest-service.mjs`.
// It ranks services by how much slower their calls are in the incident than in the baseline
// (ratio of mean durations). The default export is an RcaFactory: { name, description, create }.

function meanDurations(t) {
  const sum = new Map();
  for (let i = 0; i < t.length; i++) {
    const s = t.strings[t.service[i]];
    const [n, d] = sum.get(s) ?? [0, 0];
    sum.set(s, [n + 1, d + (t.end[i] - t.start[i])]);
  }
  return new Map([...sum].map(([s, [n, d]]) => [s, d / n]));
}

export default {
  name: 'slowest-service',
  description: 'services by mean call duration in the incident over the baseline (example plugin)',
  create: () => ({
    rank({ spans, baseline }) {
      const now = meanDurations(spans);
      const before = meanDurations(baseline);
      return [...now]
        .map(([service, d]) => ({ service, score: d / (before.get(service) ?? d), explanation: `mean ${d.toFixed(1)} ms` }))
        .sort((a, b) => b.score - a.score || (a.service < b.service ? -1 : 1));
    },
  }),
};
