import { startCleanupGuards } from './lib/cleanup.js';
import { HoldfastHome } from './lib/holdfast.js';
import { cpuTicks } from './lib/proc.js';
const cleanup = startCleanupGuards();
const hf = new HoldfastHome();
try {
  const ms: number[] = [];
  let d0 = 0;
  for (let i = 0; i < 150; i++) {
    const r = await hf.cliOk(['run', '--name', `t${i}`, '--restart', 'always', '--', 'sleep', '600']);
    ms.push(Math.round(r.ms));
    if (i === 0) { await hf.waitForDaemon(); d0 = cpuTicks(hf.daemonPid()!)!; }
  }
  console.log('first 10', ms.slice(0, 10).join(' '));
  console.log('last 10', ms.slice(-10).join(' '));
  console.log('daemon cpu ticks during', cpuTicks(hf.daemonPid()!)! - d0);
  const t = await hf.cli(['ls', '--json']); console.log('ls', Math.round(t.ms));
  const u = await hf.cli(['run', '--name', 'x', '--no-daemon', '--', 'sleep', '600']); console.log('run --no-daemon', Math.round(u.ms));
} finally { cleanup(); }
