// sable-hci-probe: checks that an H4 HCI controller answers on a unix socket.
//
//   sable-hci-probe SOCKETPATH [--timeout-ms N] [--count N]
//
// For each of --count connections (all opened first and held until the end,
// so btvirt gives each its own controller) it sends HCI_Reset and
// HCI_Read_BD_ADDR, each H4 packet in one write, waits for their Command
// Complete events, and prints the controller's BD_ADDR (one line each,
// "00:AA:01:00:00:42"). Exit 0 on success; 1 with a one-line error on stderr
// when the socket is missing or refuses, the controller closes, fails the
// command or does not answer within the timeout (total, default 2000 ms);
// 2 on bad usage.

#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 16

enum { H4_CMD = 0x01, H4_ACL = 0x02, H4_SCO = 0x03, H4_EVT = 0x04, H4_ISO = 0x05 };
enum { EVT_CMD_COMPLETE = 0x0e, EVT_CMD_STATUS = 0x0f };
enum { OP_RESET = 0x0c03, OP_READ_BD_ADDR = 0x1009 };

static const char* g_path;
static long g_timeout_ms = 2000;
static int64_t g_deadline_ms;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "sable-hci-probe: %s: ", g_path ? g_path : "?");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: sable-hci-probe SOCKETPATH [--timeout-ms N] [--count N]\n");
  exit(2);
}

static long parse_num(const char* s, long min, long max) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < min || v > max) usage();
  return v;
}

static int connect_unix(const char* path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(addr.sun_path)) die("socket path too long");
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0)
    die("cannot connect: %s", strerror(errno));
  return fd;
}

static void send_command(int fd, uint16_t opcode) {
  const uint8_t pkt[4] = {H4_CMD, (uint8_t)(opcode & 0xff), (uint8_t)(opcode >> 8), 0};
  ssize_t n;
  do {
    n = send(fd, pkt, sizeof(pkt), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
    die("connection closed by the controller before command 0x%04x could be sent", opcode);
  if (n != (ssize_t)sizeof(pkt))
    die("write of command 0x%04x failed: %s", opcode, n < 0 ? strerror(errno) : "short write");
}

struct reader {
  uint8_t buf[4096];
  size_t len;
};

// Blocks until one whole H4 packet is buffered; returns its total length.
static size_t next_packet(int fd, struct reader* r, const char* waiting_for) {
  for (;;) {
    if (r->len >= 1) {
      size_t hdr = 0, plen = 0;
      switch (r->buf[0]) {
        case H4_EVT:
          hdr = 3;
          if (r->len >= hdr) plen = r->buf[2];
          break;
        case H4_ACL:
          hdr = 5;
          if (r->len >= hdr) plen = (size_t)r->buf[3] | ((size_t)r->buf[4] << 8);
          break;
        case H4_SCO:
          hdr = 4;
          if (r->len >= hdr) plen = r->buf[3];
          break;
        case H4_ISO:
          hdr = 5;
          if (r->len >= hdr) plen = ((size_t)r->buf[3] | ((size_t)r->buf[4] << 8)) & 0x3fff;
          break;
        default:
          die("unexpected H4 packet type 0x%02x while waiting for %s", r->buf[0], waiting_for);
      }
      if (hdr + plen > sizeof(r->buf)) die("oversized H4 packet while waiting for %s", waiting_for);
      if (r->len >= hdr && r->len >= hdr + plen) return hdr + plen;
    }
    int64_t left = g_deadline_ms - now_ms();
    if (left <= 0) die("timed out after %ld ms waiting for %s", g_timeout_ms, waiting_for);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int pr = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
    if (pr < 0 && errno != EINTR) die("poll: %s", strerror(errno));
    if (pr <= 0) continue;
    ssize_t n = recv(fd, r->buf + r->len, sizeof(r->buf) - r->len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET)
      die("connection closed by the controller (reset) while waiting for %s", waiting_for);
    if (n < 0) die("read failed while waiting for %s: %s", waiting_for, strerror(errno));
    if (n == 0) die("connection closed by the controller (EOF) while waiting for %s", waiting_for);
    r->len += (size_t)n;
  }
}

static void consume(struct reader* r, size_t n) {
  memmove(r->buf, r->buf + n, r->len - n);
  r->len -= n;
}

// Sends a parameterless command and returns its Command Complete return
// parameters (status first) in out; returns their length.
static size_t run_command(int fd, struct reader* r, uint16_t opcode, const char* name, uint8_t* out,
                          size_t out_size) {
  char what[96];
  snprintf(what, sizeof(what), "Command Complete for %s (0x%04x)", name, opcode);
  send_command(fd, opcode);
  for (;;) {
    size_t n = next_packet(fd, r, what);
    const uint8_t* p = r->buf;
    if (p[0] == H4_EVT && p[1] == EVT_CMD_COMPLETE && p[2] >= 4 && (p[4] | (p[5] << 8)) == opcode) {
      size_t rlen = (size_t)p[2] - 3;
      if (rlen > out_size) rlen = out_size;
      memcpy(out, p + 6, rlen);
      consume(r, n);
      if (out[0] != 0) die("%s failed with status 0x%02x", name, out[0]);
      return rlen;
    }
    if (p[0] == H4_EVT && p[1] == EVT_CMD_STATUS && p[2] >= 4 && (p[5] | (p[6] << 8)) == opcode &&
        p[3] != 0) {
      die("%s rejected with Command Status 0x%02x", name, p[3]);
    }
    consume(r, n);
  }
}

int main(int argc, char** argv) {
  long count = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
      g_timeout_ms = parse_num(argv[++i], 1, 3600000);
    } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
      count = parse_num(argv[++i], 1, MAX_COUNT);
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage();
    } else if (argv[i][0] == '-' || g_path) {
      usage();
    } else {
      g_path = argv[i];
    }
  }
  if (!g_path) usage();
  g_deadline_ms = now_ms() + g_timeout_ms;

  int fds[MAX_COUNT];
  for (long i = 0; i < count; i++) fds[i] = connect_unix(g_path);
  static struct reader readers[MAX_COUNT];
  for (long i = 0; i < count; i++) {
    uint8_t rp[256];
    run_command(fds[i], &readers[i], OP_RESET, "HCI_Reset", rp, sizeof(rp));
    size_t n =
        run_command(fds[i], &readers[i], OP_READ_BD_ADDR, "HCI_Read_BD_ADDR", rp, sizeof(rp));
    if (n < 7) die("HCI_Read_BD_ADDR returned %zu bytes, expected 7", n);
    printf("%02X:%02X:%02X:%02X:%02X:%02X\n", rp[6], rp[5], rp[4], rp[3], rp[2], rp[1]);
  }
  fflush(stdout);
  for (long i = 0; i < count; i++) close(fds[i]);
  return 0;
}
