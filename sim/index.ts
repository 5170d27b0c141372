/** The scenario engine's public API. */
export * from './formats.js';
export { readKpis, readTruth, scanMessages } from './read.js';
export { MessageLogWriter, writeKpis, type EncodedMessageBatch } from './message-writer.js';
export { generate, type GenerateOptions, type GenerateResult } from './generate.js';
export { loadScenario, listScenarios, resolveScenarioPath, ScenarioError, type LoadedScenario } from './scenario.js';
export { parseDuration } from '../common/duration.js';
