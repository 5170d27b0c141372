import { dstar2, spectrumRca } from '../spectrum.js';

export const dstar2Rca = spectrumRca('dstar2', 'DStar2 spectrum per operation: ef^2 / (ep + nf)', dstar2);
