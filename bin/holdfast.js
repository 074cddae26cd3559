#!/usr/bin/env node
// The bundle (npm run build): src/cli/start.ts, which answers --version before loading the program.
import '../dist/cli/start.js';
