/* hash_sha256.h — SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for keyed
 * pseudonymisation of user ids (lua/tide/privacy.lua).
 *
 * Pure functions over bytes, no allocation: a context lives on the caller's stack. */
#ifndef TIDE_HASH_SHA256_H
#define TIDE_HASH_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t len;       /* bytes absorbed so far */
    uint8_t buf[64];    /* pending partial block */
    size_t nbuf;
} tide_sha256_ctx;

void tide_sha256_init(tide_sha256_ctx *c);
void tide_sha256_update(tide_sha256_ctx *c, const void *data, size_t n);
void tide_sha256_final(tide_sha256_ctx *c, uint8_t out[32]);
/* One-shot digest of n bytes. */
void tide_sha256(const void *data, size_t n, uint8_t out[32]);

/* HMAC-SHA256 (RFC 2104): keys longer than the 64-byte block are hashed first. */
typedef struct {
    tide_sha256_ctx inner, outer;
} tide_hmac_sha256_ctx;

void tide_hmac_sha256_init(tide_hmac_sha256_ctx *c, const void *key, size_t klen);
void tide_hmac_sha256_update(tide_hmac_sha256_ctx *c, const void *data, size_t n);
void tide_hmac_sha256_final(tide_hmac_sha256_ctx *c, uint8_t out[32]);
void tide_hmac_sha256(const void *key, size_t klen, const void *msg, size_t n, uint8_t out[32]);

#endif
