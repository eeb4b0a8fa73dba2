// A small seeded PRNG (mulberry32) so that the random corpora are the same on every run: a
// mismatch found once is found again, with the same pair.
export { type Rng, seededRng } from '../../support/rng.ts';
