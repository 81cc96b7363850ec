// `npm run bench`: every benchmark, each figure beside the raw API floor measured in the same run.
import { benchRealSystems } from './real-systems.js';

console.log('Dovetail against real Tryton 6 and Vendure 3 on this machine:');
for (const line of await benchRealSystems()) console.log(`  ${line}`);
