import { writeFileSync } from 'node:fs';

/**
 * A minute-scale scenario file of one subsystem whose services each do a fixed own time (no
 * spread, unbounded capacity), one transaction type `go` at 5 per second with the given root
 * call, flat traffic and the given faults: the tests' small systems, where an effect is exact.
 */
export function writeCallChainScenario(file: string, o: { name: string; subsystem: string; services: Array<[string, number]>; root: string; faults: string[] }): string {
  writeFileSync(
    file,
    [
      `name: ${o.name}`,
      "start: '2026-01-05T09:00:00Z'",
      'duration: 4m',
      'legMs: 0.2',
      'dcns: [dcn-01]',
      'subsystems:',
      `  - name: ${o.subsystem}`,
      '    services:',
      ...o.services.map(([n, ms]) => `      - { name: ${n}, instances: 1, capacity: 1000000, serviceTimeMs: ${ms}, sigma: 0 }`),
      'transactions:',
      '  - name: go',
      '    rate: 5',
      `    root: ${o.root}`,
      `traffic: { daily: [${Array(24).fill(1).join(',')}], weekly: [1,1,1,1,1,1,1], noise: 0 }`,
      ...(o.faults.length ? ['faults:', ...o.faults.map((f) => `  - ${f}`)] : []),
    ].join('\n'),
  );
  return file;
}
