// Replacement global allocation functions that count, then allocate with
// malloc (see heap_count.hpp).
#include "heap_count.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<uint64_t> g_allocations{0};

void* counted(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}

void* counted_aligned(size_t size, std::align_val_t alignment) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const size_t a = static_cast<size_t>(alignment);
  return std::aligned_alloc(a, (size + a - 1) / a * a);
}

void* or_abort(void* p) {
  if (p == nullptr) std::abort();
  return p;
}

}  // namespace

namespace sable::testing {
uint64_t heap_allocations() {
  return g_allocations.load(std::memory_order_relaxed);
}
}  // namespace sable::testing

void* operator new(size_t size) {
  return or_abort(counted(size));
}
void* operator new[](size_t size) {
  return or_abort(counted(size));
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return counted(size);
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return counted(size);
}
void* operator new(size_t size, std::align_val_t al) {
  return or_abort(counted_aligned(size, al));
}
void* operator new[](size_t size, std::align_val_t al) {
  return or_abort(counted_aligned(size, al));
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  std::free(p);
}
