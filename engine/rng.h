/* rng.h — the engine's one random generator: Philox4x32-10 (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11).
 *
 * Counter-based: the n-th number of a stream is a pure function of (seed, n), so results do
 * not depend on thread count or on how work is split. A tide_rng is just (seed, counter);
 * copying it forks the stream, saving it is saving two integers. */
#ifndef TIDE_RNG_H
#define TIDE_RNG_H

#include <stdint.h>

#include "tensor.h"

typedef struct {
    uint64_t seed;
    uint64_t counter; /* number of 32-bit words consumed */
} tide_rng;

void tide_rng_seed(tide_rng *r, uint64_t seed);
/* The process-wide default generator used when callers pass NULL. */
tide_rng *tide_rng_default(void);

/* Four 32-bit words for block `block` of stream `seed` (the raw Philox bijection). */
void tide_philox(uint64_t seed, uint64_t block, uint32_t out[4]);

uint32_t tide_rng_u32(tide_rng *r);
double tide_rng_uniform(tide_rng *r);               /* [0, 1) with 53 random bits */
double tide_rng_normal(tide_rng *r);                /* standard normal (Box-Muller) */
uint64_t tide_rng_below(tide_rng *r, uint64_t n);   /* uniform integer in [0, n), unbiased */

/* Fill a contiguous tensor. Element i uses counter base+i, so a fill is reproducible and
 * could be split across threads. r == NULL uses the default generator. */
int tide_rng_fill_uniform(tide_rng *r, tide_tensor *t, double lo, double hi);
int tide_rng_fill_normal(tide_rng *r, tide_tensor *t, double mean, double std);

#endif
