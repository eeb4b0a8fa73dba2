// Hashes that let a probe find what changed without reading every fact back. Pure: no I/O.
//
// Each fact falls into one of FACT_BUCKETS buckets by a hash of its key; each bucket is hashed
// from the JSON text of its facts, and the kind's set hash from the bucket hashes:
//   set hash equal to the one stored with the kind's last success → nothing changed, no fact
//     row is read, sent or written;
//   otherwise only the buckets whose hash differs are diffed, fact by fact (5 changed packages
//     out of 1,500 touch at most 5 buckets of ~23 facts, not 1,500 rows).
// A fact's bucket is stored with it (host_facts.bucket), so FACT_BUCKETS and bucketOf are
// part of the schema: changing them needs a migration that recomputes the column.
import { createHash } from 'node:crypto';
import type { Fact } from '../collectors/types.ts';

export const FACT_BUCKETS = 64;
/** Hex digits per bucket hash in host_fact_kinds.bucket_hashes (48 bits). */
const BUCKET_HEX = 12;

export interface FactSet {
  readonly kind: string;
  /** Sorted by key, one per key. */
  readonly facts: readonly Fact[];
  /** FACT_BUCKETS hashes of BUCKET_HEX hex digits, concatenated. */
  readonly bucketHashes: string;
  /** Hash of the bucket hashes: of the whole set. */
  readonly hash: string;
  /** Facts dropped because an earlier one had the same key. */
  readonly duplicates: number;
}

export interface HashedFact {
  readonly kind: string;
  readonly key: string;
  readonly bucket: number;
  /** JSON text of the value, exactly as it is sent to the database when it must be. */
  readonly json: string;
  /** 48 bits of the MD5 of `json`: two different values of a key collide with p ≈ 2^-48. */
  readonly hash: number;
}

/** FNV-1a (32-bit) of the key: cheap on short keys, stable across versions. */
export function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % FACT_BUCKETS;
}

/**
 * The fact sets of the given kinds (a kind without facts is an empty set: everything of it
 * is gone). Facts of other kinds are left out; the first of several facts with one key wins.
 */
export function hashFactSets(kinds: readonly string[], facts: readonly Fact[]): FactSet[] {
  const byKind = new Map<string, Fact[]>(kinds.map((k) => [k, []]));
  for (const fact of facts) byKind.get(fact.kind)?.push(fact);
  return [...byKind].map(([kind, list]) => {
    const { unique, duplicates } = sortedUnique(list);
    const buckets: Fact[][] = Array.from({ length: FACT_BUCKETS }, () => []);
    for (const fact of unique) buckets[bucketOf(fact.key)]?.push(fact);
    // One JSON text per bucket (as cheap as one for the whole set), and the set's hash from
    // the buckets' hashes: a changed set needs no second pass to find its changed buckets.
    const bucketHashes = buckets.map((b) => sha1(JSON.stringify(b)).slice(0, BUCKET_HEX)).join('');
    return { kind, facts: unique, bucketHashes, hash: sha1(bucketHashes), duplicates };
  });
}

/** Buckets whose hash differs from the stored ones (all of them when nothing is stored). */
export function changedBuckets(set: FactSet, stored: string | null): number[] {
  const mine = set.bucketHashes;
  const changed: number[] = [];
  for (let b = 0; b < FACT_BUCKETS; b++) {
    const at = b * BUCKET_HEX;
    if (
      stored === null ||
      stored.length !== mine.length ||
      stored.slice(at, at + BUCKET_HEX) !== mine.slice(at, at + BUCKET_HEX)
    ) {
      changed.push(b);
    }
  }
  return changed;
}

/** Each fact of the given buckets with its JSON text and value hash: the diff's input. */
export function hashFacts(set: FactSet, buckets: readonly number[]): HashedFact[] {
  const wanted = new Set(buckets);
  const out: HashedFact[] = [];
  for (const fact of set.facts) {
    const bucket = bucketOf(fact.key);
    if (!wanted.has(bucket)) continue;
    const json = JSON.stringify(fact.value);
    out.push({ kind: fact.kind, key: fact.key, bucket, json, hash: hash48(json) });
  }
  return out;
}

/**
 * Change detection, not authentication: a host able to forge a collision already controls
 * what it reports, so the fastest of node's hashes here will do.
 */
function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function hash48(text: string): number {
  return createHash('md5').update(text).digest().readUIntBE(0, 6);
}

/** Collectors already return their facts sorted by key (checked in one pass); others are sorted. */
function sortedUnique(facts: Fact[]): { unique: Fact[]; duplicates: number } {
  let ordered = true;
  for (let i = 1; i < facts.length && ordered; i++) {
    ordered = (facts[i - 1]?.key ?? '') < (facts[i]?.key ?? '');
  }
  if (ordered) return { unique: facts, duplicates: 0 };
  const first = new Map<string, Fact>();
  for (const fact of facts) if (!first.has(fact.key)) first.set(fact.key, fact);
  const unique = [...first.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  return { unique, duplicates: facts.length - unique.length };
}
