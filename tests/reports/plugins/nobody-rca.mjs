// An RCA plugin that always blames a service that does not exist: AC@1 is 0 on any sweep, which
// lets the gate test fail on purpose without depending on how good the real algorithms are.
export default {
  name: 'nobody',
  description: 'always ranks the non-existent service "nobody" first',
  create: () => ({ rank: () => [{ service: 'nobody', score: 1, explanation: 'test plugin' }] }),
};
