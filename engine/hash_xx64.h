/* hash_xx64.h — 64-bit hashes for deterministic experiment assignment.
 *
 * tide_hash_xx64 is XXH64 (Yann Collet, xxHash specification v0.8, "XXH64 algorithm"): a fast
 * 64-bit string hash with full avalanche, so every bit of the output is usable and the top 53
 * bits map to a uniform double. tide_hash_splitmix64 is the SplitMix64 finaliser (Steele, Lea &
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), a bijective 64-bit
 * mixer for integer keys. Both are pure functions: the same input gives the same output on
 * every platform and run (the byte order of the input is read little-endian explicitly). */
#ifndef TIDE_HASH_XX64_H
#define TIDE_HASH_XX64_H

#include <stddef.h>
#include <stdint.h>

uint64_t tide_hash_xx64(const void *data, size_t len, uint64_t seed);
uint64_t tide_hash_splitmix64(uint64_t x);
/* The top 53 bits of h as a double in [0, 1): every value k / 2^53 is equally likely. */
double tide_hash_unit(uint64_t h);

#endif
