// Vector table and reset handler for the Cortex-M4 of mps2-an386.
#include <stdint.h>
#include <string.h>

#include "board.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __stack_bottom, __stack_top;

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);
void UART0_RX_Handler(void);
void board_init(void);
int main(int argc, char** argv);
void __libc_init_array(void);
void exit(int status) __attribute__((noreturn));

// The stack is painted with this word to find its peak use.
#define STACK_PAINT 0xA5A5A5A5u

__attribute__((section(".vectors"), used)) static void (*const g_vectors[16 + 32])(void) = {
    (void (*)(void))(&__stack_top),
    Reset_Handler,
    Default_Handler,    // NMI
    HardFault_Handler,  // HardFault
    Default_Handler,    // MemManage
    Default_Handler,    // BusFault
    Default_Handler,    // UsageFault
    0,
    0,
    0,
    0,
    Default_Handler,  // SVCall
    Default_Handler,  // DebugMon
    0,
    Default_Handler,  // PendSV
    SysTick_Handler,
    UART0_RX_Handler,  // IRQ 0: UART0 receive
    Default_Handler,   // IRQ 1: UART0 transmit (not enabled)
    Default_Handler,   // IRQ 2: UART1 receive (not enabled)
    Default_Handler,   // IRQ 3: UART1 transmit (not enabled)
    [20 ... 47] = Default_Handler,
};

__attribute__((naked, noreturn)) void Reset_Handler(void) {
  // Paint the stack below the current frame before anything uses it, with
  // no stack of our own in use (naked): r0 = bottom, r1 = top - 64.
  __asm volatile(
      "ldr r0, =__stack_bottom\n"
      "ldr r1, =__stack_top\n"
      "sub r1, r1, #64\n"
      "ldr r2, =0xA5A5A5A5\n"
      "1: cmp r0, r1\n"
      "bhs 2f\n"
      "str r2, [r0], #4\n"
      "b 1b\n"
      "2: b reset_continue\n");
}

__attribute__((noreturn, used)) void reset_continue(void) {
  memcpy(&__data_start, &__data_load, (size_t)((char*)&__data_end - (char*)&__data_start));
  memset(&__bss_start, 0, (size_t)((char*)&__bss_end - (char*)&__bss_start));
  board_init();
  __libc_init_array();
  // The reference program's command line: H4 on UART0.
  static char arg0[] = "secure-server";
  static char arg1[] = "--hci";
  static char arg2[] = "uart:uart0";
  static char* argv[] = {arg0, arg1, arg2, 0};
  exit(main(3, argv));
}

size_t board_stack_peak(void) {
  const uint32_t* p = &__stack_bottom;
  while (p < &__stack_top && *p == STACK_PAINT) ++p;
  return (size_t)((const char*)&__stack_top - (const char*)p);
}

size_t board_stack_size(void) {
  return (size_t)((const char*)&__stack_top - (const char*)&__stack_bottom);
}

void Default_Handler(void) {
  static const char msg[] = "firmware: unexpected interrupt\n";
  board_console_write(msg, sizeof msg - 1);
  board_exit(3);
}

void HardFault_Handler(void) {
  static const char msg[] = "firmware: hard fault\n";
  board_console_write(msg, sizeof msg - 1);
  board_exit(3);
}
