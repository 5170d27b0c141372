import { ochiai, spectrumRca } from '../spectrum.js';

export const ochiaiRca = spectrumRca('ochiai', 'Ochiai spectrum per operation: ef / sqrt((ef+nf)(ef+ep)) over abnormal vs normal traces', ochiai);
