// The engine side of the bench: exactly what bin/bosco.js does, started like the baseline (`node --import tsx`)
// so both pay the same start-up, plus the peak RSS report.
import { main } from '../cli/main.js';
import { reportPeakRssAtExit } from './peak-rss.js';

reportPeakRssAtExit();
process.exitCode = await main(process.argv);
