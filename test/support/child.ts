// A child process for lifecycle tests: a fixture that must exit on its own.
import { spawn } from 'node:child_process';

/** Runs a fixture under tsx and waits (at most 15 s) for it to exit on its own. */
export async function runToExit(fixture: string, ports: number[]): Promise<{ exit: number | string; output: string; ms: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...ports.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  const exit = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('still running after 15 s');
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code ?? -1);
    });
  });
  return { exit, output, ms: Date.now() - started };
}
