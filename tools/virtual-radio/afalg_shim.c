// libsable_afalg_shim.so: LD_PRELOAD shim that lets BlueZ's btvirt run on a
// kernel without AF_ALG sockets, and keeps parallel btvirt runs apart.
//
// 1. AF_ALG emulation in user space (mbedTLS) for exactly two algorithms:
//    "skcipher"/"ecb(aes)" and "hash"/"cmac(aes)". Each fake socket is backed
//    by a real memfd (so close/poll/fcntl keep working and the fd number is
//    owned by us); per-fd state lives in a table indexed by fd. Interposed:
//    socket, bind, setsockopt, accept, accept4, sendmsg, send, write, read,
//    recv, close. Everything that is not an emulated fd goes to libc.
// 2. SIGPIPE is ignored at load time; later attempts to restore its default
//    action through signal()/sigaction() are turned into SIG_IGN.
// 3. AF_UNIX bind()/unlink() of paths under /tmp/bt-server-* are moved into
//    the directory named by $SABLE_VRADIO_DIR (when set).
//
// Test hook: SABLE_AFALG_SHIM_NO_CRYPTO=1 disables (1) only.

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#if !defined(MBEDTLS_CMAC_C)
#error "mbedTLS was built without MBEDTLS_CMAC_C"
#endif

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define SHIM_EXPORT __attribute__((visibility("default")))

// ---------------------------------------------------------------------------
// Real libc entry points, resolved lazily with RTLD_NEXT.

#define REAL(name) real_##name()
#define DEFINE_REAL(ret, name, params)                    \
  typedef ret(*name##_fn) params;                         \
  static name##_fn real_##name(void) {                    \
    static name##_fn fn;                                  \
    name##_fn f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
    if (!f) {                                             \
      f = (name##_fn)dlsym(RTLD_NEXT, #name);             \
      if (!f) abort();                                    \
      __atomic_store_n(&fn, f, __ATOMIC_RELEASE);         \
    }                                                     \
    return f;                                             \
  }

DEFINE_REAL(int, socket, (int, int, int))
DEFINE_REAL(int, bind, (int, const struct sockaddr*, socklen_t))
DEFINE_REAL(int, setsockopt, (int, int, int, const void*, socklen_t))
DEFINE_REAL(int, accept, (int, struct sockaddr*, socklen_t*))
DEFINE_REAL(int, accept4, (int, struct sockaddr*, socklen_t*, int))
DEFINE_REAL(ssize_t, sendmsg, (int, const struct msghdr*, int))
DEFINE_REAL(ssize_t, send, (int, const void*, size_t, int))
DEFINE_REAL(ssize_t, write, (int, const void*, size_t))
DEFINE_REAL(ssize_t, read, (int, void*, size_t))
DEFINE_REAL(ssize_t, recv, (int, void*, size_t, int))
DEFINE_REAL(int, close, (int))
DEFINE_REAL(int, unlink, (const char*))
DEFINE_REAL(int, sigaction, (int, const struct sigaction*, struct sigaction*))
DEFINE_REAL(sighandler_t, signal, (int, sighandler_t))

// ---------------------------------------------------------------------------
// Emulated AF_ALG sockets.

enum alg_kind { KIND_NONE = 0, KIND_ECB_AES, KIND_CMAC_AES };
enum alg_role { ROLE_TFM = 0, ROLE_OP };

#define SHIM_MAX_FD 4096
#define SHIM_MAX_PENDING (64 * 1024)
#define AES_BLOCK 16

struct alg_sock {
  dev_t dev;  // identity of the backing memfd, to detect fds closed behind our back
  ino_t ino;
  enum alg_role role;
  enum alg_kind kind;
  uint8_t key[32];
  size_t key_len;
  bool encrypt;      // skcipher direction (ALG_SET_OP); kernel default is decrypt
  uint8_t* pending;  // skcipher input not yet read / hash message so far
  size_t pending_len;
  uint8_t digest[AES_BLOCK];
  bool digest_ready;
};

static struct alg_sock* g_table[SHIM_MAX_FD];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static bool crypto_enabled(void) {
  const char* v = getenv("SABLE_AFALG_SHIM_NO_CRYPTO");
  return !(v && v[0] && strcmp(v, "0") != 0);
}

static void sock_free(struct alg_sock* s) {
  if (!s) return;
  explicit_bzero(s->key, sizeof(s->key));
  if (s->pending) {
    explicit_bzero(s->pending, s->pending_len);
    free(s->pending);
  }
  explicit_bzero(s->digest, sizeof(s->digest));
  free(s);
}

// Cheap unlocked check used on every read/write/close in the process.
static bool maybe_alg(int fd) {
  return fd >= 0 && fd < SHIM_MAX_FD && __atomic_load_n(&g_table[fd], __ATOMIC_ACQUIRE) != NULL;
}

// With g_lock held: the entry for fd, or NULL. Drops a stale entry whose fd was
// closed without going through close() (and reused for something else).
static struct alg_sock* lookup_locked(int fd) {
  if (fd < 0 || fd >= SHIM_MAX_FD) return NULL;
  struct alg_sock* s = g_table[fd];
  if (!s) return NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_dev != s->dev || st.st_ino != s->ino) {
    __atomic_store_n(&g_table[fd], NULL, __ATOMIC_RELEASE);
    sock_free(s);
    return NULL;
  }
  return s;
}

// New backing fd + table entry. Returns the fd or -1 with errno set.
static int new_alg_fd(const struct alg_sock* proto, bool cloexec, bool nonblock) {
  int fd = memfd_create("sable-afalg", cloexec ? MFD_CLOEXEC : 0);
  if (fd < 0) return -1;
  if (fd >= SHIM_MAX_FD) {
    REAL(close)(fd);
    errno = EMFILE;
    return -1;
  }
  if (nonblock) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  }
  struct stat st;
  struct alg_sock* s = calloc(1, sizeof(*s));
  if (!s || fstat(fd, &st) != 0) {
    int e = s ? errno : ENOMEM;
    free(s);
    REAL(close)(fd);
    errno = e;
    return -1;
  }
  if (proto) *s = *proto;
  s->pending = NULL;
  s->pending_len = 0;
  s->digest_ready = false;
  s->dev = st.st_dev;
  s->ino = st.st_ino;
  pthread_mutex_lock(&g_lock);
  struct alg_sock* old = g_table[fd];
  __atomic_store_n(&g_table[fd], s, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&g_lock);
  sock_free(old);
  return fd;
}

static int fail(int err) {
  errno = err;
  return -1;
}

static bool aes_ecb(const uint8_t* key, size_t key_len, bool encrypt, const uint8_t* in,
                    uint8_t* out, size_t len) {
  mbedtls_aes_context ctx;
  mbedtls_aes_init(&ctx);
  unsigned bits = (unsigned)(key_len * 8);
  int rc =
      encrypt ? mbedtls_aes_setkey_enc(&ctx, key, bits) : mbedtls_aes_setkey_dec(&ctx, key, bits);
  for (size_t off = 0; rc == 0 && off < len; off += AES_BLOCK) {
    rc = mbedtls_aes_crypt_ecb(&ctx, encrypt ? MBEDTLS_AES_ENCRYPT : MBEDTLS_AES_DECRYPT, in + off,
                               out + off);
  }
  mbedtls_aes_free(&ctx);
  return rc == 0;
}

static bool aes_cmac(const uint8_t* key, size_t key_len, const uint8_t* msg, size_t len,
                     uint8_t out[AES_BLOCK]) {
  mbedtls_cipher_type_t type = key_len == 16   ? MBEDTLS_CIPHER_AES_128_ECB
                               : key_len == 24 ? MBEDTLS_CIPHER_AES_192_ECB
                                               : MBEDTLS_CIPHER_AES_256_ECB;
  const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_type(type);
  static const uint8_t empty[1];
  return info && mbedtls_cipher_cmac(info, key, key_len * 8, msg ? msg : empty, len, out) == 0;
}

static bool finish_hash(struct alg_sock* s) {
  bool ok = aes_cmac(s->key, s->key_len, s->pending, s->pending_len, s->digest);
  if (s->pending) explicit_bzero(s->pending, s->pending_len);
  s->pending_len = 0;
  s->digest_ready = ok;
  return ok;
}

// Appends iov data to an op socket. With g_lock held.
static ssize_t op_send(struct alg_sock* s, const struct iovec* iov, size_t iovcnt, int flags) {
  if (s->role != ROLE_OP) return fail(EOPNOTSUPP);
  size_t total = 0;
  for (size_t i = 0; i < iovcnt; i++) total += iov[i].iov_len;
  if (total > SHIM_MAX_PENDING || s->pending_len + total > SHIM_MAX_PENDING) return fail(ENOBUFS);
  if (total > 0) {
    uint8_t* p = realloc(s->pending, s->pending_len + total);
    if (!p) return fail(ENOMEM);
    s->pending = p;
    for (size_t i = 0; i < iovcnt; i++) {
      if (iov[i].iov_len == 0) continue;
      memcpy(s->pending + s->pending_len, iov[i].iov_base, iov[i].iov_len);
      s->pending_len += iov[i].iov_len;
    }
  }
  if (s->kind == KIND_CMAC_AES) {
    s->digest_ready = false;
    if (!(flags & MSG_MORE) && !finish_hash(s)) return fail(EINVAL);
  }
  return (ssize_t)total;
}

// Reads a result from an op socket. With g_lock held.
static ssize_t op_recv(struct alg_sock* s, void* buf, size_t len) {
  if (s->role != ROLE_OP) return fail(EOPNOTSUPP);
  if (s->kind == KIND_CMAC_AES) {
    if (!s->digest_ready && !finish_hash(s)) return fail(EINVAL);
    size_t n = len < AES_BLOCK ? len : AES_BLOCK;
    memcpy(buf, s->digest, n);
    return (ssize_t)n;
  }
  // ecb(aes): process whole blocks of what was sent.
  if (s->pending_len == 0) return fail(EAGAIN);
  size_t n = len < s->pending_len ? len : s->pending_len;
  n -= n % AES_BLOCK;
  if (n == 0) return fail(EINVAL);
  if (!aes_ecb(s->key, s->key_len, s->encrypt, s->pending, buf, n)) return fail(EINVAL);
  explicit_bzero(s->pending, n);
  memmove(s->pending, s->pending + n, s->pending_len - n);
  s->pending_len -= n;
  return (ssize_t)n;
}

static int alg_bind(struct alg_sock* s, const struct sockaddr* addr, socklen_t len) {
  if (s->role != ROLE_TFM) return fail(EINVAL);
  if (!addr || len < (socklen_t)sizeof(struct sockaddr_alg) || addr->sa_family != AF_ALG)
    return fail(EINVAL);
  struct sockaddr_alg sa;
  memcpy(&sa, addr, sizeof(sa));
  sa.salg_type[sizeof(sa.salg_type) - 1] = 0;
  sa.salg_name[sizeof(sa.salg_name) - 1] = 0;
  const char* type = (const char*)sa.salg_type;
  const char* name = (const char*)sa.salg_name;
  enum alg_kind kind = KIND_NONE;
  if (strcmp(type, "skcipher") == 0 && strcmp(name, "ecb(aes)") == 0) kind = KIND_ECB_AES;
  if (strcmp(type, "hash") == 0 && strcmp(name, "cmac(aes)") == 0) kind = KIND_CMAC_AES;
  if (kind == KIND_NONE) return fail(ENOENT);
  s->kind = kind;
  explicit_bzero(s->key, sizeof(s->key));
  s->key_len = 0;
  return 0;
}

static int alg_accept(int fd, socklen_t* addrlen, int flags) {
  pthread_mutex_lock(&g_lock);
  struct alg_sock* s = lookup_locked(fd);
  struct alg_sock proto;
  memset(&proto, 0, sizeof(proto));
  int err = 0;
  if (!s || s->role != ROLE_TFM || s->kind == KIND_NONE) {
    err = EINVAL;
  } else if (s->key_len == 0) {
    err = ENOKEY;
  } else {
    proto = *s;
  }
  pthread_mutex_unlock(&g_lock);
  if (err) return fail(err);
  proto.role = ROLE_OP;
  proto.encrypt = false;
  int nfd = new_alg_fd(&proto, (flags & SOCK_CLOEXEC) != 0, (flags & SOCK_NONBLOCK) != 0);
  explicit_bzero(&proto, sizeof(proto));
  if (nfd >= 0 && addrlen) *addrlen = 0;
  return nfd;
}

// ---------------------------------------------------------------------------
// Interposed socket API.

SHIM_EXPORT int socket(int domain, int type, int protocol) {
  if (domain != AF_ALG || !crypto_enabled()) return REAL(socket)(domain, type, protocol);
  if ((type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) != SOCK_SEQPACKET) return fail(ESOCKTNOSUPPORT);
  if (protocol != 0) return fail(EPROTONOSUPPORT);
  struct alg_sock proto;
  memset(&proto, 0, sizeof(proto));
  proto.role = ROLE_TFM;
  return new_alg_fd(&proto, (type & SOCK_CLOEXEC) != 0, (type & SOCK_NONBLOCK) != 0);
}

static const char kBtServerPrefix[] = "/tmp/bt-server-";

// If path is one of btvirt's fixed server paths and SABLE_VRADIO_DIR is set,
// writes the relocated path to out. Returns 1 if relocated, 0 if not, -1 with
// errno = ENAMETOOLONG if it does not fit.
static int relocate_path(const char* path, char* out, size_t out_size) {
  const char* dir = getenv("SABLE_VRADIO_DIR");
  if (!path || !dir || !dir[0] || strncmp(path, kBtServerPrefix, sizeof(kBtServerPrefix) - 1) != 0)
    return 0;
  const char* base = path + strlen("/tmp/");
  size_t dlen = strlen(dir);
  while (dlen > 1 && dir[dlen - 1] == '/') dlen--;
  size_t need = dlen + 1 + strlen(base) + 1;
  if (need > out_size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(out, dir, dlen);
  out[dlen] = '/';
  strcpy(out + dlen + 1, base);
  return 1;
}

SHIM_EXPORT int bind(int fd, const struct sockaddr* addr, socklen_t len) {
  if (maybe_alg(fd)) {
    pthread_mutex_lock(&g_lock);
    struct alg_sock* s = lookup_locked(fd);
    if (s) {
      int rc = alg_bind(s, addr, len);
      pthread_mutex_unlock(&g_lock);
      return rc;
    }
    pthread_mutex_unlock(&g_lock);
  }
  if (addr && addr->sa_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path) &&
      len <= sizeof(struct sockaddr_un)) {
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    memcpy(&un, addr, len);
    char src[sizeof(un.sun_path) + 1];
    memcpy(src, un.sun_path, sizeof(un.sun_path));
    src[sizeof(un.sun_path)] = 0;
    char path[sizeof(un.sun_path)];
    int r = relocate_path(src[0] ? src : NULL, path, sizeof(path));
    if (r < 0) return -1;
    if (r > 0) {
      memset(un.sun_path, 0, sizeof(un.sun_path));
      memcpy(un.sun_path, path, strlen(path));
      return REAL(bind)(fd, (const struct sockaddr*)&un, sizeof(un));
    }
  }
  return REAL(bind)(fd, addr, len);
}

SHIM_EXPORT int unlink(const char* path) {
  char moved[4096];
  int r = relocate_path(path, moved, sizeof(moved));
  if (r < 0) return -1;
  return REAL(unlink)(r > 0 ? moved : path);
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  if (maybe_alg(fd)) {
    pthread_mutex_lock(&g_lock);
    struct alg_sock* s = lookup_locked(fd);
    if (s) {
      int err = 0;
      if (level != SOL_ALG || name != ALG_SET_KEY || s->role != ROLE_TFM) {
        err = ENOPROTOOPT;
      } else if (s->kind == KIND_NONE) {
        err = EINVAL;
      } else if (!val || (len != 16 && len != 24 && len != 32)) {
        err = EINVAL;
      } else {
        memcpy(s->key, val, len);
        s->key_len = len;
      }
      pthread_mutex_unlock(&g_lock);
      return err ? fail(err) : 0;
    }
    pthread_mutex_unlock(&g_lock);
  }
  return REAL(setsockopt)(fd, level, name, val, len);
}

SHIM_EXPORT int accept(int fd, struct sockaddr* addr, socklen_t* addrlen) {
  if (maybe_alg(fd)) return alg_accept(fd, addrlen, 0);
  return REAL(accept)(fd, addr, addrlen);
}

SHIM_EXPORT int accept4(int fd, struct sockaddr* addr, socklen_t* addrlen, int flags) {
  if (maybe_alg(fd)) return alg_accept(fd, addrlen, flags);
  return REAL(accept4)(fd, addr, addrlen, flags);
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (maybe_alg(fd) && msg) {
    pthread_mutex_lock(&g_lock);
    struct alg_sock* s = lookup_locked(fd);
    if (s) {
      ssize_t rc = 0;
      if (s->role != ROLE_OP) {
        rc = fail(EOPNOTSUPP);
      } else {
        for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr*)msg, c)) {
          if (c->cmsg_level != SOL_ALG) continue;
          if (c->cmsg_type == ALG_SET_OP && c->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
            uint32_t op;
            memcpy(&op, CMSG_DATA(c), sizeof(op));
            if (op != ALG_OP_ENCRYPT && op != ALG_OP_DECRYPT) {
              rc = fail(EINVAL);
              break;
            }
            s->encrypt = op == ALG_OP_ENCRYPT;
          }
          // ALG_SET_IV: ecb and cmac take none; ignore like the kernel does for ecb.
        }
        if (rc == 0) rc = op_send(s, msg->msg_iov, msg->msg_iovlen, flags);
      }
      pthread_mutex_unlock(&g_lock);
      return rc;
    }
    pthread_mutex_unlock(&g_lock);
  }
  return REAL(sendmsg)(fd, msg, flags);
}

static ssize_t alg_send(int fd, const void* buf, size_t len, int flags, bool* handled) {
  pthread_mutex_lock(&g_lock);
  struct alg_sock* s = lookup_locked(fd);
  ssize_t rc = -1;
  *handled = s != NULL;
  if (s) {
    struct iovec iov = {.iov_base = (void*)buf, .iov_len = len};
    rc = op_send(s, &iov, 1, flags);
  }
  pthread_mutex_unlock(&g_lock);
  return rc;
}

static ssize_t alg_recv(int fd, void* buf, size_t len, bool* handled) {
  pthread_mutex_lock(&g_lock);
  struct alg_sock* s = lookup_locked(fd);
  ssize_t rc = -1;
  *handled = s != NULL;
  if (s) rc = op_recv(s, buf, len);
  pthread_mutex_unlock(&g_lock);
  return rc;
}

SHIM_EXPORT ssize_t send(int fd, const void* buf, size_t len, int flags) {
  if (maybe_alg(fd)) {
    bool handled;
    ssize_t rc = alg_send(fd, buf, len, flags, &handled);
    if (handled) return rc;
  }
  return REAL(send)(fd, buf, len, flags);
}

SHIM_EXPORT ssize_t write(int fd, const void* buf, size_t len) {
  if (maybe_alg(fd)) {
    bool handled;
    ssize_t rc = alg_send(fd, buf, len, 0, &handled);
    if (handled) return rc;
  }
  return REAL(write)(fd, buf, len);
}

SHIM_EXPORT ssize_t read(int fd, void* buf, size_t len) {
  if (maybe_alg(fd)) {
    bool handled;
    ssize_t rc = alg_recv(fd, buf, len, &handled);
    if (handled) return rc;
  }
  return REAL(read)(fd, buf, len);
}

SHIM_EXPORT ssize_t recv(int fd, void* buf, size_t len, int flags) {
  if (maybe_alg(fd)) {
    bool handled;
    ssize_t rc = alg_recv(fd, buf, len, &handled);
    if (handled) return rc;
  }
  return REAL(recv)(fd, buf, len, flags);
}

SHIM_EXPORT int close(int fd) {
  if (maybe_alg(fd)) {
    pthread_mutex_lock(&g_lock);
    struct alg_sock* s = g_table[fd];
    __atomic_store_n(&g_table[fd], NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_lock);
    sock_free(s);
  }
  return REAL(close)(fd);
}

// ---------------------------------------------------------------------------
// SIGPIPE: ignored, and kept ignored.

SHIM_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (sig == SIGPIPE && act && !(act->sa_flags & SA_SIGINFO) && act->sa_handler == SIG_DFL) {
    struct sigaction ign = *act;
    ign.sa_handler = SIG_IGN;
    return REAL(sigaction)(sig, &ign, old);
  }
  return REAL(sigaction)(sig, act, old);
}

SHIM_EXPORT sighandler_t signal(int sig, sighandler_t handler) {
  if (sig == SIGPIPE && handler == SIG_DFL) handler = SIG_IGN;
  return REAL(signal)(sig, handler);
}

// Lets a test check that the shim is really loaded.
SHIM_EXPORT const char* sable_afalg_shim_version(void) {
  return "sable-afalg-shim 1";
}

__attribute__((constructor)) static void shim_init(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  REAL(sigaction)(SIGPIPE, &sa, NULL);
}
