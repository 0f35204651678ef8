// kqueue with EV_ONESHOT: Arm is one kevent() that adds the wanted filters and deletes the unwanted ones, Poll one
// kevent() with a zero timeout. Native on macOS and the BSDs; on Linux it builds against libkqueue (an emulation on
// top of epoll) only when VERDANT_POLLER_KQUEUE is defined, which is how the native tests exercise it there.
#include "hub/poller.h"

#if defined(VERDANT_HAVE_KQUEUE)

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <vector>

// Arm and Disarm need a result per change without draining pending events (see ApplyChanges).
#if !defined(EV_RECEIPT)
#error "the kqueue poller needs EV_RECEIPT"
#endif

namespace verdant::detail {
namespace {

constexpr struct timespec kNoWait = {0, 0};

class KqueuePoller final : public Poller {
 public:
  explicit KqueuePoller(int kq) : kq_(kq) {}
  ~KqueuePoller() override { close(kq_); }

  const char* name() const override { return "kqueue"; }
  int fd() const override { return kq_; }

  // A filter that is no longer wanted is deleted, not left to fire and be filtered out here: a stale EV_ONESHOT
  // filter would still wake libuv (the kqueue fd turns readable) for an event nobody asked for, and Poll cannot
  // tell it from a wanted one without keeping a second copy of the interest. Deleting a filter that is not there
  // (it already fired, or was never added) fails with ENOENT, which is the outcome we wanted anyway.
  int Arm(int fd, uint32_t events) override {
    struct kevent changes[kMaxChanges];
    int n = 0;
    for (int16_t filter : {EVFILT_READ, EVFILT_WRITE}) {
      bool wanted = (events & (filter == EVFILT_READ ? kPollRead : kPollWrite)) != 0;
      if (kAddAfresh || !wanted) EV_SET(&changes[n++], fd, filter, EV_DELETE, 0, 0, nullptr);
      if (wanted) EV_SET(&changes[n++], fd, filter, EV_ADD | EV_ONESHOT, 0, 0, nullptr);
    }
    int err = ApplyChanges(changes, n);
    // Leave nothing half-armed: a caller that sees an error does not wait, so no filter of this call may fire.
    if (err != 0) Disarm(fd);
    return err;
  }

  // EV_CLEAR makes both filters edge-triggered: each reports once per change of state, then resets.
  int Watch(int fd) override {
    struct kevent changes[kMaxChanges];
    int n = 0;
    for (int16_t filter : {EVFILT_READ, EVFILT_WRITE}) {
      if (kAddAfresh) EV_SET(&changes[n++], fd, filter, EV_DELETE, 0, 0, nullptr);
      EV_SET(&changes[n++], fd, filter, EV_ADD | EV_CLEAR, 0, 0, nullptr);
    }
    int err = ApplyChanges(changes, n);
    if (err != 0) Disarm(fd);
    return err;
  }

  // A closed fd has no filters left (the kernel drops them on close), hence EBADF is as good as done.
  int Disarm(int fd) override {
    struct kevent changes[2];
    EV_SET(&changes[0], fd, EVFILT_READ, EV_DELETE, 0, 0, nullptr);
    EV_SET(&changes[1], fd, EVFILT_WRITE, EV_DELETE, 0, 0, nullptr);
    int err = ApplyChanges(changes, 2);
    return err == EBADF ? 0 : err;
  }

  int Poll(PollEvent* out, int max) override {
    if (max > kBatch) max = kBatch;
    if (max <= 0) return 0;
    int n;
    do {
      n = kevent(kq_, nullptr, 0, events_, max, &kNoWait);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    // A fd armed for both directions comes back as two kevents (one per filter), not necessarily adjacent. The
    // caller wants one event per fd: it re-arms after each, and a second, separate event for the same fd would
    // be taken for a new readiness after that re-arm.
    int count = 0;
    for (int i = 0; i < n; i++) {
      int fd = static_cast<int>(events_[i].ident);
      uint32_t bits = Map(events_[i]);
      int at = SlotOf(fd);
      if (at >= 0) {
        out[at].events |= bits;
      } else {
        SetSlot(fd, count);
        out[count++] = PollEvent{fd, bits};
      }
    }
    for (int i = 0; i < count; i++) SetSlot(out[i].fd, -1);
    return count;
  }

 private:
  static constexpr int kBatch = 256;
  static constexpr int kMaxChanges = 4;

#if defined(__linux__)
  // libkqueue (kqueue emulated on epoll) does not see a close: a closed fd's filters stay in its tables, and EV_ADD
  // for a new fd with the same number then modifies the stale filter, which watches nothing, and reports success.
  // Its EV_ADD on a live, unfired read filter of a socket is refused inside, yet its receipt carries whatever errno
  // was left over (0: success). Deleting first makes every Arm a fresh registration and avoids both. The kernels'
  // own kqueues drop a fd's filters on close and modify in place, so they skip the deletes.
  static constexpr bool kAddAfresh = true;
#else
  static constexpr bool kAddAfresh = false;
#endif

  // What one kevent means for the waiters of its fd.
  //  - EVFILT_READ: readable. EV_EOF there says the peer closed its write side: the next read returns what is
  //    left, then 0. That wakes a reader (kPollRead) but is no hangup: the peer of a half-closed socket may still
  //    read what we write, and a hangup wakes every waiter of the fd, a writer on a full buffer included, which
  //    would wake, find the buffer full, wait again and be woken again at once, forever.
  //  - EVFILT_WRITE: writable. EV_EOF there says nobody will read what we write (the pipe's reader or the
  //    socket's peer is gone): the fd is done for good, hence kPollHangup besides kPollWrite.
  //  - fflags on an EV_EOF event carry the socket's pending error; EV_ERROR (which Poll should never see without
  //    a changelist) carries an errno in data. Both are kPollError.
  static uint32_t Map(const struct kevent& ev) {
    uint32_t bits = 0;
    if (ev.flags & EV_ERROR) return kPollError;
    if (ev.filter == EVFILT_READ) bits |= kPollRead | ((ev.flags & EV_EOF) ? kPollPeerClosed : 0);
    if (ev.filter == EVFILT_WRITE) {
      bits |= kPollWrite;
      if (ev.flags & EV_EOF) bits |= kPollHangup;
    }
    if ((ev.flags & EV_EOF) && ev.fflags != 0) bits |= kPollError;
    return bits;
  }

  // Applies `n` changes in one call. EV_RECEIPT makes every change report its own result (EV_ERROR, data = 0 or
  // an errno), and a result list exactly as long as the changes leaves no room for pending events, so arming
  // never drains readiness that Poll must see. Returns the first errno other than ENOENT, or 0.
  int ApplyChanges(struct kevent* changes, int n) {
    struct kevent results[kMaxChanges];
    for (int i = 0; i < n; i++) changes[i].flags |= EV_RECEIPT;
    int got;
    // Repeating the whole list is safe: adding twice is a modification, deleting twice an ENOENT.
    do {
      got = kevent(kq_, changes, n, results, n, &kNoWait);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return errno;
    for (int i = 0; i < got; i++) {
      if (!(results[i].flags & EV_ERROR)) continue;  // not a receipt: cannot happen with a full result list
      int err = static_cast<int>(results[i].data);
      if (err != 0 && err != ENOENT) return err;
    }
    return 0;
  }

  // Where in Poll's output the fd already is, or -1. Indexed by fd; every entry is -1 between calls.
  int SlotOf(int fd) const { return fd >= 0 && static_cast<size_t>(fd) < slot_of_fd_.size() ? slot_of_fd_[fd] : -1; }
  void SetSlot(int fd, int slot) {
    if (fd < 0) return;
    if (static_cast<size_t>(fd) >= slot_of_fd_.size()) slot_of_fd_.resize(static_cast<size_t>(fd) + 1, -1);
    slot_of_fd_[fd] = slot;
  }

  int kq_;
  struct kevent events_[kBatch];
  std::vector<int> slot_of_fd_;
};

}  // namespace

std::unique_ptr<Poller> CreateKqueuePoller(std::string* why) {
  int kq = kqueue();
  if (kq < 0) {
    *why = std::string("kqueue failed: ") + strerror(errno);
    return nullptr;
  }
  // kqueue() has no close-on-exec flag everywhere (kqueue1/kqueuex are not portable). A kqueue is not inherited
  // by fork anyway; this keeps its fd out of exec'd children on systems where the fd itself would survive.
  if (fcntl(kq, F_SETFD, FD_CLOEXEC) < 0) {
    *why = std::string("fcntl(FD_CLOEXEC) on the kqueue failed: ") + strerror(errno);
    close(kq);
    return nullptr;
  }
  return std::make_unique<KqueuePoller>(kq);
}

#if defined(__linux__)
// libkqueue's kqueue fd is the write end of a private pipe (closing it is how libkqueue learns the kqueue is gone);
// its events live in an epoll set it does not expose. A pipe's write end never polls readable, so libuv, which the
// hub has watch Poller::fd(), would never report anything and every fd wait would hang. Refuse instead.
std::unique_ptr<Poller> CreatePoller(std::string* why) {
  *why = "the kqueue poller is built against libkqueue, whose kqueue fd never polls readable, so libuv cannot watch "
         "it (build without VERDANT_POLLER_KQUEUE)";
  return nullptr;
}
#else
std::unique_ptr<Poller> CreatePoller(std::string* why) { return CreateKqueuePoller(why); }
#endif

}  // namespace verdant::detail

#endif  // VERDANT_HAVE_KQUEUE
