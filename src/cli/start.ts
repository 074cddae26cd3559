/**
 * The CLI's entry: bin/holdfast.js runs its bundle, dist/cli/start.js. `--version` is answered
 * here, before the program, commander and the command table are loaded (issue 14); everything else
 * is the program's, in its own chunk.
 */
import { VERSION } from '../version.js';

const first = process.argv[2];
if (first === '--version' || first === '-V') {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('./main.js');
  await main(process.argv);
}
