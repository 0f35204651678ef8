// A closed-loop TCP echo load generator for bench/echo.ts: `conns` connections each send one `size`-byte
// message, wait for all of it to come back, and send the next. One epoll thread, so it needs one core.
// Prints one JSON line: messages echoed during the measured window, messages per second, and the p50/p99
// round-trip latency from a histogram with 1 µs buckets up to 100 ms.
//
//   loadgen <host> <port> <conns> <seconds> <size> [warmup_seconds] [tls]
//
// Built with -DLOADGEN_TLS (and -lssl -lcrypto), a last argument "tls" makes every connection TLS (handshake
// first, certificates not verified: it measures the server's record layer, not a PKI).
//
// With `seconds` 0 it holds the connections instead: each sends one message and waits for its echo (so the
// server has set every connection up and parked it), prints {"held":conns}, and keeps them open, idle, until
// its stdin closes.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#if defined(LOADGEN_TLS)
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define BUCKETS 100000

struct conn {
  int fd;
#if defined(LOADGEN_TLS)
  SSL* ssl;
#endif
  size_t got;
  uint64_t sent_at;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static uint64_t histogram[BUCKETS + 1];

#if defined(LOADGEN_TLS)
static SSL_CTX* tls_ctx;
#endif

// One message out, or -1. Messages are small, so a write completes (TLS or not) on a socket with room.
static ssize_t send_msg(struct conn* c, const char* buf, size_t size) {
#if defined(LOADGEN_TLS)
  if (c->ssl) return SSL_write(c->ssl, buf, (int)size) == (int)size ? (ssize_t)size : -1;
#endif
  return write(c->fd, buf, size);
}

// Bytes read, 0 at end of stream, -1 on error, -2 when nothing could be read yet.
static ssize_t recv_some(struct conn* c, char* buf, size_t size) {
#if defined(LOADGEN_TLS)
  if (c->ssl) {
    int r = SSL_read(c->ssl, buf, (int)size);
    if (r > 0) return r;
    int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ) return -2;
    return err == SSL_ERROR_ZERO_RETURN ? 0 : -1;
  }
#endif
  ssize_t r = read(c->fd, buf, size);
  return r < 0 && errno == EAGAIN ? -2 : r;
}

static double percentile(uint64_t total, double p) {
  uint64_t want = (uint64_t)(total * p), seen = 0;
  for (int i = 0; i <= BUCKETS; i++) {
    seen += histogram[i];
    if (seen > want) return i;
  }
  return BUCKETS;
}

static int hold(struct conn* conns, int nconns, char* out, char* in, size_t size) {
  for (int i = 0; i < nconns; i++) {
    if (send_msg(&conns[i], out, size) != (ssize_t)size) die("write");
    for (size_t got = 0; got < size;) {
      ssize_t r = recv_some(&conns[i], in, size - got);
      if (r == -2) continue;
      if (r <= 0) die("read");
      got += (size_t)r;
    }
  }
  printf("{\"held\":%d}\n", nconns);
  fflush(stdout);
  char byte;
  while (read(0, &byte, 1) > 0) {
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: loadgen host port conns seconds size [warmup]\n");
    return 2;
  }
  const char* host = argv[1];
  int port = atoi(argv[2]), nconns = atoi(argv[3]);
  double seconds = atof(argv[4]), warmup = argc > 6 ? atof(argv[6]) : 1.0;
  size_t size = (size_t)atoi(argv[5]);
  int tls = argc > 7 && strcmp(argv[7], "tls") == 0;
#if defined(LOADGEN_TLS)
  if (tls) {
    tls_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, NULL);
  }
#else
  if (tls) {
    fprintf(stderr, "loadgen: built without TLS (-DLOADGEN_TLS -lssl -lcrypto)\n");
    return 2;
  }
#endif
  char* out = malloc(size);
  char* in = malloc(size);
  memset(out, 'x', size);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &addr.sin_addr);
  int ep = epoll_create1(0);
  struct conn* conns = calloc(nconns, sizeof(struct conn));
  for (int i = 0; i < nconns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conns[i].fd = fd;
#if defined(LOADGEN_TLS)
    if (tls) {
      conns[i].ssl = SSL_new(tls_ctx);
      SSL_set_fd(conns[i].ssl, fd);
      if (SSL_connect(conns[i].ssl) != 1) {
        ERR_print_errors_fp(stderr);
        die("SSL_connect");
      }
    }
#endif
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  }
  if (seconds == 0) return hold(conns, nconns, out, in, size);
  uint64_t start = now_ns();
  uint64_t measure_from = start + (uint64_t)(warmup * 1e9);
  uint64_t end = measure_from + (uint64_t)(seconds * 1e9);
  for (int i = 0; i < nconns; i++) {
    conns[i].sent_at = now_ns();
    if (send_msg(&conns[i], out, size) != (ssize_t)size) die("write");
  }
  uint64_t measured = 0;
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    uint64_t t = now_ns();
    if (t >= end) break;
    for (int i = 0; i < n; i++) {
      struct conn* c = events[i].data.ptr;
      ssize_t r = recv_some(c, in, size - c->got);
      if (r == -2) continue;
      if (r <= 0) {
        fprintf(stderr, "loadgen: the server closed a connection (%s)\n", r == 0 ? "EOF" : strerror(errno));
        return 1;
      }
      c->got += (size_t)r;
      if (c->got < size) continue;
      c->got = 0;
      if (t >= measure_from) {
        uint64_t us = (t - c->sent_at) / 1000;
        histogram[us > BUCKETS ? BUCKETS : us]++;
        measured++;
      }
      c->sent_at = t;
      if (send_msg(c, out, size) != (ssize_t)size) die("write");
    }
  }
  printf("{\"messages\":%llu,\"rate\":%.1f,\"p50_us\":%.0f,\"p99_us\":%.0f}\n", (unsigned long long)measured,
         measured / seconds, percentile(measured, 0.50), percentile(measured, 0.99));
  return 0;
}
