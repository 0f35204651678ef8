// epoll with EPOLLONESHOT for Arm and EPOLLET for Watch: each is one epoll_ctl (MOD, or ADD the first time), Poll
// one epoll_wait(0).
#include "hub/poller.h"

#if defined(VERDANT_HAVE_EPOLL)

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace verdant::detail {
namespace {

class EpollPoller final : public Poller {
 public:
  explicit EpollPoller(int epfd) : epfd_(epfd) {}
  ~EpollPoller() override { close(epfd_); }

  const char* name() const override { return "epoll"; }
  int fd() const override { return epfd_; }

  int Arm(int fd, uint32_t events) override {
    // No EPOLLRDHUP: the peer's shutdown of its write side is no hangup (it may still read), and it would be
    // reported to a writer waiting for room too, waking it again and again while the buffer stays full. A reader
    // needs no RDHUP either: a socket whose peer shut down its write side polls EPOLLIN.
    uint32_t mask = EPOLLONESHOT;
    if (events & kPollRead) mask |= EPOLLIN;
    if (events & kPollWrite) mask |= EPOLLOUT;
    return Register(fd, mask);
  }

  // EPOLLRDHUP is harmless here (an edge fires once) and tells a reader that end of stream follows the data.
  int Watch(int fd) override { return Register(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET); }

  int Disarm(int fd) override {
    if (epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr) == 0 || errno == ENOENT || errno == EBADF) return 0;
    return errno;
  }

  int Poll(PollEvent* out, int max) override {
    if (max > kBatch) max = kBatch;
    int n;
    do {
      n = epoll_wait(epfd_, events_, max, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
      uint32_t e = events_[i].events;
      uint32_t mapped = 0;
      if (e & EPOLLIN) mapped |= kPollRead;
      if (e & EPOLLRDHUP) mapped |= kPollRead | kPollPeerClosed;
      if (e & EPOLLOUT) mapped |= kPollWrite;
      if (e & EPOLLHUP) mapped |= kPollHangup;
      if (e & EPOLLERR) mapped |= kPollError;
      out[i] = PollEvent{events_[i].data.fd, mapped};
    }
    return n;
  }

 private:
  // Most fds are registered again and again: try MOD first; ENOENT means new (or closed and reused).
  int Register(int fd, uint32_t mask) {
    struct epoll_event ev {};
    ev.events = mask;
    ev.data.fd = fd;
    if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
    if (errno != ENOENT) return errno;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
    if (errno != EEXIST) return errno;
    return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : errno;
  }

  static constexpr int kBatch = 256;
  int epfd_;
  struct epoll_event events_[kBatch];
};

}  // namespace

std::unique_ptr<Poller> CreateEpollPoller(std::string* why) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    *why = std::string("epoll_create1 failed: ") + strerror(errno);
    return nullptr;
  }
  return std::make_unique<EpollPoller>(epfd);
}

#if !defined(VERDANT_HAVE_KQUEUE)
std::unique_ptr<Poller> CreatePoller(std::string* why) { return CreateEpollPoller(why); }
#endif

}  // namespace verdant::detail

#endif  // VERDANT_HAVE_EPOLL
