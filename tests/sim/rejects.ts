import { expect } from 'vitest';
import { loadScenario, ScenarioError } from '../../sim/scenario.js';

/** The ScenarioError a scenario file is refused with; fails the test when it is accepted. */
export function rejects(path: string): ScenarioError {
  try {
    loadScenario(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return err as ScenarioError;
  }
  throw new Error(`${path} was accepted`);
}
