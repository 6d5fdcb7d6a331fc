// How many times the firmware has allocated from the C heap since reset
// (malloc, calloc, realloc, and so operator new): issue 17's "no heap after
// start-up" is read off this count in the memory line (board_device.cpp).
#pragma once

#include <cstddef>

size_t runtime_heap_allocations();
