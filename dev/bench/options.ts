/**
 * The benchmark's time budget, in one place. The full profile must end within 10 minutes on a
 * 2-core machine; roughly: throughput 18 configurations × 3 reps × (1 s warm-up + 4 s + ~0.3 s)
 * ≈ 4.8 min, start-up figures ≈ 0.5 min, peak RSS 0.6 min, package ≈ 0.5 min, write goodput
 * 40 s + at most 35 s of drain ≈ 1.3 min: about 8 minutes. `--quick` is for development: one
 * repetition of everything, short runs, a goodput run of one 20 s window.
 */
export interface Profile {
  readonly name: 'full' | 'quick';
  /** Repetitions of every repeated configuration (throughput, spawn, import); figures are medians. */
  readonly reps: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
  /** The facade loaded at 32 connections while its memory is sampled. */
  readonly rssSeconds: number;
  /** Callers keep starting writes for this long; a multiple of Intune's 20 s window. */
  readonly goodputSeconds: number;
  /** After that, writes under way may end for this long before they are cut off. */
  readonly goodputDrainSeconds: number;
}

export const FULL: Profile = {
  name: 'full',
  reps: 3,
  warmupSeconds: 1,
  measureSeconds: 4,
  rssSeconds: 30,
  goodputSeconds: 40,
  goodputDrainSeconds: 35,
};

export const QUICK: Profile = {
  name: 'quick',
  reps: 1,
  warmupSeconds: 0.5,
  measureSeconds: 2,
  rssSeconds: 5,
  goodputSeconds: 20,
  goodputDrainSeconds: 35,
};

/** `--quick`, or nothing; anything else is refused, so that a typo is not silently ignored. */
export function profileFrom(argv: readonly string[]): Profile {
  const unknown = argv.filter((argument) => argument !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}; the only flag is --quick`);
  return argv.includes('--quick') ? QUICK : FULL;
}
