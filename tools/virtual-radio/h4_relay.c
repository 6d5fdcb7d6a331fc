// sable-h4-relay: re-frames an H4 byte stream between a device that writes
// one byte at a time (QEMU's emulated UART) and btvirt, which mis-parses H4
// that arrives in pieces (../shared/VIRTUAL-RADIO.md).
//
//   sable-h4-relay --controller PATH --listen PATH [--btsnoop FILE]
//                  [--accept-timeout-ms N] [--background]
//
// Connects to the controller's unix socket PATH, listens on the unix socket
// --listen (where QEMU connects with `-chardev socket,path=...`), accepts one
// client, then relays both ways. Each direction is parsed as H4 (packet type,
// header, payload) and every complete packet is forwarded in one write, so a
// reader never sees a packet split across writes. --btsnoop writes every
// packet to a BTSnoop file (datalink 1002, H4). --background returns (exit 0)
// once the listening socket exists and the controller is connected, and keeps
// relaying in a child process.
//
// Exits 0 when either side closes (the other side is closed too); 1 with a
// one-line error when the controller cannot be reached, the listening socket
// cannot be made, nobody connects within the accept timeout (default 30 s), or
// a side sends an unknown H4 packet type; 2 on bad usage.

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

enum { H4_CMD = 0x01, H4_ACL = 0x02, H4_SCO = 0x03, H4_EVT = 0x04, H4_ISO = 0x05 };
// Largest H4 packet: type + 4-octet ACL header + 65535 octets.
enum { MAX_PACKET = 1 + 4 + 65535 };

static const char* g_listen_path;
static bool g_listen_owned;

static void die(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("sable-h4-relay: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  if (g_listen_owned) unlink(g_listen_path);
  exit(1);
}

static void usage(void) {
  fputs(
      "usage: sable-h4-relay --controller PATH --listen PATH [--btsnoop FILE]\n"
      "                      [--accept-timeout-ms N] [--background]\n",
      stderr);
  exit(2);
}

static void set_addr(struct sockaddr_un* addr, const char* path) {
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof(addr->sun_path)) die("%s: socket path too long", path);
  memcpy(addr->sun_path, path, strlen(path) + 1);
}

static int connect_unix(const char* path) {
  struct sockaddr_un addr;
  set_addr(&addr, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0)
    die("controller %s: cannot connect: %s", path, strerror(errno));
  return fd;
}

static int listen_unix(const char* path) {
  struct sockaddr_un addr;
  set_addr(&addr, path);
  struct stat st;
  if (lstat(path, &st) == 0) {
    // A stale socket from an earlier run may be replaced; anything else not.
    if (!S_ISSOCK(st.st_mode)) die("%s exists and is not a socket", path);
    unlink(path);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  if (bind(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0)
    die("%s: cannot bind: %s", path, strerror(errno));
  g_listen_owned = true;
  if (listen(fd, 1) != 0) die("%s: cannot listen: %s", path, strerror(errno));
  return fd;
}

// ---- BTSnoop (datalink 1002: H4, the type octet is part of each record) ----

static FILE* g_snoop;

static void put_be32(uint8_t* p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void snoop_open(const char* path) {
  g_snoop = fopen(path, "wbe");
  if (!g_snoop) die("%s: %s", path, strerror(errno));
  static const uint8_t header[16] = {'b', 't', 's', 'n', 'o', 'o', 'p',  0,
                                     0,   0,   0,   1,   0,   0,   0x03, 0xEA};
  if (fwrite(header, sizeof header, 1, g_snoop) != 1 || fflush(g_snoop) != 0)
    die("%s: write failed", path);
}

static void snoop_record(bool to_controller, const uint8_t* pkt, size_t len) {
  if (!g_snoop) return;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  // Microseconds since midnight, January 1st, 0 AD.
  uint64_t ts = 0x00dcddb30f2f8000ULL + (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
  uint8_t type = pkt[0];
  uint32_t flags = (to_controller ? 0u : 1u) | ((type == H4_CMD || type == H4_EVT) ? 2u : 0u);
  uint8_t rec[24];
  put_be32(rec, (uint32_t)len);
  put_be32(rec + 4, (uint32_t)len);
  put_be32(rec + 8, flags);
  put_be32(rec + 12, 0);
  put_be32(rec + 16, (uint32_t)(ts >> 32));
  put_be32(rec + 20, (uint32_t)ts);
  fwrite(rec, sizeof rec, 1, g_snoop);
  fwrite(pkt, len, 1, g_snoop);
  fflush(g_snoop);
}

// ---- One direction: bytes in, whole H4 packets out ----

struct direction {
  const char* name;  // for errors: who sent the bytes
  int in;
  int out;
  bool to_controller;
  uint8_t buf[MAX_PACKET];
  size_t have;
};

// Length of the H4 packet at the start of buf, 0 if more octets are needed,
// -1 if the type is unknown.
static long h4_length(const uint8_t* buf, size_t have) {
  if (have < 1) return 0;
  size_t header = 0;
  switch (buf[0]) {
    case H4_CMD:
    case H4_SCO:
      header = 3;
      break;
    case H4_EVT:
      header = 2;
      break;
    case H4_ACL:
    case H4_ISO:
      header = 4;
      break;
    default:
      return -1;
  }
  if (have < 1 + header) return 0;
  size_t payload = 0;
  switch (buf[0]) {
    case H4_CMD:
    case H4_SCO:
      payload = buf[3];
      break;
    case H4_EVT:
      payload = buf[2];
      break;
    case H4_ACL:
      payload = (size_t)buf[3] | ((size_t)buf[4] << 8);
      break;
    default:  // ISO: 14-bit length
      payload = ((size_t)buf[3] | ((size_t)buf[4] << 8)) & 0x3FFF;
      break;
  }
  return (long)(1 + header + payload);
}

static bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

// Reads what is available and forwards every complete packet. Returns false
// when the input side closed or the output side failed.
static bool pump(struct direction* d) {
  ssize_t n = read(d->in, d->buf + d->have, sizeof d->buf - d->have);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  d->have += (size_t)n;
  size_t off = 0;
  for (;;) {
    long len = h4_length(d->buf + off, d->have - off);
    if (len < 0) die("%s sent an unknown H4 packet type 0x%02x", d->name, d->buf[off]);
    if (len == 0 || (size_t)len > d->have - off) break;
    snoop_record(d->to_controller, d->buf + off, (size_t)len);
    if (!write_all(d->out, d->buf + off, (size_t)len)) return false;
    off += (size_t)len;
  }
  memmove(d->buf, d->buf + off, d->have - off);
  d->have -= off;
  return true;
}

static long parse_num(const char* s, long min, long max) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || *end || end == s || v < min || v > max) usage();
  return v;
}

static struct direction g_up, g_down;

int main(int argc, char** argv) {
  const char* controller = NULL;
  const char* snoop = NULL;
  long accept_timeout_ms = 30000;
  bool background = false;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--controller") == 0 && has_value) {
      controller = argv[++i];
    } else if (strcmp(a, "--listen") == 0 && has_value) {
      g_listen_path = argv[++i];
    } else if (strcmp(a, "--btsnoop") == 0 && has_value) {
      snoop = argv[++i];
    } else if (strcmp(a, "--accept-timeout-ms") == 0 && has_value) {
      accept_timeout_ms = parse_num(argv[++i], 1, 3600000);
    } else if (strcmp(a, "--background") == 0) {
      background = true;
    } else {
      usage();
    }
  }
  if (!controller || !g_listen_path) usage();
  signal(SIGPIPE, SIG_IGN);

  int ctl = connect_unix(controller);
  int lfd = listen_unix(g_listen_path);
  if (snoop) snoop_open(snoop);

  if (background) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid > 0) _exit(0);
  }

  struct pollfd ap = {.fd = lfd, .events = POLLIN};
  int r;
  do {
    r = poll(&ap, 1, (int)accept_timeout_ms);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) die("%s: nobody connected within %ld ms", g_listen_path, accept_timeout_ms);
  int dev = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  if (dev < 0) die("accept: %s", strerror(errno));
  close(lfd);
  unlink(g_listen_path);
  g_listen_owned = false;

  g_up = (struct direction){.name = "the device", .in = dev, .out = ctl, .to_controller = true};
  g_down = (struct direction){.name = "the controller", .in = ctl, .out = dev};
  for (;;) {
    struct pollfd fds[2] = {{.fd = dev, .events = POLLIN}, {.fd = ctl, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll: %s", strerror(errno));
    }
    if (fds[0].revents && !pump(&g_up)) break;
    if (fds[1].revents && !pump(&g_down)) break;
  }
  close(dev);
  close(ctl);
  if (g_snoop) fclose(g_snoop);
  return 0;
}
