/* mbedTLS 2.28 configuration for the firmware (MBEDTLS_CONFIG_FILE): only
 * what src/crypto and the DRBG need. AES (src/crypto builds AES-CMAC on it:
 * no cipher layer, no CMAC module), tables in flash, P-256 with the NIST
 * fast reduction, Thumb-2 assembly for bignum, heap from a static buffer
 * (mbedtls_memory_buffer_alloc_init in the port), no platform entropy (the
 * DRBG is seeded from the controller's HCI LE_Rand, see ../crypto/). */
#ifndef SABLE_CM4_MBEDTLS_CONFIG_H
#define SABLE_CM4_MBEDTLS_CONFIG_H

#define MBEDTLS_HAVE_ASM
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* The debug allocator counts the exact peak use of the static heap (CMake
 * SABLE_MBEDTLS_MEMORY_DEBUG, off by default: the port then reports the
 * heap's high-water mark instead, see ../crypto/drbg_random.cpp). */
#ifdef SABLE_MBEDTLS_MEMORY_DEBUG
#define MBEDTLS_MEMORY_DEBUG
#endif

#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
/* One table per direction instead of four (the other three are rotations of
 * it): 6 KB less flash for a few rotates per round. */
#define MBEDTLS_AES_FEWER_TABLES
/* The host only ever encrypts (AES-CMAC, e, ah, c1, s1, CTR-DRBG: Core 5.4
 * Vol 3 Part H 2.2); ../crypto/aes_no_decrypt.c replaces the decryption
 * rounds with one that fails, so the inverse tables are not linked. */
#define MBEDTLS_AES_DECRYPT_ALT
#define MBEDTLS_CTR_DRBG_C

#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* Smaller window for the comb method: less heap for a little more time. */
#define MBEDTLS_ECP_WINDOW_SIZE 4
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_MPI_MAX_SIZE 32

#include "mbedtls/check_config.h"

#endif
