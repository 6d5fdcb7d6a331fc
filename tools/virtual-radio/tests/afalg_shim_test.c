// Drives libsable_afalg_shim.so through the AF_ALG socket API exactly as
// BlueZ's src/shared/crypto.c does, and checks FIPS-197 AES-128 and RFC 4493
// AES-CMAC vectors. Run with LD_PRELOAD=libsable_afalg_shim.so.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/if_alg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

static int g_failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      g_failures++;                                                            \
    }                                                                          \
  } while (0)

static size_t unhex(const char* hex, uint8_t* out) {
  size_t n = 0;
  for (; hex[0] && hex[1]; hex += 2) {
    unsigned v;
    sscanf(hex, "%2x", &v);
    out[n++] = (uint8_t)v;
  }
  return n;
}

static int alg_socket(const char* type, const char* name) {
  int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_alg sa;
  memset(&sa, 0, sizeof(sa));
  sa.salg_family = AF_ALG;
  strcpy((char*)sa.salg_type, type);
  strcpy((char*)sa.salg_name, name);
  if (bind(fd, (struct sockaddr*)&sa, sizeof(sa)) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static int alg_op(int tfm, const uint8_t* key, size_t key_len) {
  if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, (socklen_t)key_len) < 0) return -1;
  return accept(tfm, NULL, 0);
}

// AES-ECB via sendmsg(ALG_SET_OP) + read, like bluez alg_encrypt().
static void check_ecb(int tfm, const char* key_hex, const char* in_hex, const char* out_hex,
                      uint32_t op) {
  uint8_t key[32], in[64], want[64], got[64];
  size_t klen = unhex(key_hex, key), n = unhex(in_hex, in);
  unhex(out_hex, want);
  int fd = alg_op(tfm, key, klen);
  CHECK(fd >= 0);
  if (fd < 0) return;

  char cbuf[CMSG_SPACE(sizeof(op))];
  memset(cbuf, 0, sizeof(cbuf));
  struct iovec iov = {.iov_base = in, .iov_len = n};
  struct msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_ALG;
  c->cmsg_type = ALG_SET_OP;
  c->cmsg_len = CMSG_LEN(sizeof(op));
  memcpy(CMSG_DATA(c), &op, sizeof(op));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  CHECK(sendmsg(fd, &msg, 0) == (ssize_t)n);
  memset(got, 0, sizeof(got));
  CHECK(read(fd, got, n) == (ssize_t)n);
  if (memcmp(got, want, n) != 0) {
    fprintf(stderr, "ecb(aes) %s mismatch for key %s input %s\n",
            op == ALG_OP_ENCRYPT ? "encrypt" : "decrypt", key_hex, in_hex);
    g_failures++;
  }
  CHECK(close(fd) == 0);
}

// AES-CMAC via send + read, like bluez aes_cmac(); split > 0 sends the message
// in two parts with MSG_MORE, write_api uses write() instead of send().
static void check_cmac(int tfm, const char* key_hex, const char* msg_hex, const char* mac_hex,
                       size_t split, int write_api) {
  uint8_t key[16], m[64], want[16], got[16];
  size_t klen = unhex(key_hex, key), n = unhex(msg_hex, m);
  unhex(mac_hex, want);
  int fd = alg_op(tfm, key, klen);
  CHECK(fd >= 0);
  if (fd < 0) return;
  if (split > 0 && split < n) {
    CHECK(send(fd, m, split, MSG_MORE) == (ssize_t)split);
    CHECK(send(fd, m + split, n - split, 0) == (ssize_t)(n - split));
  } else if (write_api) {
    CHECK(write(fd, m, n) == (ssize_t)n);
  } else if (n > 0) {
    CHECK(send(fd, m, n, 0) == (ssize_t)n);
  }
  memset(got, 0, sizeof(got));
  CHECK(recv(fd, got, sizeof(got), 0) == 16);
  if (memcmp(got, want, 16) != 0) {
    fprintf(stderr, "cmac(aes) mismatch for message of %zu bytes (split %zu)\n", n, split);
    g_failures++;
  }
  CHECK(close(fd) == 0);
}

int main(void) {
  const char* (*version)(void) =
      (const char* (*)(void))dlsym(RTLD_DEFAULT, "sable_afalg_shim_version");
  if (!version) {
    fprintf(stderr, "libsable_afalg_shim.so is not loaded (run with LD_PRELOAD)\n");
    return 1;
  }

  int ecb = alg_socket("skcipher", "ecb(aes)");
  int cmac = alg_socket("hash", "cmac(aes)");
  CHECK(ecb >= 0);
  CHECK(cmac >= 0);
  if (ecb < 0 || cmac < 0) return 1;

  // FIPS-197 Appendix B and Appendix C.1 (AES-128), both directions.
  check_ecb(ecb, "2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734",
            "3925841d02dc09fbdc118597196a0b32", ALG_OP_ENCRYPT);
  check_ecb(ecb, "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
            "69c4e0d86a7b0430d8cdb78070b4c55a", ALG_OP_ENCRYPT);
  check_ecb(ecb, "000102030405060708090a0b0c0d0e0f", "69c4e0d86a7b0430d8cdb78070b4c55a",
            "00112233445566778899aabbccddeeff", ALG_OP_DECRYPT);
  // Two blocks in one request (ECB: each block on its own).
  check_ecb(ecb, "000102030405060708090a0b0c0d0e0f",
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            "69c4e0d86a7b0430d8cdb78070b4c55a69c4e0d86a7b0430d8cdb78070b4c55a", ALG_OP_ENCRYPT);

  // RFC 4493 section 4 examples 1-4.
  const char* k = "2b7e151628aed2a6abf7158809cf4f3c";
  const char* m64 =
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  char m16[33], m40[81];
  snprintf(m16, sizeof(m16), "%.32s", m64);
  snprintf(m40, sizeof(m40), "%.80s", m64);
  check_cmac(cmac, k, "", "bb1d6929e95937287fa37d129b756746", 0, 0);
  check_cmac(cmac, k, m16, "070a16b46b4d4144f79bdd9dd04a287c", 0, 0);
  check_cmac(cmac, k, m40, "dfa66747de9ae63030ca32611497c827", 0, 0);
  check_cmac(cmac, k, m64, "51f0bebf7e3b9d92fc49741779363cfe", 0, 0);
  check_cmac(cmac, k, m40, "dfa66747de9ae63030ca32611497c827", 17, 0);
  check_cmac(cmac, k, m64, "51f0bebf7e3b9d92fc49741779363cfe", 0, 1);

  // Errors the kernel would give: unknown algorithm, accept without key, bad key.
  errno = 0;
  CHECK(alg_socket("hash", "sha1") < 0 && errno == ENOENT);
  int nokey = alg_socket("hash", "cmac(aes)");
  CHECK(nokey >= 0);
  errno = 0;
  CHECK(accept(nokey, NULL, 0) < 0 && errno == ENOKEY);
  uint8_t badkey[5] = {0};
  CHECK(setsockopt(nokey, SOL_ALG, ALG_SET_KEY, badkey, sizeof(badkey)) < 0 && errno == EINVAL);
  CHECK(close(nokey) == 0);

  // Ordinary fds pass through untouched.
  int p[2];
  CHECK(pipe(p) == 0);
  CHECK(write(p[1], "abc", 3) == 3);
  char buf[4] = {0};
  CHECK(read(p[0], buf, sizeof(buf)) == 3 && memcmp(buf, "abc", 3) == 0);
  CHECK(close(p[0]) == 0 && close(p[1]) == 0);

  // SIGPIPE is ignored at load and cannot be reset to the default action.
  struct sigaction sa;
  CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);
  signal(SIGPIPE, SIG_DFL);
  CHECK(sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);

  // /tmp/bt-server-* unix paths move into $SABLE_VRADIO_DIR.
  char dir[] = "/tmp/sable-shim-test.XXXXXX";
  CHECK(mkdtemp(dir) != NULL);
  setenv("SABLE_VRADIO_DIR", dir, 1);
  int us = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un;
  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  char name[64];
  snprintf(name, sizeof(name), "/tmp/bt-server-shimtest-%d", (int)getpid());
  strcpy(un.sun_path, name);
  CHECK(bind(us, (struct sockaddr*)&un, sizeof(un)) == 0);
  char moved[256];
  snprintf(moved, sizeof(moved), "%s/%s", dir, name + strlen("/tmp/"));
  struct stat st;
  CHECK(stat(moved, &st) == 0 && S_ISSOCK(st.st_mode));
  CHECK(access(name, F_OK) != 0);
  CHECK(unlink(name) == 0);
  CHECK(access(moved, F_OK) != 0);
  close(us);
  rmdir(dir);

  close(ecb);
  close(cmac);
  if (g_failures) {
    fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  printf("afalg shim: FIPS-197 and RFC 4493 vectors OK\n");
  return 0;
}
