// Tests of sable-h4-relay against a fake controller (a unix socket this test
// listens on) and a fake device (this test as the QEMU side).
//
//   sable_h4_relay_test PATH/TO/sable-h4-relay
//
// Checks that every packet reaches the other side whole, in order, and never
// split across reads, for: headers split byte by byte, back-to-back packets in
// one write, an ACL packet then a command, both directions; EOF on either side
// ends the relay with status 0 and closes the other side; --btsnoop records;
// --background; bad input (missing controller, unknown packet type, usage).

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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char* g_relay;
static char g_dir[64];
static char g_ctl_path[96];
static char g_dev_path[96];
static int g_failures;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fputc('\n', stderr);                                            \
      ++g_failures;                                                   \
      return;                                                         \
    }                                                                 \
  } while (0)

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void set_addr(struct sockaddr_un* a, const char* path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  snprintf(a->sun_path, sizeof a->sun_path, "%s", path);
}

static int listen_at(const char* path) {
  struct sockaddr_un a;
  set_addr(&a, path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(fd, 4) != 0) {
    perror("fake controller");
    exit(1);
  }
  return fd;
}

// Connects to path, retrying for up to 3 s while the relay starts.
static int connect_retry(const char* path) {
  struct sockaddr_un a;
  set_addr(&a, path);
  for (int i = 0; i < 300; ++i) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) == 0) return fd;
    close(fd);
    sleep_ms(10);
  }
  return -1;
}

static int accept_timeout(int lfd, int ms) {
  struct pollfd p = {.fd = lfd, .events = POLLIN};
  if (poll(&p, 1, ms) <= 0) return -1;
  return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static pid_t spawn_relay(const char* extra1, const char* extra2) {
  pid_t pid = fork();
  if (pid == 0) {
    const char* args[10] = {g_relay,    "--controller",        g_ctl_path, "--listen",
                            g_dev_path, "--accept-timeout-ms", "3000"};
    int n = 7;
    if (extra1) args[n++] = extra1;
    if (extra2) args[n++] = extra2;
    args[n] = NULL;
    execv(g_relay, (char* const*)args);
    _exit(127);
  }
  return pid;
}

// Waits up to 3 s for pid; returns its exit status, or -1.
static int wait_exit(pid_t pid) {
  for (int i = 0; i < 300; ++i) {
    int st;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    sleep_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

struct session {
  pid_t relay;
  int lfd;  // fake controller's listening socket
  int ctl;  // fake controller's end
  int dev;  // fake device's end
};

static bool open_session(struct session* s, const char* extra1, const char* extra2) {
  s->lfd = listen_at(g_ctl_path);
  s->relay = spawn_relay(extra1, extra2);
  s->ctl = accept_timeout(s->lfd, 3000);
  s->dev = s->ctl >= 0 ? connect_retry(g_dev_path) : -1;
  return s->ctl >= 0 && s->dev >= 0;
}

static void close_session(struct session* s) {
  if (s->dev >= 0) close(s->dev);
  if (s->ctl >= 0) close(s->ctl);
  close(s->lfd);
  if (s->relay > 0) wait_exit(s->relay);
  unlink(g_ctl_path);
}

static void write_bytes(int fd, const uint8_t* p, size_t n, bool one_at_a_time) {
  if (!one_at_a_time) {
    if (write(fd, p, n) != (ssize_t)n) perror("write");
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    if (write(fd, p + i, 1) != 1) perror("write");
    if (i % 3 == 0) sleep_ms(1);  // let the relay see the pieces separately
  }
}

// Reads `total` octets from fd and checks that every read ends on one of the
// packet boundaries in `ends` (cumulative offsets). Returns the octets read.
static bool read_whole_packets(int fd, uint8_t* out, size_t total, const size_t* ends,
                               size_t n_ends, char* why, size_t why_len) {
  size_t got = 0;
  while (got < total) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 3000) <= 0) {
      snprintf(why, why_len, "timeout after %zu of %zu octets", got, total);
      return false;
    }
    ssize_t n = read(fd, out + got, total - got);
    if (n <= 0) {
      snprintf(why, why_len, "EOF after %zu of %zu octets", got, total);
      return false;
    }
    got += (size_t)n;
    bool boundary = false;
    for (size_t i = 0; i < n_ends; ++i) boundary = boundary || ends[i] == got;
    if (!boundary) {
      snprintf(why, why_len, "a read ended at octet %zu, inside a packet", got);
      return false;
    }
  }
  return true;
}

// A stream of packets: reset, read_bd_addr, acl(300), cmd, event, ...
struct stream {
  uint8_t bytes[2048];
  size_t len;
  size_t ends[32];
  size_t n;
};

static void add(struct stream* s, const uint8_t* p, size_t n) {
  memcpy(s->bytes + s->len, p, n);
  s->len += n;
  s->ends[s->n++] = s->len;
}

static void add_acl(struct stream* s, uint16_t handle, uint16_t len) {
  uint8_t p[5 + 400];
  p[0] = 0x02;
  p[1] = (uint8_t)handle;
  p[2] = (uint8_t)(handle >> 8);
  p[3] = (uint8_t)len;
  p[4] = (uint8_t)(len >> 8);
  for (uint16_t i = 0; i < len; ++i) p[5 + i] = (uint8_t)(i * 7 + 1);
  add(s, p, 5u + len);
}

static const uint8_t kReset[] = {0x01, 0x03, 0x0c, 0x00};
static const uint8_t kReadBdAddr[] = {0x01, 0x09, 0x10, 0x00};
static const uint8_t kSetAdvData[] = {0x01, 0x08, 0x20, 0x04, 0x03, 0x02, 0x01, 0x06};
static const uint8_t kCmdComplete[] = {0x04, 0x0e, 0x04, 0x01, 0x03, 0x0c, 0x00};
static const uint8_t kNumCompleted[] = {0x04, 0x13, 0x05, 0x01, 0x2a, 0x00, 0x01, 0x00};

static void check_transfer(int from, int to, const struct stream* s, bool one_at_a_time,
                           const char* what) {
  uint8_t got[2048];
  char why[128] = "";
  write_bytes(from, s->bytes, s->len, one_at_a_time);
  bool ok = read_whole_packets(to, got, s->len, s->ends, s->n, why, sizeof why);
  if (!ok || memcmp(got, s->bytes, s->len) != 0) {
    fprintf(stderr, "FAIL %s: %s\n", what, ok ? "octets differ" : why);
    ++g_failures;
  }
}

static void test_split_headers_both_directions(void) {
  struct session s;
  CHECK(open_session(&s, NULL, NULL), "relay did not come up");
  struct stream up = {0};
  add(&up, kReset, sizeof kReset);
  add(&up, kReadBdAddr, sizeof kReadBdAddr);
  add(&up, kSetAdvData, sizeof kSetAdvData);
  check_transfer(s.dev, s.ctl, &up, true, "device->controller, one octet per write");
  struct stream down = {0};
  add(&down, kCmdComplete, sizeof kCmdComplete);
  add(&down, kNumCompleted, sizeof kNumCompleted);
  add_acl(&down, 0x002a, 27);
  check_transfer(s.ctl, s.dev, &down, true, "controller->device, one octet per write");
  close_session(&s);
}

static void test_back_to_back(void) {
  struct session s;
  CHECK(open_session(&s, NULL, NULL), "relay did not come up");
  struct stream up = {0};
  for (int i = 0; i < 5; ++i) add(&up, kReadBdAddr, sizeof kReadBdAddr);
  add_acl(&up, 0x002a, 9);
  check_transfer(s.dev, s.ctl, &up, false, "five commands and an ACL in one write");
  // A write that ends three octets into the next packet.
  struct stream two = {0};
  add(&two, kSetAdvData, sizeof kSetAdvData);
  add(&two, kReset, sizeof kReset);
  write_bytes(s.dev, two.bytes, sizeof kSetAdvData + 3, false);
  sleep_ms(20);
  uint8_t got[64];
  char why[128] = "";
  size_t first_end[] = {sizeof kSetAdvData};
  bool ok = read_whole_packets(s.ctl, got, sizeof kSetAdvData, first_end, 1, why, sizeof why);
  CHECK(ok, "first packet: %s", why);
  struct pollfd p = {.fd = s.ctl, .events = POLLIN};
  CHECK(poll(&p, 1, 50) == 0, "a partial packet was forwarded");
  write_bytes(s.dev, two.bytes + sizeof kSetAdvData + 3, 1, false);
  size_t second_end[] = {sizeof kReset};
  ok = read_whole_packets(s.ctl, got, sizeof kReset, second_end, 1, why, sizeof why);
  CHECK(ok && memcmp(got, kReset, sizeof kReset) == 0, "second packet: %s", why);
  close_session(&s);
}

static void test_acl_then_command(void) {
  struct session s;
  CHECK(open_session(&s, NULL, NULL), "relay did not come up");
  struct stream up = {0};
  add_acl(&up, 0x002a, 300);  // two-octet length above 255
  add(&up, kReadBdAddr, sizeof kReadBdAddr);
  add_acl(&up, 0x102a, 0);
  add(&up, kReset, sizeof kReset);
  check_transfer(s.dev, s.ctl, &up, true, "ACL(300) then command, one octet per write");
  close_session(&s);
}

static void test_eof_device(void) {
  struct session s;
  CHECK(open_session(&s, NULL, NULL), "relay did not come up");
  close(s.dev);
  s.dev = -1;
  int st = wait_exit(s.relay);
  s.relay = 0;
  CHECK(st == 0, "relay exit status %d after device EOF", st);
  uint8_t b;
  struct pollfd p = {.fd = s.ctl, .events = POLLIN};
  CHECK(poll(&p, 1, 1000) == 1 && read(s.ctl, &b, 1) == 0, "controller side not closed");
  struct stat st_sock;
  CHECK(stat(g_dev_path, &st_sock) != 0, "listening socket file left behind");
  close_session(&s);
}

static void test_eof_controller(void) {
  struct session s;
  CHECK(open_session(&s, NULL, NULL), "relay did not come up");
  close(s.ctl);
  s.ctl = -1;
  int st = wait_exit(s.relay);
  s.relay = 0;
  CHECK(st == 0, "relay exit status %d after controller EOF", st);
  uint8_t b;
  struct pollfd p = {.fd = s.dev, .events = POLLIN};
  CHECK(poll(&p, 1, 1000) == 1 && read(s.dev, &b, 1) == 0, "device side not closed");
  close_session(&s);
}

static uint32_t be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_btsnoop(void) {
  char snoop[160];
  snprintf(snoop, sizeof snoop, "%s/capture.btsnoop", g_dir);
  struct session s;
  CHECK(open_session(&s, "--btsnoop", snoop), "relay did not come up");
  struct stream up = {0};
  add(&up, kReset, sizeof kReset);
  check_transfer(s.dev, s.ctl, &up, true, "capture: command");
  struct stream down = {0};
  add(&down, kCmdComplete, sizeof kCmdComplete);
  add_acl(&down, 0x002a, 5);
  check_transfer(s.ctl, s.dev, &down, false, "capture: event and ACL");
  close_session(&s);
  FILE* f = fopen(snoop, "rb");
  CHECK(f != NULL, "no capture file");
  uint8_t buf[256];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  CHECK(n == 16 + 3 * 24 + sizeof kReset + sizeof kCmdComplete + 10, "capture is %zu octets", n);
  CHECK(memcmp(buf, "btsnoop\0", 8) == 0 && be32(buf + 8) == 1 && be32(buf + 12) == 1002,
        "bad file header");
  const uint8_t* r = buf + 16;
  CHECK(be32(r) == 4 && be32(r + 8) == 2 && r[24] == 0x01, "record 1: command, sent");
  r += 24 + 4;
  CHECK(be32(r) == 7 && be32(r + 8) == 3 && r[24] == 0x04, "record 2: event, received");
  r += 24 + 7;
  CHECK(be32(r) == 10 && be32(r + 8) == 1 && r[24] == 0x02, "record 3: ACL, received");
}

static void test_background(void) {
  int lfd = listen_at(g_ctl_path);
  pid_t pid = spawn_relay("--background", NULL);
  int st = wait_exit(pid);
  CHECK(st == 0, "--background exit status %d", st);
  struct stat sb;
  CHECK(stat(g_dev_path, &sb) == 0 && S_ISSOCK(sb.st_mode), "not listening on return");
  int ctl = accept_timeout(lfd, 1000);
  int dev = connect_retry(g_dev_path);
  CHECK(ctl >= 0 && dev >= 0, "no connection through the background relay");
  struct stream up = {0};
  add(&up, kReset, sizeof kReset);
  check_transfer(dev, ctl, &up, true, "background relay");
  close(dev);
  uint8_t b;
  struct pollfd p = {.fd = ctl, .events = POLLIN};
  CHECK(poll(&p, 1, 2000) == 1 && read(ctl, &b, 1) == 0, "background relay did not exit");
  close(ctl);
  close(lfd);
  unlink(g_ctl_path);
}

// Runs the relay with stderr captured; returns its exit status.
static int run_capture(const char* const* args, char* err, size_t err_len) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    execv(g_relay, (char* const*)args);
    _exit(127);
  }
  close(pipefd[1]);
  int st = wait_exit(pid);
  ssize_t n = read(pipefd[0], err, err_len - 1);
  err[n > 0 ? n : 0] = 0;
  close(pipefd[0]);
  return st;
}

static int count_lines(const char* s) {
  int n = 0;
  for (; *s; ++s) n += *s == '\n';
  return n;
}

static void test_bad_input(void) {
  char err[512];
  const char* missing[] = {g_relay,    "--controller", "/nonexistent/sock",
                           "--listen", g_dev_path,     NULL};
  int st = run_capture(missing, err, sizeof err);
  CHECK(st == 1 && count_lines(err) == 1 && strstr(err, "cannot connect"),
        "missing controller: status %d, stderr '%s'", st, err);
  const char* no_args[] = {g_relay, "--listen", g_dev_path, NULL};
  st = run_capture(no_args, err, sizeof err);
  CHECK(st == 2, "missing --controller: status %d", st);

  struct session s;
  CHECK(open_session(&s, NULL, NULL), "relay did not come up");
  uint8_t junk[] = {0x07, 0x01, 0x02};
  write_bytes(s.dev, junk, sizeof junk, false);
  st = wait_exit(s.relay);
  s.relay = 0;
  CHECK(st == 1, "unknown packet type: status %d", st);
  close_session(&s);

  int lfd = listen_at(g_ctl_path);
  const char* lonely[] = {g_relay,    "--controller",        g_ctl_path, "--listen",
                          g_dev_path, "--accept-timeout-ms", "100",      NULL};
  st = run_capture(lonely, err, sizeof err);
  close(lfd);
  unlink(g_ctl_path);
  CHECK(st == 1 && strstr(err, "nobody connected"), "accept timeout: status %d, '%s'", st, err);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH/TO/sable-h4-relay\n", argv[0]);
    return 2;
  }
  g_relay = argv[1];
  snprintf(g_dir, sizeof g_dir, "/tmp/h4relay-test.XXXXXX");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(g_ctl_path, sizeof g_ctl_path, "%s/ctl", g_dir);
  snprintf(g_dev_path, sizeof g_dev_path, "%s/dev", g_dir);
  signal(SIGPIPE, SIG_IGN);

  test_split_headers_both_directions();
  test_back_to_back();
  test_acl_then_command();
  test_eof_device();
  test_eof_controller();
  test_btsnoop();
  test_background();
  test_bad_input();

  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_dir);
  if (g_failures) {
    fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  puts("all h4 relay tests passed");
  return 0;
}
