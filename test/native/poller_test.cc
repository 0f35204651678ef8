// Unit tests for the hub's readiness pollers (native/hub/poller_*.cc) on real pipes, socketpairs and files.
//
// Every case runs against every poller this build has: epoll on Linux, kqueue on macOS and the BSDs, and kqueue
// on Linux too when the tests are built against libkqueue (VERDANT_KQUEUE_TESTS). The cases state the contract
// the hub relies on; where the pollers really differ (regular files, the pollability of libkqueue's fd) the
// Backend says what each one does and the test asserts exactly that.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "hub/poller.h"

using verdant::detail::CreatePoller;
using verdant::detail::kPollError;
using verdant::detail::kPollPeerClosed;
using verdant::detail::kPollHangup;
using verdant::detail::kPollRead;
using verdant::detail::kPollWrite;
using verdant::detail::PollEvent;
using verdant::detail::Poller;

namespace {

struct Backend {
  const char* name;
  std::unique_ptr<Poller> (*create)(std::string* why);
  // epoll refuses regular files (EPERM); kqueue accepts them and reports them readable while the offset is before
  // the end of the file, and never at the end.
  bool accepts_regular_files;
  // Whether poll(2) on Poller::fd() reports POLLIN while an armed fd is ready: what libuv's uv_poll needs.
  bool fd_pollable;
};

#if defined(VERDANT_HAVE_EPOLL)
const Backend kEpoll = {"epoll", verdant::detail::CreateEpollPoller, false, true};
#endif
#if defined(VERDANT_HAVE_KQUEUE)
#if defined(__linux__)
// libkqueue hands out the write end of a private pipe as the kqueue fd (closing it is how libkqueue learns the
// kqueue is gone); its events live in an epoll set it never exposes. The write end of a pipe never polls readable.
const Backend kKqueue = {"kqueue", verdant::detail::CreateKqueuePoller, true, false};
#else
const Backend kKqueue = {"kqueue", verdant::detail::CreateKqueuePoller, true, true};
#endif
#endif

// One TEST per poller for each case: the test names say which poller failed.
#if defined(VERDANT_HAVE_EPOLL)
#define EPOLL_CASE(name) \
  TEST(epoll_##name) { name(kEpoll); }
#else
#define EPOLL_CASE(name)
#endif
#if defined(VERDANT_HAVE_KQUEUE)
#define KQUEUE_CASE(name) \
  TEST(kqueue_##name) { name(kKqueue); }
#else
#define KQUEUE_CASE(name)
#endif
#define POLLER_CASE(name)            \
  static void name(const Backend& b); \
  EPOLL_CASE(name)                   \
  KQUEUE_CASE(name)                  \
  static void name(const Backend& b)

std::unique_ptr<Poller> Make(const Backend& b) {
  std::string why;
  std::unique_ptr<Poller> p = b.create(&why);
  if (!p) std::fprintf(stderr, "%s: %s\n", b.name, why.c_str());
  return p;
}

std::string Bits(uint32_t e) {
  std::string s;
  if (e & kPollRead) s += "R";
  if (e & kPollWrite) s += "W";
  if (e & kPollHangup) s += "H";
  if (e & kPollError) s += "E";
  if (e & kPollPeerClosed) s += "P";
  return s.empty() ? "-" : s;
}

void SleepMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);
}

// Polls until `want` events came or `timeout_ms` passed; then once more, so an extra event shows up too.
// Readiness of pipes and sockets is immediate in the same thread; the timeout only bounds a broken poller.
std::vector<PollEvent> PollFor(Poller& p, size_t want, int timeout_ms) {
  std::vector<PollEvent> got;
  PollEvent batch[256];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int n = p.Poll(batch, 256);
    if (n < 0) {
      std::fprintf(stderr, "Poll failed: %s\n", strerror(-n));
      return got;
    }
    got.insert(got.end(), batch, batch + n);
    if (got.size() >= want) break;
    if (std::chrono::steady_clock::now() >= deadline) return got;
    SleepMs(1);
  }
  int n = p.Poll(batch, 256);
  if (n > 0) got.insert(got.end(), batch, batch + n);
  return got;
}

// How long a "nothing is reported" check watches.
constexpr int kQuietMs = 100;
constexpr int kReadyMs = 2000;

struct Pair {
  int fd[2] = {-1, -1};
  Pair() = default;
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  ~Pair() { Close(); }
  void Close() {
    for (int& f : fd) {
      if (f >= 0) close(f);
      f = -1;
    }
  }
};

bool MakePipe(Pair* p) { return pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) == 0; }
bool MakeSocketPair(Pair* p) {
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p->fd) == 0;
}

bool WriteByte(int fd) {
  char c = 'x';
  return write(fd, &c, 1) == 1;
}

// Writes into non-blocking `fd` until the kernel takes no more.
size_t Fill(int fd) {
  static char chunk[65536];
  size_t total = 0;
  for (;;) {
    ssize_t n = write(fd, chunk, sizeof chunk);
    if (n > 0) {
      total += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return total;
  }
}

// Reads everything `fd` holds now (non-blocking).
void Drain(int fd) {
  static char chunk[65536];
  while (read(fd, chunk, sizeof chunk) > 0) {
  }
}

bool PollsReadable(int fd, int timeout_ms, short* revents = nullptr) {
  struct pollfd pfd = {fd, POLLIN, 0};
  int n;
  do {
    n = poll(&pfd, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (revents != nullptr) *revents = pfd.revents;
  return n == 1 && (pfd.revents & POLLIN);
}

bool PollsWritable(int fd) {
  struct pollfd pfd = {fd, POLLOUT, 0};
  return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT);
}

// --- readiness ---------------------------------------------------------------------------------------------------

POLLER_CASE(read_ready_after_write) {
  auto p = Make(b);
  REQUIRE(p);
  Pair pipe_fds;
  REQUIRE(MakePipe(&pipe_fds));
  CHECK_EQ(p->Arm(pipe_fds.fd[0], kPollRead), 0);
  CHECK(PollFor(*p, 1, kQuietMs).empty());  // nothing written yet
  REQUIRE(WriteByte(pipe_fds.fd[1]));
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(got[0].fd, pipe_fds.fd[0]);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  p->Disarm(pipe_fds.fd[0]);
}

POLLER_CASE(write_ready) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock, pipe_fds;
  REQUIRE(MakeSocketPair(&sock));
  REQUIRE(MakePipe(&pipe_fds));
  CHECK_EQ(p->Arm(sock.fd[0], kPollWrite), 0);
  CHECK_EQ(p->Arm(pipe_fds.fd[1], kPollWrite), 0);
  std::vector<PollEvent> got = PollFor(*p, 2, kReadyMs);
  REQUIRE(got.size() == 2);
  std::map<int, uint32_t> by_fd;
  for (const PollEvent& e : got) by_fd[e.fd] = e.events;
  CHECK_EQ(Bits(by_fd[sock.fd[0]]), std::string("W"));
  CHECK_EQ(Bits(by_fd[pipe_fds.fd[1]]), std::string("W"));
  p->Disarm(sock.fd[0]);
  p->Disarm(pipe_fds.fd[1]);
}

POLLER_CASE(one_shot) {
  auto p = Make(b);
  REQUIRE(p);
  Pair pipe_fds;
  REQUIRE(MakePipe(&pipe_fds));
  REQUIRE(WriteByte(pipe_fds.fd[1]));
  CHECK_EQ(p->Arm(pipe_fds.fd[0], kPollRead), 0);
  CHECK_EQ(PollFor(*p, 1, kReadyMs).size(), 1u);
  // Still readable (the byte was not read), yet reported only once per Arm.
  CHECK(PollsReadable(pipe_fds.fd[0], 0));
  CHECK(PollFor(*p, 1, kQuietMs).empty());
  CHECK_EQ(p->Arm(pipe_fds.fd[0], kPollRead), 0);
  std::vector<PollEvent> again = PollFor(*p, 1, kReadyMs);
  REQUIRE(again.size() == 1);
  CHECK_EQ(again[0].fd, pipe_fds.fd[0]);
  CHECK_EQ(Bits(again[0].events), std::string("R"));
  p->Disarm(pipe_fds.fd[0]);
}

POLLER_CASE(rearm_replaces_read_with_write) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  CHECK_EQ(p->Arm(sock.fd[0], kPollRead), 0);
  CHECK_EQ(p->Arm(sock.fd[0], kPollWrite), 0);
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("W"));
  // The read interest is gone: readable now, but not armed for it.
  REQUIRE(WriteByte(sock.fd[1]));
  CHECK(PollsReadable(sock.fd[0], 0));
  CHECK(PollFor(*p, 1, kQuietMs).empty());
  CHECK_EQ(p->Arm(sock.fd[0], kPollRead), 0);
  got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  p->Disarm(sock.fd[0]);
}

POLLER_CASE(rearm_replaces_write_with_read) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  REQUIRE(Fill(sock.fd[0]) > 0);
  CHECK(!PollsWritable(sock.fd[0]));
  CHECK_EQ(p->Arm(sock.fd[0], kPollWrite), 0);
  CHECK_EQ(p->Arm(sock.fd[0], kPollRead), 0);
  // The peer drains: writable again, but no longer armed for it.
  Drain(sock.fd[1]);
  CHECK(PollsWritable(sock.fd[0]));
  CHECK(PollFor(*p, 1, kQuietMs).empty());
  REQUIRE(WriteByte(sock.fd[1]));
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  p->Disarm(sock.fd[0]);
}

POLLER_CASE(both_directions_merged) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  REQUIRE(WriteByte(sock.fd[1]));
  CHECK_EQ(p->Arm(sock.fd[0], kPollRead | kPollWrite), 0);
  std::vector<PollEvent> got = PollFor(*p, 2, kQuietMs);  // asks for 2 to see a second, separate event if any
  REQUIRE(got.size() == 1);
  CHECK_EQ(got[0].fd, sock.fd[0]);
  CHECK_EQ(Bits(got[0].events), std::string("RW"));
  p->Disarm(sock.fd[0]);
}

// --- watched (edge-triggered) fds ----------------------------------------------------------------------------------

POLLER_CASE(watch_reports_each_new_readiness_once_without_rearming) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  CHECK_EQ(p->Watch(sock.fd[0]), 0);
  // Writable at once: the state at registration is reported.
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("W"));
  CHECK(PollFor(*p, 1, kQuietMs).empty());  // an edge, not a level: nothing new, nothing reported
  for (int round = 0; round < 3; round++) {
    REQUIRE(WriteByte(sock.fd[1]));
    got = PollFor(*p, 1, kReadyMs);
    REQUIRE(got.size() == 1);
    CHECK_EQ(got[0].fd, sock.fd[0]);
    CHECK(got[0].events & kPollRead);
    // Still readable (nothing was read), yet not reported again until more arrives.
    CHECK(PollFor(*p, 1, kQuietMs).empty());
  }
  p->Disarm(sock.fd[0]);
  REQUIRE(WriteByte(sock.fd[1]));
  CHECK(PollFor(*p, 1, kQuietMs).empty());
}

POLLER_CASE(watch_reports_peer_shutdown_with_the_data) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  REQUIRE(WriteByte(sock.fd[1]));
  REQUIRE(shutdown(sock.fd[1], SHUT_WR) == 0);
  CHECK_EQ(p->Watch(sock.fd[0]), 0);
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  // Data and end of stream in one edge: the reader learns that the read after the data will be the end.
  CHECK(got[0].events & kPollRead);
  CHECK(got[0].events & kPollPeerClosed);
  CHECK(!(got[0].events & kPollHangup));
  p->Disarm(sock.fd[0]);
}

POLLER_CASE(arm_replaces_a_watch) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  CHECK_EQ(p->Watch(sock.fd[0]), 0);
  PollFor(*p, 1, kReadyMs);  // the initial writable edge
  CHECK_EQ(p->Arm(sock.fd[0], kPollRead), 0);
  REQUIRE(WriteByte(sock.fd[1]));
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  REQUIRE(WriteByte(sock.fd[1]));
  CHECK(PollFor(*p, 1, kQuietMs).empty());  // one-shot again
  p->Disarm(sock.fd[0]);
}

// --- peers going away --------------------------------------------------------------------------------------------

POLLER_CASE(peer_close_wakes_socket_reader) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  CHECK_EQ(p->Arm(sock.fd[0], kPollRead), 0);
  close(sock.fd[1]);
  sock.fd[1] = -1;
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  std::printf("  %s: socket reader, peer closed: %s\n", b.name, Bits(got[0].events).c_str());
  CHECK(got[0].events & kPollRead);
  CHECK(!(got[0].events & kPollError));
  char c;
  CHECK_EQ(read(sock.fd[0], &c, 1), 0);  // end of stream, not EAGAIN
  p->Disarm(sock.fd[0]);
}

POLLER_CASE(peer_close_wakes_pipe_reader) {
  auto p = Make(b);
  REQUIRE(p);
  Pair pipe_fds;
  REQUIRE(MakePipe(&pipe_fds));
  CHECK_EQ(p->Arm(pipe_fds.fd[0], kPollRead), 0);
  close(pipe_fds.fd[1]);
  pipe_fds.fd[1] = -1;
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  std::printf("  %s: pipe reader, writer closed: %s\n", b.name, Bits(got[0].events).c_str());
  // epoll says EPOLLHUP alone for a drained pipe without writers; kqueue says EVFILT_READ with EV_EOF.
  CHECK(got[0].events & (kPollRead | kPollHangup));
  CHECK(!(got[0].events & kPollError));
  char c;
  CHECK_EQ(read(pipe_fds.fd[0], &c, 1), 0);
  p->Disarm(pipe_fds.fd[0]);
}

POLLER_CASE(peer_close_wakes_socket_writer) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  REQUIRE(Fill(sock.fd[0]) > 0);
  CHECK_EQ(p->Arm(sock.fd[0], kPollWrite), 0);
  CHECK(PollFor(*p, 1, kQuietMs).empty());  // the buffer is full
  close(sock.fd[1]);
  sock.fd[1] = -1;
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  std::printf("  %s: socket writer, peer closed: %s\n", b.name, Bits(got[0].events).c_str());
  CHECK(got[0].events & kPollWrite);
  CHECK(got[0].events & (kPollHangup | kPollError));
  char c = 'x';
  CHECK_EQ(send(sock.fd[0], &c, 1, MSG_NOSIGNAL), -1);
  CHECK_EQ(errno, EPIPE);
  p->Disarm(sock.fd[0]);
}

POLLER_CASE(peer_close_wakes_pipe_writer) {
  auto p = Make(b);
  REQUIRE(p);
  Pair pipe_fds;
  REQUIRE(MakePipe(&pipe_fds));
  REQUIRE(Fill(pipe_fds.fd[1]) > 0);
  CHECK_EQ(p->Arm(pipe_fds.fd[1], kPollWrite), 0);
  CHECK(PollFor(*p, 1, kQuietMs).empty());
  close(pipe_fds.fd[0]);
  pipe_fds.fd[0] = -1;
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  std::printf("  %s: pipe writer, reader closed: %s\n", b.name, Bits(got[0].events).c_str());
  // epoll says EPOLLERR alone (the pipe is still full); kqueue says EVFILT_WRITE with EV_EOF. Either wakes the
  // writer: the hub hands the failure bits to every waiter of the fd.
  CHECK(got[0].events & (kPollHangup | kPollError));
  char c = 'x';
  CHECK_EQ(write(pipe_fds.fd[1], &c, 1), -1);  // SIGPIPE is ignored (main)
  CHECK_EQ(errno, EPIPE);
  p->Disarm(pipe_fds.fd[1]);
}

// A peer that shuts down only its write side has not hung up: it may still read. Its reader wakes (to read the
// end of the stream); a writer waiting for room in a full buffer must not, or the hub would wake it, it would
// find the buffer full, wait again and be woken again at once, spinning until the peer reads.
POLLER_CASE(half_close_wakes_reader_not_writer) {
  auto p = Make(b);
  REQUIRE(p);
  Pair sock;
  REQUIRE(MakeSocketPair(&sock));
  REQUIRE(Fill(sock.fd[0]) > 0);
  REQUIRE(shutdown(sock.fd[1], SHUT_WR) == 0);
  CHECK_EQ(p->Arm(sock.fd[0], kPollWrite), 0);
  std::vector<PollEvent> got = PollFor(*p, 1, kQuietMs);
  CHECK(got.empty());
  if (!got.empty()) std::printf("  %s: full writer after peer's SHUT_WR got %s\n", b.name, Bits(got[0].events).c_str());

  CHECK_EQ(p->Arm(sock.fd[0], kPollRead), 0);
  got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  char c;
  CHECK_EQ(read(sock.fd[0], &c, 1), 0);

  Drain(sock.fd[1]);  // the peer still reads: room again
  CHECK_EQ(p->Arm(sock.fd[0], kPollWrite), 0);
  got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(Bits(got[0].events), std::string("W"));
  p->Disarm(sock.fd[0]);
}

// --- fd lifetimes ------------------------------------------------------------------------------------------------

// Gives `pair` a new pipe whose read end has the number `fd` (closed before the call).
bool PipeAt(int fd, Pair* pair) {
  if (!MakePipe(pair)) return false;
  if (pair->fd[0] == fd) return true;
  if (dup3(pair->fd[0], fd, O_CLOEXEC) != fd) return false;
  close(pair->fd[0]);
  pair->fd[0] = fd;
  return fcntl(fd, F_SETFL, O_NONBLOCK) == 0;
}

POLLER_CASE(disarm_close_reuse_no_stale_report) {
  auto p = Make(b);
  REQUIRE(p);
  Pair old_pipe;
  REQUIRE(MakePipe(&old_pipe));
  int number = old_pipe.fd[0];
  REQUIRE(WriteByte(old_pipe.fd[1]));
  CHECK_EQ(p->Arm(number, kPollRead), 0);
  CHECK_EQ(p->Disarm(number), 0);
  CHECK(PollFor(*p, 1, kQuietMs).empty());  // ready, but disarmed before anyone polled
  old_pipe.Close();

  Pair new_pipe;
  REQUIRE(PipeAt(number, &new_pipe));
  REQUIRE(WriteByte(new_pipe.fd[1]));
  CHECK(PollFor(*p, 1, kQuietMs).empty());  // the new pipe is ready but was never armed
  CHECK_EQ(p->Arm(number, kPollRead), 0);
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(got[0].fd, number);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  p->Disarm(number);
}

// The hub is not always told before an fd is closed; arming the reused number must still work.
POLLER_CASE(closed_without_disarm_then_reused) {
  auto p = Make(b);
  REQUIRE(p);
  Pair old_pipe;
  REQUIRE(MakePipe(&old_pipe));
  int number = old_pipe.fd[0];
  CHECK_EQ(p->Arm(number, kPollRead), 0);
  old_pipe.Close();  // armed, not ready, closed behind the poller's back

  Pair new_pipe;
  REQUIRE(PipeAt(number, &new_pipe));
  REQUIRE(WriteByte(new_pipe.fd[1]));
  std::vector<PollEvent> stale = PollFor(*p, 1, kQuietMs);
  if (!stale.empty()) std::printf("  %s: the closed fd's interest reported for its successor\n", b.name);
  CHECK(stale.empty());
  CHECK_EQ(p->Arm(number, kPollRead), 0);
  std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
  REQUIRE(got.size() == 1);
  CHECK_EQ(got[0].fd, number);
  CHECK_EQ(Bits(got[0].events), std::string("R"));
  p->Disarm(number);
}

POLLER_CASE(bad_fds) {
  auto p = Make(b);
  REQUIRE(p);
  Pair pipe_fds;
  REQUIRE(MakePipe(&pipe_fds));
  int closed = pipe_fds.fd[0];
  CHECK_EQ(p->Disarm(closed), 0);  // never armed: not an error
  pipe_fds.Close();
  CHECK_EQ(p->Arm(closed, kPollRead), EBADF);
  CHECK_EQ(p->Arm(-1, kPollRead), EBADF);
  CHECK_EQ(p->Disarm(closed), 0);  // already closed: nothing left to forget
  CHECK(PollFor(*p, 1, kQuietMs).empty());
}

POLLER_CASE(regular_file) {
  auto p = Make(b);
  REQUIRE(p);
  char path[] = "/tmp/verdant-poller-test-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  unlink(path);
  REQUIRE(write(fd, "abc", 3) == 3);
  REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
  int err = p->Arm(fd, kPollRead);
  if (!b.accepts_regular_files) {
    CHECK_EQ(err, EPERM);
    CHECK(PollFor(*p, 1, kQuietMs).empty());
  } else {
    CHECK_EQ(err, 0);
    std::vector<PollEvent> got = PollFor(*p, 1, kReadyMs);
    REQUIRE(got.size() == 1);
    CHECK_EQ(got[0].fd, fd);
    CHECK_EQ(Bits(got[0].events), std::string("R"));
    // At the end of the file, kqueue reports nothing: a read wait there would never end.
    REQUIRE(lseek(fd, 0, SEEK_END) == 3);
    CHECK_EQ(p->Arm(fd, kPollRead), 0);
    CHECK(PollFor(*p, 1, kQuietMs).empty());
    p->Disarm(fd);
  }
  close(fd);
}

// --- scale ---------------------------------------------------------------------------------------------------------

// Raises the soft RLIMIT_NOFILE to at least `want`; false if the hard limit is lower.
bool EnsureFdLimit(rlim_t want) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < want) {
      std::fprintf(stderr, "RLIMIT_NOFILE hard limit %llu < %llu\n", (unsigned long long)lim.rlim_max,
                   (unsigned long long)want);
      return false;
    }
    lim.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
  }
  return true;
}

POLLER_CASE(many_fds) {
  constexpr int kPairs = 1000;
  REQUIRE(EnsureFdLimit(2 * kPairs + 64));
  auto p = Make(b);
  REQUIRE(p);
  std::vector<Pair> pairs(kPairs);
  for (Pair& pair : pairs) REQUIRE(MakeSocketPair(&pair));
  std::map<int, int> index_of;
  for (int i = 0; i < kPairs; i++) index_of[pairs[i].fd[0]] = i;

  // Every other pair has something to read; only those report.
  for (int i = 0; i < kPairs; i += 2) REQUIRE(WriteByte(pairs[i].fd[1]));
  for (Pair& pair : pairs) REQUIRE(p->Arm(pair.fd[0], kPollRead) == 0);
  std::vector<PollEvent> got = PollFor(*p, kPairs / 2, kReadyMs);
  CHECK_EQ(got.size(), static_cast<size_t>(kPairs / 2));
  std::vector<int> seen(kPairs, 0);
  for (const PollEvent& e : got) {
    auto it = index_of.find(e.fd);
    REQUIRE(it != index_of.end());
    seen[it->second]++;
    CHECK_EQ(Bits(e.events), std::string("R"));
  }
  for (int i = 0; i < kPairs; i++) CHECK_EQ(seen[i], i % 2 == 0 ? 1 : 0);

  // Both directions on all of them. kqueue has one kevent per direction, 1500 here, more than one Poll takes:
  // within a call each fd comes once with both its directions merged; a fd whose two kevents fall into two calls
  // comes once in each, with one direction each. Every direction is reported exactly once.
  for (Pair& pair : pairs) REQUIRE(p->Arm(pair.fd[0], kPollRead | kPollWrite) == 0);
  constexpr int kDirections = kPairs / 2 + kPairs;  // reads of the even ones, writes of all
  std::vector<int> reads(kPairs, 0), writes(kPairs, 0), calls_of(kPairs, 0), last_call(kPairs, -1);
  int directions = 0, calls = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReadyMs);
  while (directions < kDirections && std::chrono::steady_clock::now() < deadline) {
    PollEvent batch[256];
    int n = p->Poll(batch, 256);
    REQUIRE(n >= 0);
    for (int k = 0; k < n; k++) {
      auto it = index_of.find(batch[k].fd);
      REQUIRE(it != index_of.end());
      int i = it->second;
      CHECK(last_call[i] != calls);  // at most once per call
      last_call[i] = calls;
      calls_of[i]++;
      if (batch[k].events & kPollRead) reads[i]++, directions++;
      if (batch[k].events & kPollWrite) writes[i]++, directions++;
      CHECK(!(batch[k].events & (kPollHangup | kPollError)));
    }
    calls++;
    if (n == 0) SleepMs(1);
  }
  CHECK(PollFor(*p, 1, kQuietMs).empty());
  int split = 0;
  for (int i = 0; i < kPairs; i++) {
    CHECK_EQ(reads[i], i % 2 == 0 ? 1 : 0);
    CHECK_EQ(writes[i], 1);
    if (calls_of[i] > 1) split++;
  }
  std::printf("  %s: %d directions in %d calls; %d fds came in two calls\n", b.name, directions, calls, split);
  for (Pair& pair : pairs) CHECK_EQ(p->Disarm(pair.fd[0]), 0);
}

// --- what libuv sees -----------------------------------------------------------------------------------------------

// The hub has libuv watch Poller::fd() for readability (one uv_poll): it must turn readable when an armed fd is
// ready, and quiet again once Poll has taken the events (libuv's poll is level-triggered: a fd that stays readable
// would run the hub's callback on every loop turn).
POLLER_CASE(poller_fd_readable_when_armed_fd_ready) {
  auto p = Make(b);
  REQUIRE(p);
  Pair pipe_fds;
  REQUIRE(MakePipe(&pipe_fds));
  CHECK_EQ(p->Arm(pipe_fds.fd[0], kPollRead), 0);
  CHECK(!PollsReadable(p->fd(), 0));
  REQUIRE(WriteByte(pipe_fds.fd[1]));
  short revents = 0;
  if (b.fd_pollable) {
    CHECK(PollsReadable(p->fd(), kReadyMs, &revents));
    CHECK_EQ(PollFor(*p, 1, kReadyMs).size(), 1u);
    CHECK(!PollsReadable(p->fd(), 0));
  } else {
    // Ready, and Poll sees it, but nothing tells poll(2) so.
    CHECK(!PollsReadable(p->fd(), kQuietMs, &revents));
    std::printf("  %s: poll(2) on the poller's fd %d with an armed fd ready: revents 0x%x (POLLIN %s)\n", b.name,
                p->fd(), revents, (revents & POLLIN) ? "set" : "not set");
    CHECK_EQ(PollFor(*p, 1, kReadyMs).size(), 1u);
  }
  p->Disarm(pipe_fds.fd[0]);
}

POLLER_CASE(poller_fd_is_close_on_exec) {
  auto p = Make(b);
  REQUIRE(p);
  int flags = fcntl(p->fd(), F_GETFD);
  REQUIRE(flags >= 0);
  CHECK(flags & FD_CLOEXEC);
}

TEST(create_poller_picks_the_build_s_poller) {
  std::string why;
  std::unique_ptr<Poller> p = CreatePoller(&why);
#if defined(VERDANT_HAVE_KQUEUE) && defined(__linux__)
  // The hub's poller must be watchable by libuv; libkqueue's is not (see kqueue_poller_fd_readable_...).
  CHECK(p == nullptr);
  CHECK(why.find("libkqueue") != std::string::npos);
#elif defined(VERDANT_HAVE_KQUEUE)
  REQUIRE(p);
  CHECK_EQ(std::string(p->name()), std::string("kqueue"));
#else
  REQUIRE(p);
  CHECK_EQ(std::string(p->name()), std::string("epoll"));
#endif
}

}  // namespace

int main() {
  signal(SIGPIPE, SIG_IGN);  // writes to a closed pipe must fail with EPIPE, not kill the test
  return RUN_ALL_TESTS();
}
