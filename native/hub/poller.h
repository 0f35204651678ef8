// The readiness poller behind a hub: epoll on Linux, kqueue on macOS and the BSDs. One poller per hub; libuv
// watches its fd (one uv_poll), so the hub's waits live inside Node's own event loop.
//
// Two kinds of interest:
// - one-shot: Arm(fd, events) reports the next readiness of any of `events` once, then the fd is quiet until it is
//   armed again. One syscall per wait, and no stale registration can outlive a wait: an fd that was closed and
//   reused behind the hub's back is simply armed again (ENOENT/EEXIST are handled here). Level semantics: an fd
//   that is ready when armed is reported at once.
// - watched: Watch(fd) registers it once, edge-triggered, for both directions; every new readiness (data
//   arriving, room freeing up) is reported from then on, with no syscall per wait. Only for fds whose owner waits
//   after the fd said EAGAIN, and tells the hub when it closes them (lib/io/green-fd.ts).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

// Which pollers this build has. kqueue is the kernel's own on macOS and the BSDs; on Linux it comes from libkqueue
// (its headers and -lkqueue) and is built only when VERDANT_POLLER_KQUEUE asks for it, which also makes it the
// one CreatePoller returns.
#if defined(__linux__)
#define VERDANT_HAVE_EPOLL 1
#endif
#if defined(VERDANT_POLLER_KQUEUE) || defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || \
    defined(__OpenBSD__) || defined(__DragonFly__)
#define VERDANT_HAVE_KQUEUE 1
#endif

namespace verdant::detail {

// Readiness bits, shared with lib/runtime/hub.ts.
enum PollEvents : uint32_t {
  kPollRead = 1,
  kPollWrite = 2,
  // Reported with whatever was asked: the other end is gone or the fd is in error. A peer that only shut down its
  // write side has not hung up (it may still read): its reader gets kPollRead, a writer nothing.
  kPollHangup = 4,
  kPollError = 8,
  // With kPollRead, from watched fds only: the peer shut down its write side, so a read that drains the data is
  // followed by end of stream, with no further edge to announce it.
  kPollPeerClosed = 16,
};

struct PollEvent {
  int fd;
  uint32_t events;  // PollEvents
};

class Poller {
 public:
  virtual ~Poller() = default;
  virtual const char* name() const = 0;
  // The fd that becomes readable when some armed fd is ready (what libuv watches).
  virtual int fd() const = 0;
  // Arms `fd` for the next readiness of `events` (kPollRead | kPollWrite), replacing what it was armed for.
  // Returns 0 or an errno (EBADF, EPERM for fds that cannot be polled such as regular files, ENOMEM...). kqueue
  // accepts regular files: readable while the offset is before the end, never at the end.
  virtual int Arm(int fd, uint32_t events) = 0;
  // Watches `fd` edge-triggered for reading and writing until Disarm, replacing a one-shot arming. If it is ready
  // now, that is reported by the next Poll. Returns 0 or an errno, as Arm.
  virtual int Watch(int fd) = 0;
  // Forgets `fd` (call before it is closed). Returns 0 or an errno; an fd the poller never saw is not an error.
  virtual int Disarm(int fd) = 0;
  // Collects up to `max` ready fds without blocking, each fd at most once per call. Returns how many, or -errno.
  virtual int Poll(PollEvent* out, int max) = 0;
};

// The poller this platform builds with (kqueue where VERDANT_HAVE_KQUEUE, else epoll). nullptr with a reason when
// the kernel refuses.
std::unique_ptr<Poller> CreatePoller(std::string* why);

std::unique_ptr<Poller> CreateEpollPoller(std::string* why);
std::unique_ptr<Poller> CreateKqueuePoller(std::string* why);

}  // namespace verdant::detail
