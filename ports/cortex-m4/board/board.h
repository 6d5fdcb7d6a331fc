// Board support for QEMU's mps2-an386 (Cortex-M4, 25 MHz): a 1 kHz SysTick
// clock, UART0 as the H4 transport (interrupt-driven receive into a ring
// buffer), UART1 as the console (stdout/stderr), WFI when idle, semihosting
// exit, and the memory figures the footprint report needs.
#ifndef SABLE_CM4_BOARD_H
#define SABLE_CM4_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Milliseconds since reset (SysTick, 1 kHz).
uint32_t board_millis(void);

// UART0 (H4): receive is interrupt-driven into a ring buffer; transmit waits
// for the one-octet holding register.
void board_hci_write(const uint8_t* data, size_t len);
// Copies up to max received octets into out; returns how many.
size_t board_hci_read(uint8_t* out, size_t max);
// Octets lost because the ring buffer was full (should stay 0).
uint32_t board_hci_overruns(void);

// UART1 (console).
void board_console_write(const char* data, size_t len);

// Sleeps (WFI) until an interrupt, unless received octets are waiting or
// deadline_ms (board_millis() time) has come.
void board_idle(uint32_t deadline_ms);

// Ends the QEMU run with this status (semihosting SYS_EXIT_EXTENDED).
void board_exit(int status) __attribute__((noreturn));

// Memory figures: the deepest the main stack has been (painted at reset) and
// the C heap's high-water mark (highest break handed out by _sbrk).
size_t board_stack_peak(void);
size_t board_stack_size(void);
size_t board_heap_peak(void);

// The bond store's reserved memory region (not initialised at reset).
uint8_t* board_bond_region(size_t* size);

#ifdef __cplusplus
}
#endif

#endif
