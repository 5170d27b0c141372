import { ochiai, spectrumRca } from '../spectrum.js';

export const ochiaiRca = spectrumRca('ochiai', 'Ochiai spectrum: ef / sqrt((ef+nf)(ef+ep)) over abnormal vs normal traces', ochiai);
