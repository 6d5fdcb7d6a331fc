// Replacement allocation functions that count (see alloc_counter.hpp).
#include "alloc_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

namespace {
std::atomic<uint64_t> g_allocations{0};
std::atomic<sable::bench::AllocationHook> g_hook{nullptr};

inline void count(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (auto hook = g_hook.load(std::memory_order_relaxed)) hook(size);
}

void* checked(void* p) {
  if (p == nullptr) std::abort();  // the core builds without exceptions; so do we here
  return p;
}

void* aligned(size_t size, std::align_val_t al) {
  count(size);
  return checked(__libc_memalign(static_cast<size_t>(al), size == 0 ? 1 : size));
}
}  // namespace

namespace sable::bench {
uint64_t allocation_count() {
  return g_allocations.load(std::memory_order_relaxed);
}
void set_allocation_hook(AllocationHook hook) {
  g_hook.store(hook, std::memory_order_relaxed);
}
}  // namespace sable::bench

extern "C" {
void* malloc(size_t size) {
  count(size);
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) {
  count(size);
  return __libc_realloc(p, size);
}
void free(void* p) {
  __libc_free(p);
}
}

void* operator new(size_t size) {
  return checked(malloc(size == 0 ? 1 : size));
}
void* operator new[](size_t size) {
  return checked(malloc(size == 0 ? 1 : size));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return malloc(size == 0 ? 1 : size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return malloc(size == 0 ? 1 : size);
}
void* operator new(size_t size, std::align_val_t al) {
  return aligned(size, al);
}
void* operator new[](size_t size, std::align_val_t al) {
  return aligned(size, al);
}
void operator delete(void* p) noexcept {
  free(p);
}
void operator delete[](void* p) noexcept {
  free(p);
}
void operator delete(void* p, size_t) noexcept {
  free(p);
}
void operator delete[](void* p, size_t) noexcept {
  free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  free(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  free(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  free(p);
}
