// Board support for mps2-an386 under QEMU (see board.h). Peripherals:
// CMSDK APB UARTs (UART0 0x40004000, RX IRQ 0; UART1 0x40005000), SysTick,
// NVIC. Newlib's system calls route stdout/stderr to UART1.
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board.h"

#define REG32(addr) (*(volatile uint32_t*)(addr))

// CMSDK APB UART registers.
#define UART_DATA(base) REG32((base) + 0x00)
#define UART_STATE(base) REG32((base) + 0x04)
#define UART_CTRL(base) REG32((base) + 0x08)
#define UART_INTSTATUS(base) REG32((base) + 0x0C)
#define UART_BAUDDIV(base) REG32((base) + 0x10)
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_EN 0x1u
#define UART_CTRL_RX_EN 0x2u
#define UART_CTRL_RX_INT_EN 0x8u
#define UART_INT_RX 0x2u

#define UART0 0x40004000u
#define UART1 0x40005000u

#define SYST_CSR REG32(0xE000E010u)
#define SYST_RVR REG32(0xE000E014u)
#define SYST_CVR REG32(0xE000E018u)
#define NVIC_ISER0 REG32(0xE000E100u)

#define CPU_HZ 25000000u

static volatile uint32_t g_millis;

// H4 receive ring: written by the UART0 interrupt, read by the run loop.
#define RX_RING_SIZE 8192u
static uint8_t g_rx[RX_RING_SIZE];
static volatile uint32_t g_rx_head;  // written by the interrupt
static volatile uint32_t g_rx_tail;  // written by the loop
static volatile uint32_t g_rx_overruns;

static void uart_init(uint32_t base, uint32_t ctrl) {
  UART_BAUDDIV(base) = 16;  // must be >= 16 before TX is enabled
  UART_CTRL(base) = ctrl;
}

void board_init(void) {
  uart_init(UART1, UART_CTRL_TX_EN);
  uart_init(UART0, UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INT_EN);
  NVIC_ISER0 = 1u << 0;  // UART0 RX
  SYST_RVR = CPU_HZ / 1000u - 1u;
  SYST_CVR = 0;
  SYST_CSR = 0x7u;  // processor clock, interrupt, enable
}

void SysTick_Handler(void) {
  g_millis = g_millis + 1u;
}

void UART0_RX_Handler(void) {
  // Clear first, then drain: a byte arriving in between raises it again.
  UART_INTSTATUS(UART0) = UART_INT_RX;
  while (UART_STATE(UART0) & UART_STATE_RX_FULL) {
    uint8_t b = (uint8_t)UART_DATA(UART0);
    uint32_t head = g_rx_head;
    if (head - g_rx_tail >= RX_RING_SIZE) {
      g_rx_overruns = g_rx_overruns + 1u;
      continue;
    }
    g_rx[head % RX_RING_SIZE] = b;
    g_rx_head = head + 1u;
  }
}

uint32_t board_millis(void) {
  return g_millis;
}

static void uart_put(uint32_t base, uint8_t b) {
  while (UART_STATE(base) & UART_STATE_TX_FULL) {
  }
  UART_DATA(base) = b;
}

void board_hci_write(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) uart_put(UART0, data[i]);
}

size_t board_hci_read(uint8_t* out, size_t max) {
  uint32_t tail = g_rx_tail;
  uint32_t head = g_rx_head;
  size_t n = 0;
  while (tail != head && n < max) out[n++] = g_rx[tail++ % RX_RING_SIZE];
  g_rx_tail = tail;
  return n;
}

uint32_t board_hci_overruns(void) {
  return g_rx_overruns;
}

void board_console_write(const char* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    if (data[i] == '\n') uart_put(UART1, '\r');
    uart_put(UART1, (uint8_t)data[i]);
  }
}

void board_idle(uint32_t deadline_ms) {
  // Interrupts masked between the check and WFI, so that a byte arriving in
  // between still wakes the core (WFI wakes on a pending masked interrupt).
  __asm volatile("cpsid i" ::: "memory");
  if (g_rx_head == g_rx_tail && (int32_t)(deadline_ms - g_millis) > 0) __asm volatile("wfi");
  __asm volatile("cpsie i" ::: "memory");
}

void board_exit(int status) {
  // SYS_EXIT_EXTENDED (0x20): {ADP_Stopped_ApplicationExit, status}.
  volatile uint32_t block[2] = {0x20026u, (uint32_t)status};
  register uint32_t r0 __asm("r0") = 0x20u;
  register volatile uint32_t* r1 __asm("r1") = block;
  __asm volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
  for (;;) {
  }
}

uint8_t* board_bond_region(size_t* size) {
  extern uint8_t __bond_region_start[], __bond_region_end[];
  *size = (size_t)(__bond_region_end - __bond_region_start);
  return __bond_region_start;
}

// ---- newlib system calls ----

extern char __heap_start[], __heap_end[];
static char* g_brk = __heap_start;

size_t board_heap_peak(void) {
  return (size_t)(g_brk - __heap_start);
}

void* _sbrk(ptrdiff_t incr) {
  char* old = g_brk;
  if (incr > __heap_end - g_brk) {
    errno = ENOMEM;
    return (void*)-1;
  }
  g_brk += incr;
  return old;
}

int _write(int fd, const char* buf, int len) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  board_console_write(buf, (size_t)len);
  return len;
}

int _read(int fd, char* buf, int len) {
  (void)fd;
  (void)buf;
  (void)len;
  return 0;
}

int _close(int fd) {
  (void)fd;
  return -1;
}

int _fstat(int fd, struct stat* st) {
  (void)fd;
  st->st_mode = S_IFCHR;
  return 0;
}

int _isatty(int fd) {
  return fd <= 2;
}

off_t _lseek(int fd, off_t off, int whence) {
  (void)fd;
  (void)off;
  (void)whence;
  return 0;
}

void _exit(int status) {
  board_exit(status);
}

int _kill(int pid, int sig) {
  (void)pid;
  (void)sig;
  errno = EINVAL;
  return -1;
}

int _getpid(void) {
  return 1;
}
