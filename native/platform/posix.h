// The system calls whose best form differs between Linux, macOS and the BSDs, one name each; this header is the
// only place that knows which platform it is on. Each returns like the call it stands for (a result, or -1 with
// errno set), so call sites keep their EINTR and error handling.
//
// Linux and the BSDs make an fd non-blocking and close-on-exec in the call that creates it (accept4, pipe2,
// SOCK_NONBLOCK | SOCK_CLOEXEC), so a fork+exec on another thread can never inherit it. macOS has none of these
// and sets the flags right after, which leaves that a short window. VERDANT_PLATFORM_PORTABLE_FALLBACKS selects
// macOS's two-step forms on any kernel, so that they are built and tested on Linux too.
#ifndef VERDANT_PLATFORM_POSIX_H_
#define VERDANT_PLATFORM_POSIX_H_

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#if defined(__FreeBSD__) || defined(__DragonFly__) || defined(__OpenBSD__)
#include <pthread_np.h>
#endif

namespace verdant::posix {

// --- SIGPIPE -----------------------------------------------------------------------------------------------------
// A send to a reset peer must fail with EPIPE, not raise a SIGPIPE that kills the process.
#if defined(__APPLE__)
// No MSG_NOSIGNAL: each socket is told when it is made never to raise SIGPIPE (internal::Finish).
inline constexpr int kMsgNoSignal = 0;
namespace internal {
inline bool NoSigPipe(int fd) {
  int on = 1;
  return setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof(on)) == 0;
}
}  // namespace internal
#else
inline constexpr int kMsgNoSignal = MSG_NOSIGNAL;
namespace internal {
inline bool NoSigPipe(int) { return true; }
}  // namespace internal
#endif

// --- new fds: sockets non-blocking, everything close-on-exec --------------------------------------------------
#if defined(__APPLE__) || defined(VERDANT_PLATFORM_PORTABLE_FALLBACKS)

namespace internal {

inline int CloseKeepingErrno(int fd) {
  int err = errno;
  close(fd);
  errno = err;
  return -1;
}

// Gives a new fd (a socket unless `pipe`) what the Linux flags would have given it; closes it on failure.
inline int Finish(int fd, bool pipe = false) {
  if (fd < 0) return fd;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return CloseKeepingErrno(fd);
  if (pipe) return fd;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || !NoSigPipe(fd)) return CloseKeepingErrno(fd);
  return fd;
}

}  // namespace internal

inline int Socket(int family, int type, int protocol) { return internal::Finish(socket(family, type, protocol)); }

inline int SocketPair(int family, int type, int fds[2]) {
  if (socketpair(family, type, 0, fds) != 0) return -1;
  if (internal::Finish(fds[0]) < 0) return internal::CloseKeepingErrno(fds[1]);
  if (internal::Finish(fds[1]) < 0) return internal::CloseKeepingErrno(fds[0]);
  return 0;
}

inline int Accept(int fd) { return internal::Finish(accept(fd, nullptr, nullptr)); }

// Blocking, like pipe2(fds, O_CLOEXEC).
inline int Pipe(int fds[2]) {
  if (pipe(fds) != 0) return -1;
  if (internal::Finish(fds[0], /*pipe=*/true) < 0) return internal::CloseKeepingErrno(fds[1]);
  if (internal::Finish(fds[1], /*pipe=*/true) < 0) return internal::CloseKeepingErrno(fds[0]);
  return 0;
}

#else  // Linux and the current BSDs

inline int Socket(int family, int type, int protocol) {
  return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
}
inline int SocketPair(int family, int type, int fds[2]) {
  return socketpair(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
}
inline int Accept(int fd) { return accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); }
// Blocking.
inline int Pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

#endif

// --- TCP keepalive tuning (the values io_constants gives JS under the Linux names) ------------------------------
#if defined(__APPLE__)
inline constexpr int kTcpKeepIdle = TCP_KEEPALIVE;  // macOS's name for the same option
inline constexpr int kTcpKeepIntvl = TCP_KEEPINTVL;
inline constexpr int kTcpKeepCnt = TCP_KEEPCNT;
#elif defined(__OpenBSD__)
// Tunable only system-wide there (sysctl net.inet.tcp.keep*); no option has this number, so setting it fails
// with ENOPROTOOPT instead of setting something else.
inline constexpr int kTcpKeepIdle = -1;
inline constexpr int kTcpKeepIntvl = -1;
inline constexpr int kTcpKeepCnt = -1;
#else
inline constexpr int kTcpKeepIdle = TCP_KEEPIDLE;
inline constexpr int kTcpKeepIntvl = TCP_KEEPINTVL;
inline constexpr int kTcpKeepCnt = TCP_KEEPCNT;
#endif

// --- the calling thread's stack ---------------------------------------------------------------------------------
namespace internal {

// Reads the stack out of `attr`, then destroys it.
inline bool TakeStack(pthread_attr_t* attr, uintptr_t* low, uintptr_t* high) {
  void* lowest = nullptr;
  size_t size = 0;
  int rc = pthread_attr_getstack(attr, &lowest, &size);
  pthread_attr_destroy(attr);
  if (rc != 0) return false;
  *low = reinterpret_cast<uintptr_t>(lowest);
  *high = *low + size;
  return true;
}

}  // namespace internal

// [*low, *high) as the C library knows it: for the main thread, as far down as its rlimit lets it grow. False
// (outputs untouched) if it cannot tell.
inline bool CurrentThreadStack(uintptr_t* low, uintptr_t* high) {
#if defined(__linux__)
  pthread_attr_t attr;
  return pthread_getattr_np(pthread_self(), &attr) == 0 && internal::TakeStack(&attr, low, high);
#elif defined(__APPLE__)
  // The top (the highest address), not the lowest.
  *high = reinterpret_cast<uintptr_t>(pthread_get_stackaddr_np(pthread_self()));
  *low = *high - pthread_get_stacksize_np(pthread_self());
  return true;
#elif defined(__OpenBSD__)
  stack_t segment;  // ss_sp is the top, as on macOS
  if (pthread_stackseg_np(pthread_self(), &segment) != 0) return false;
  *high = reinterpret_cast<uintptr_t>(segment.ss_sp);
  *low = *high - segment.ss_size;
  return true;
#else  // FreeBSD, DragonFly, NetBSD: it fills in an attr the caller initialised.
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  if (pthread_attr_get_np(pthread_self(), &attr) != 0) {
    pthread_attr_destroy(&attr);
    return false;
  }
  return internal::TakeStack(&attr, low, high);
#endif
}

// --- thread names -----------------------------------------------------------------------------------------------
// For ps, top and debuggers; at most 15 characters. Cosmetic, so only done where one thread can name another
// portably: macOS only names the calling thread, and the BSDs spell it three different ways.
inline void NameThread(pthread_t thread, const char* name) {
#if defined(__linux__)
  pthread_setname_np(thread, name);
#else
  (void)thread;
  (void)name;
#endif
}

// --- greenlet stacks --------------------------------------------------------------------------------------------
// Added to MAP_PRIVATE | MAP_ANONYMOUS where the kernel has them: MAP_NORESERVE, so that a stack's untouched
// reserve is not charged against the commit limit (Linux); MAP_STACK, because OpenBSD kills a thread whose stack
// pointer lies outside such a mapping.
inline constexpr int kStackMapFlags =
#if defined(MAP_NORESERVE)
    MAP_NORESERVE |
#endif
#if defined(MAP_STACK)
    MAP_STACK |
#endif
    0;

}  // namespace verdant::posix

#endif  // VERDANT_PLATFORM_POSIX_H_
