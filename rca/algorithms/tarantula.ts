import { tarantula, spectrumRca } from '../spectrum.js';

export const tarantulaRca = spectrumRca('tarantula', 'Tarantula spectrum per operation: failed-coverage share / (failed + passed shares)', tarantula);
