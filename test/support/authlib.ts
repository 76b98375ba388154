// A Python with Authlib >= 1.3 (authlib.oauth2.rfc9068) for the RFC 9068 interop test. Tried in order:
// LATCHKEY_AUTHLIB_PYTHON, the system python3 (Debian's python3-authlib is 1.2: too old), then a venv this
// file makes once under the temp directory with `python3 -m venv` + `pip install 'authlib>=1.3'` (pip uses
// whatever index the machine's pip is configured for). Without any of them the test skips loudly, except
// under CI=true, where it fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PROBE = 'import authlib.oauth2.rfc9068, joserfc.jws';
const VENV = join(tmpdir(), 'latchkey-authlib-venv');

function canValidate(python: string): boolean {
  return spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 30_000 }).status === 0;
}

function makeVenv(python: string): { python: string | null; why: string } {
  const building = mkdtempSync(join(tmpdir(), 'latchkey-authlib-build-'));
  const venv = spawnSync(python, ['-m', 'venv', building], { encoding: 'utf8', timeout: 120_000 });
  if (venv.status !== 0) return { python: null, why: `python3 -m venv failed: ${(venv.stderr ?? '').trim().slice(-300)}` };
  const pip = spawnSync(join(building, 'bin', 'pip'), ['install', '--quiet', 'authlib>=1.3'], { encoding: 'utf8', timeout: 300_000 });
  if (pip.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    return { python: null, why: `pip install authlib failed: ${(pip.stderr ?? '').trim().slice(-300)}` };
  }
  try {
    renameSync(building, VENV); // atomic: a concurrent run either wins or finds the finished venv
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  const made = join(VENV, 'bin', 'python');
  return canValidate(made) ? { python: made, why: '' } : { python: null, why: 'the venv cannot import authlib.oauth2.rfc9068' };
}

function find(): { python: string | null; why: string } {
  const given = process.env.LATCHKEY_AUTHLIB_PYTHON;
  if (given) return canValidate(given) ? { python: given, why: '' } : { python: null, why: `LATCHKEY_AUTHLIB_PYTHON=${given} cannot import authlib.oauth2.rfc9068` };
  const system = process.env.PYTHON ?? 'python3';
  if (spawnSync(system, ['--version'], { encoding: 'utf8' }).status !== 0) return { python: null, why: `${system} not found: install python3 and python3-venv` };
  if (canValidate(system)) return { python: system, why: '' };
  const cached = join(VENV, 'bin', 'python');
  if (existsSync(cached) && canValidate(cached)) return { python: cached, why: '' };
  return makeVenv(system);
}

/** The Python that runs test/interop/authlib_rfc9068.py, or `null` (after a loud notice) when none can be had; throws under CI=true. */
export const authlibPython: string | null = (() => {
  const { python, why } = find();
  if (python) return python;
  const message = `Authlib >= 1.3 is not available (${why}).`;
  if (process.env.CI === 'true') throw new Error(`latchkey tests: ${message} The RFC 9068 interop test may not skip under CI.`);
  console.warn(`\n${'!'.repeat(78)}\n!! SKIPPING AUTHLIB RFC 9068 INTEROP: ${message}\n${'!'.repeat(78)}\n`);
  return null;
})();
