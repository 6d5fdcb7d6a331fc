// le5_emulator_test: checks our patches to BlueZ's emulator (sable-btvirt)
// over its LE socket, with raw HCI, before any sable code runs on it.
//
//   le5_emulator_test SOCKETPATH
//
// Three controllers on one air: P (peripheral) and two centrals C1, C2.
// - LE features and LE Read Buffer Size v2: DLE, 2M, Coded, extended
//   advertising; a 251-octet ACL buffer.
// - Two advertising sets at once on P: 300 octets of data set in two
//   fragments (Core 5.4 Vol 4 Part E 7.8.54) and a 40-octet beacon; C1's
//   extended scan reports the 300 octets in two reports, the first marked
//   incomplete, with each set's SID and secondary PHY.
// - C1 and C2 both connect to P (Extended Create Connection): P's two links
//   have distinct handles, the set that accepted a link is terminated, and
//   ACL data from each central reaches P on that central's own handle.
// - LE Set Data Length and LE Set PHY: both hosts are told the new values.
// - C2's socket closes: P gets Disconnection Complete, reason 0x08.
// Exit 0 if all hold; 1 with a message naming the first that does not.

#define _GNU_SOURCE
#include <errno.h>
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

enum { H4_CMD = 0x01, H4_ACL = 0x02, H4_EVT = 0x04 };
enum { EVT_DISCONNECT = 0x05, EVT_CMD_COMPLETE = 0x0e, EVT_CMD_STATUS = 0x0f, EVT_LE = 0x3e };
enum {
  LE_DATA_LENGTH_CHANGE = 0x07,
  LE_ENH_CONN_COMPLETE = 0x0a,
  LE_PHY_UPDATE = 0x0c,
  LE_EXT_ADV_REPORT = 0x0d,
  LE_ADV_SET_TERMINATED = 0x12,
};

struct dev {
  const char* name;
  int fd;
  uint8_t buf[8192];
  size_t len;
  uint8_t pkt[1024];  // the last packet returned by next()
  uint8_t addr[6];
};

static void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("FAIL: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void open_dev(struct dev* d, const char* path, const char* name) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
  d->name = name;
  d->len = 0;
  d->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (d->fd < 0 || connect(d->fd, (struct sockaddr*)&a, sizeof(a)) != 0)
    fail("%s: cannot connect to %s: %s", name, path, strerror(errno));
}

static void put(struct dev* d, const uint8_t* p, size_t n) {
  if (send(d->fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) fail("%s: write failed", d->name);
}

// Returns the next whole H4 packet (in d->pkt), waiting up to 2 s.
static const uint8_t* next(struct dev* d, const char* waiting_for) {
  for (;;) {
    size_t need = 0;
    if (d->len >= 3 && d->buf[0] == H4_EVT) need = 3 + (size_t)d->buf[2];
    if (d->len >= 5 && d->buf[0] == H4_ACL) need = 5 + (d->buf[3] | ((size_t)d->buf[4] << 8));
    if (d->len >= 1 && d->buf[0] != H4_EVT && d->buf[0] != H4_ACL)
      fail("%s: unexpected H4 type 0x%02x", d->name, d->buf[0]);
    if (need && need > sizeof(d->pkt)) fail("%s: oversized packet", d->name);
    if (need && d->len >= need) {
      memcpy(d->pkt, d->buf, need);
      memmove(d->buf, d->buf + need, d->len - need);
      d->len -= need;
      return d->pkt;
    }
    struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
    if (poll(&pfd, 1, 2000) <= 0) fail("%s: timed out waiting for %s", d->name, waiting_for);
    ssize_t n = recv(d->fd, d->buf + d->len, sizeof(d->buf) - d->len, 0);
    if (n <= 0) fail("%s: controller closed while waiting for %s", d->name, waiting_for);
    d->len += (size_t)n;
  }
}

// Waits for the LE meta subevent (skipping others); returns its parameters
// after the subevent code.
static const uint8_t* wait_le(struct dev* d, uint8_t sub, const char* what) {
  for (;;) {
    const uint8_t* p = next(d, what);
    if (p[0] == H4_EVT && p[1] == EVT_LE && p[3] == sub) return p + 4;
  }
}

static const uint8_t* wait_event(struct dev* d, uint8_t evt, const char* what) {
  for (;;) {
    const uint8_t* p = next(d, what);
    if (p[0] == H4_EVT && p[1] == evt) return p + 3;
  }
}

// Sends a command; returns its Command Complete return parameters (status
// first), or for a command answered by Command Status, its status byte.
static const uint8_t* cmd(struct dev* d, uint16_t op, const void* params, size_t n) {
  uint8_t pkt[260] = {H4_CMD, (uint8_t)op, (uint8_t)(op >> 8), (uint8_t)n};
  memcpy(pkt + 4, params, n);
  put(d, pkt, 4 + n);
  char what[48];
  snprintf(what, sizeof(what), "the answer to command 0x%04x", op);
  for (;;) {
    const uint8_t* p = next(d, what);
    if (p[0] != H4_EVT) continue;
    if (p[1] == EVT_CMD_COMPLETE && (p[4] | (p[5] << 8)) == op) return p + 6;
    if (p[1] == EVT_CMD_STATUS && (p[5] | (p[6] << 8)) == op) return p + 3;
  }
}

static void ok(struct dev* d, uint16_t op, const void* params, size_t n, const char* name) {
  const uint8_t* r = cmd(d, op, params, n);
  if (r[0] != 0) fail("%s: %s returned status 0x%02x", d->name, name, r[0]);
}

static uint16_t le16(const uint8_t* p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static void ext_adv_params(struct dev* d, uint8_t handle, uint16_t props, uint8_t sid) {
  const uint8_t p[25] = {handle,
                         (uint8_t)props,
                         (uint8_t)(props >> 8),
                         0xa0,
                         0,
                         0,
                         0xa0,
                         0,
                         0,
                         0x07,
                         0 /* public */,
                         0 /* peer: public */,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0 /* filter */,
                         0x7f,
                         0x01 /* 1M */,
                         0,
                         0x02 /* 2M secondary */,
                         sid,
                         0};
  ok(d, 0x2036, p, sizeof(p), "LE Set Extended Advertising Parameters");
}

static void ext_adv_data(struct dev* d, uint8_t handle, uint8_t op, const uint8_t* data,
                         uint8_t n) {
  uint8_t p[255] = {handle, op, 0x01, n};
  memcpy(p + 4, data, n);
  ok(d, 0x2037, p, 4 + (size_t)n, "LE Set Extended Advertising Data");
}

// Extended Create Connection to P's public address on the 1M PHY; returns
// the central's handle from its Enhanced Connection Complete.
static uint16_t ext_connect(struct dev* c, const struct dev* p) {
  uint8_t q[10 + 16] = {0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x01};
  memcpy(q + 3, p->addr, 6);
  const uint8_t phy[16] = {0x60, 0, 0x60, 0, 0x18, 0, 0x28, 0, 0, 0, 0xc8, 0, 0, 0, 0, 0};
  memcpy(q + 10, phy, sizeof(phy));
  ok(c, 0x2043, q, sizeof(q), "LE Extended Create Connection");
  const uint8_t* e = wait_le(c, LE_ENH_CONN_COMPLETE, "Enhanced Connection Complete");
  if (e[0] != 0) fail("%s: connection failed with 0x%02x", c->name, e[0]);
  if (e[3] != 0x00) fail("%s: role 0x%02x, expected central", c->name, e[3]);
  return le16(e + 1);
}

static void send_acl(struct dev* d, uint16_t handle, uint8_t tag) {
  const uint8_t pkt[] = {
      H4_ACL, (uint8_t)handle, (uint8_t)(0x20 | (handle >> 8)), 5, 0, 1, 0, 0x04, 0, tag};
  put(d, pkt, sizeof(pkt));
}

static void expect_acl(struct dev* d, uint16_t handle, uint8_t tag) {
  for (;;) {
    const uint8_t* p = next(d, "ACL data");
    if (p[0] != H4_ACL) continue;
    uint16_t h = le16(p + 1) & 0x0fff;
    if (h != handle || p[9] != tag)
      fail("%s: ACL tagged 0x%02x on handle 0x%04x, expected 0x%02x on 0x%04x", d->name, p[9], h,
           tag, handle);
    return;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: le5_emulator_test SOCKETPATH\n");
    return 2;
  }
  static struct dev P, C1, C2;
  open_dev(&P, argv[1], "P");
  open_dev(&C1, argv[1], "C1");
  open_dev(&C2, argv[1], "C2");
  struct dev* all[] = {&P, &C1, &C2};
  for (int i = 0; i < 3; i++) {
    ok(all[i], 0x0c03, NULL, 0, "HCI_Reset");
    const uint8_t* r = cmd(all[i], 0x1009, NULL, 0);
    memcpy(all[i]->addr, r + 1, 6);
  }

  // Features (Core 5.4 Vol 6 Part B 4.6) and the ACL buffer.
  const uint8_t* f = cmd(&P, 0x2003, NULL, 0);
  if (!(f[1] & 0x20) || !(f[2] & 0x01) || !(f[2] & 0x08) || !(f[2] & 0x10))
    fail("LE features %02x %02x lack DLE, 2M, Coded or extended advertising", f[1], f[2]);
  const uint8_t* b = cmd(&P, 0x2060, NULL, 0);
  if (b[0] != 0 || le16(b + 1) != 251)
    fail("LE Read Buffer Size v2: status 0x%02x, ACL %u octets, expected 251", b[0], le16(b + 1));

  // Two sets: 0 connectable with 300 octets (SID 5), 1 a 40-octet beacon (SID 6).
  uint8_t data[300];
  for (int i = 0; i < 300; i++) data[i] = (uint8_t)i;
  ext_adv_params(&P, 0, 0x0001, 5);
  ext_adv_data(&P, 0, 0x01, data, 200);
  ext_adv_data(&P, 0, 0x02, data + 200, 100);
  ext_adv_params(&P, 1, 0x0000, 6);
  ext_adv_data(&P, 1, 0x03, data, 40);
  ext_adv_params(&P, 2, 0x0013, 7);  // legacy PDUs carry at most 31 octets
  uint8_t legacy[4 + 32] = {2, 0x03, 0x01, 32};
  if (cmd(&P, 0x2037, legacy, sizeof(legacy))[0] != 0x12)
    fail("32 octets of data for a set of legacy PDUs were accepted");
  const uint8_t scan[] = {0x00, 0x00, 0x01, 0x00, 0x60, 0x00, 0x30, 0x00};
  ok(&C1, 0x2041, scan, sizeof(scan), "LE Set Extended Scan Parameters");
  ok(&C1, 0x2042, (const uint8_t[]){1, 0, 0, 0, 0, 0}, 6, "LE Set Extended Scan Enable");
  ok(&P, 0x2039, (const uint8_t[]){1, 2, 0, 0, 0, 0, 1, 0, 0, 0}, 10,
     "LE Set Extended Advertising Enable (two sets)");

  size_t got0 = 0, got1 = 0;
  int reports0 = 0;
  while (got0 < 300 || got1 < 40) {
    const uint8_t* r = wait_le(&C1, LE_EXT_ADV_REPORT, "Extended Advertising Reports");
    uint16_t type = le16(r + 1);
    uint8_t sec_phy = r[11], sid = r[12], n = r[24];
    if (sid == 5) {
      if (memcmp(r + 25, data + got0, n) != 0) fail("set 0's data differs at %zu", got0);
      got0 += n;
      reports0++;
      bool more = (type & 0x60) == 0x20;
      if (more != (got0 < 300)) fail("set 0 report %d: data status 0x%02x", reports0, type & 0x60);
    } else if (sid == 6) {
      got1 += n;
    } else {
      fail("report with SID %u (type 0x%04x, %u octets)", sid, type, n);
    }
    if (sec_phy != 0x02) fail("secondary PHY %u, expected 2M", sec_phy);
  }
  if (reports0 != 2 || got0 != 300 || got1 != 40)
    fail("set 0: %zu octets in %d reports; set 1: %zu octets", got0, reports0, got1);

  // Two centrals on P: distinct handles, and each one's data on its own.
  uint16_t c1 = ext_connect(&C1, &P);
  const uint8_t* e = wait_le(&P, LE_ENH_CONN_COMPLETE, "P's first connection");
  uint16_t p1 = le16(e + 1);
  const uint8_t* t = wait_le(&P, LE_ADV_SET_TERMINATED, "Advertising Set Terminated");
  if (t[0] != 0 || t[1] != 0 || le16(t + 2) != p1)
    fail("Advertising Set Terminated: status 0x%02x set %u handle 0x%04x", t[0], t[1], le16(t + 2));
  // The beacon advertises on; the connected set does not.
  ok(&C2, 0x2041, scan, sizeof(scan), "LE Set Extended Scan Parameters");
  ok(&C2, 0x2042, (const uint8_t[]){1, 0, 0, 0, 0, 0}, 6, "LE Set Extended Scan Enable");
  const uint8_t* r2 = wait_le(&C2, LE_EXT_ADV_REPORT, "the beacon's report after a connection");
  if (r2[12] != 6) fail("after the connection C2 saw SID %u, expected only the beacon (6)", r2[12]);
  ok(&C2, 0x2042, (const uint8_t[]){0, 0, 0, 0, 0, 0}, 6, "LE Set Extended Scan Disable");
  ok(&P, 0x2039, (const uint8_t[]){1, 1, 0, 0, 0, 0}, 6, "re-enable set 0");
  uint16_t c2 = ext_connect(&C2, &P);
  e = wait_le(&P, LE_ENH_CONN_COMPLETE, "P's second connection");
  uint16_t p2 = le16(e + 1);
  if (p1 == p2) fail("P's two links share handle 0x%04x", p1);
  send_acl(&C2, c2, 0xc2);
  expect_acl(&P, p2, 0xc2);
  send_acl(&C1, c1, 0xc1);
  expect_acl(&P, p1, 0xc1);
  send_acl(&P, p2, 0x22);
  expect_acl(&C2, c2, 0x22);

  // Data Length Extension from C1: both hosts hear of it.
  uint8_t dl[6] = {(uint8_t)c1, (uint8_t)(c1 >> 8), 251, 0, 0x48, 0x08};
  ok(&C1, 0x2022, dl, sizeof(dl), "LE Set Data Length");
  const uint8_t* d = wait_le(&C1, LE_DATA_LENGTH_CHANGE, "C1's Data Length Change");
  if (le16(d + 2) != 251 || le16(d + 6) != 27)
    fail("C1: max tx %u rx %u", le16(d + 2), le16(d + 6));
  d = wait_le(&P, LE_DATA_LENGTH_CHANGE, "P's Data Length Change");
  if (le16(d) != p1 || le16(d + 2) != 27 || le16(d + 6) != 251)
    fail("P: handle 0x%04x max tx %u rx %u", le16(d), le16(d + 2), le16(d + 6));
  dl[2] = 20;  // below the 27-octet minimum
  if (cmd(&C1, 0x2022, dl, sizeof(dl))[0] != 0x12) fail("a 20-octet data length was accepted");

  // 2M PHY from C1.
  const uint8_t phy[7] = {(uint8_t)c1, (uint8_t)(c1 >> 8), 0, 0x02, 0x02, 0, 0};
  ok(&C1, 0x2032, phy, sizeof(phy), "LE Set PHY");
  const uint8_t* u = wait_le(&C1, LE_PHY_UPDATE, "C1's PHY Update Complete");
  if (u[0] != 0 || u[3] != 2 || u[4] != 2) fail("C1: PHY tx %u rx %u", u[3], u[4]);
  u = wait_le(&P, LE_PHY_UPDATE, "P's PHY Update Complete");
  if (le16(u + 1) != p1 || u[3] != 2 || u[4] != 2) fail("P: PHY tx %u rx %u", u[3], u[4]);
  const uint8_t* rp = cmd(&P, 0x2030, (const uint8_t[]){(uint8_t)p1, (uint8_t)(p1 >> 8)}, 2);
  if (rp[0] != 0 || rp[3] != 2 || rp[4] != 2) fail("LE Read PHY: %u %u", rp[3], rp[4]);

  // C2 goes away: P learns it by a supervision timeout.
  close(C2.fd);
  const uint8_t* x = wait_event(&P, EVT_DISCONNECT, "Disconnection Complete for C2's link");
  if (x[0] != 0 || le16(x + 1) != p2 || x[3] != 0x08)
    fail("Disconnection Complete: status 0x%02x handle 0x%04x reason 0x%02x", x[0], le16(x + 1),
         x[3]);
  puts("sable-btvirt: features, two sets, 300-octet data, two links, DLE, 2M PHY, lost link: ok");
  return 0;
}
