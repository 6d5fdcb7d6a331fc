#include "drbg_random.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/memory_buffer_alloc.h>
#include <mbedtls/platform_util.h>

#include <climits>
#include <cstring>

namespace sable::port {
namespace {

alignas(8) unsigned char g_heap[24 * 1024];

#ifndef MBEDTLS_MEMORY_DEBUG
// Without the debug allocator, the heap's high-water mark: the buffer is
// painted after mbedTLS wrote its first block header, and every allocation
// (calloc: zeroed) or header written later overwrites the paint. The first
// kHeaderRoom octets hold that header (32 octets on this target).
constexpr unsigned char kPaint = 0xA5;
constexpr size_t kHeaderRoom = 64;
#endif

struct Pool {
  const uint8_t* data;
  size_t left;
};

int pool_entropy(void* p, unsigned char* out, size_t len) {
  auto* pool = static_cast<Pool*>(p);
  if (len > pool->left) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  std::memcpy(out, pool->data, len);
  pool->data += len;
  pool->left -= len;
  return 0;
}

}  // namespace

struct DrbgRandom::State {
  mbedtls_ctr_drbg_context ctx;
  bool seeded = false;
};

DrbgRandom::DrbgRandom() : state_(new State) {
  mbedtls_ctr_drbg_init(&state_->ctx);
}

DrbgRandom::~DrbgRandom() {
  mbedtls_ctr_drbg_free(&state_->ctx);
  delete state_;
}

bool DrbgRandom::seed(std::span<const uint8_t> entropy) {
  Pool pool{entropy.data(), entropy.size()};
  static const unsigned char kPersonalization[] = "sable cortex-m4";
  if (mbedtls_ctr_drbg_seed(&state_->ctx, pool_entropy, &pool, kPersonalization,
                            sizeof kPersonalization - 1) != 0)
    return false;
  // There is no entropy source to reseed from after start-up.
  mbedtls_ctr_drbg_set_reseed_interval(&state_->ctx, INT_MAX);
  mbedtls_ctr_drbg_set_prediction_resistance(&state_->ctx, MBEDTLS_CTR_DRBG_PR_OFF);
  state_->seeded = true;
  return true;
}

void DrbgRandom::fill(MutableBytes out) {
  if (!state_->seeded) __builtin_trap();
  while (!out.empty()) {
    size_t n =
        out.size() < MBEDTLS_CTR_DRBG_MAX_REQUEST ? out.size() : MBEDTLS_CTR_DRBG_MAX_REQUEST;
    if (mbedtls_ctr_drbg_random(&state_->ctx, out.data(), n) != 0) __builtin_trap();
    out = out.subspan(n);
  }
}

void crypto_init() {
  mbedtls_memory_buffer_alloc_init(g_heap, sizeof g_heap);
#ifndef MBEDTLS_MEMORY_DEBUG
  std::memset(g_heap + kHeaderRoom, kPaint, sizeof g_heap - kHeaderRoom);
#endif
}

size_t crypto_heap_peak() {
#ifdef MBEDTLS_MEMORY_DEBUG
  size_t used = 0, blocks = 0;
  mbedtls_memory_buffer_alloc_max_get(&used, &blocks);
  return used;
#else
  size_t end = sizeof g_heap;
  while (end > kHeaderRoom && g_heap[end - 1] == kPaint) --end;
  return end;
#endif
}

size_t crypto_heap_size() {
  return sizeof g_heap;
}

}  // namespace sable::port
