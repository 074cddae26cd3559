import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAlive, isLive } from './process.js';

function state(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

describe('isLive', () => {
  it('says a zombie (dead, not reaped by its parent) does not run, though signal 0 still reaches it', async () => {
    // The shell's child exits at once and the shell becomes `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      const pid = await new Promise<number>((resolve) =>
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
      );
      const deadline = Date.now() + 5000;
      while (state(pid) !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(state(pid)).toBe('Z');
      expect(isAlive(pid)).toBe(true);
      expect(isLive(pid)).toBe(false);
      expect(isLive(process.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
