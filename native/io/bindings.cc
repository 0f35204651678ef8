// Green I/O's syscalls, one binding each. They never block: every fd they make is non-blocking, and a call that
// would block returns -EAGAIN so that lib/ parks the green thread on the fd (lib/runtime/hub.ts waitFd) and
// retries, as eventlet's greenio does. Each returns its result (>= 0) or -errno; EINTR is retried here. Policy
// (timeouts, errors, addresses, buffering) lives in lib/net and lib/process.
//
//   io_socket(family, type, protocol): fd            io_socketpair(family, type): [fd, fd] | -errno
//   io_pipe(): [readFd, writeFd] | -errno            io_dup(fd): fd          io_close(fd)
//   io_bind(fd, family, host, port)                  io_connect(fd, family, host, port)   (literal hosts only)
//   io_listen(fd, backlog)                           io_accept(fd): fd
//   io_recv(fd, view, offset, length, flags): n      io_send(fd, view, offset, length, flags): n
//   io_read(fd, view, offset, length): n             io_write(fd, view, offset, length): n
//   io_recvfrom(fd, view, offset, length, flags): [n, family, host, port] | -errno
//   io_sendto(fd, view, offset, length, flags, family, host, port): n
//   io_shutdown(fd, how)                             io_set_blocking(fd, blocking)
//   io_setsockopt(fd, level, name, value)            io_getsockopt(fd, level, name): value (options are ints >= 0)
//   io_getsockopt_bytes(fd, level, name, view, offset, length): bytes written into view | -errno
//   io_address(fd, peer): [family, host, port, flowinfo, scopeId] | -errno
//   io_lseek(fd, offset, whence): the new offset | -errno
//   io_poll(list): how many fds are ready | -errno; list is an Int32Array of (fd, events) pairs, and each events
//                  slot is overwritten with the fd's revents (poll(2) with timeout 0: never waits)
//   io_map_shared(fd, length): ArrayBuffer | -errno  the file's first bytes, mapped shared (MAP_SHARED)
//   io_constants: { AF_INET, SOCK_STREAM, TCP_NODELAY, EAGAIN, ... } for this platform
#include "io/bindings.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "io/sockaddr.h"
#include "io/arguments.h"
#include "platform/posix.h"

namespace verdant::detail {
namespace {

using io::DecodedAddr;
using io::SockAddr;

// The (family, host, port) arguments starting at i as a sockaddr; false with the -errno set as return value,
// or a TypeError thrown.
bool AddressArgs(const v8::FunctionCallbackInfo<v8::Value>& info, int i, SockAddr* out) {
  if (info.Length() < i + 3 || !info[i + 1]->IsString()) {
    ThrowTypeError(info.GetIsolate(), "expected a family, a host and a port");
    return false;
  }
  v8::String::Utf8Value host(info.GetIsolate(), info[i + 1]);
  int err = io::EncodeSockAddr(IntArg(info, i), std::string(*host, host.length()), IntArg(info, i + 2), out);
  if (err != 0) {
    info.GetReturnValue().Set(err);
    return false;
  }
  return true;
}

void SetResult(const v8::FunctionCallbackInfo<v8::Value>& info, ssize_t result) {
  info.GetReturnValue().Set(static_cast<double>(result < 0 ? -errno : result));
}

// [family, host, port, flowinfo, scopeId]
v8::Local<v8::Array> AddressArray(v8::Isolate* isolate, const DecodedAddr& addr, v8::Local<v8::Value> first = {}) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> items[] = {
      v8::Integer::New(isolate, addr.family),
      v8::String::NewFromUtf8(isolate, addr.host.data(), v8::NewStringType::kNormal, static_cast<int>(addr.host.size()))
          .ToLocalChecked(),
      v8::Integer::New(isolate, addr.port),
      v8::Integer::NewFromUnsigned(isolate, addr.flowinfo),
      v8::Integer::NewFromUnsigned(isolate, addr.scope_id),
  };
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t n = 0;
  if (!first.IsEmpty()) out->CreateDataProperty(context, n++, first).FromMaybe(false);
  for (v8::Local<v8::Value> item : items) out->CreateDataProperty(context, n++, item).FromMaybe(false);
  return out;
}

v8::Local<v8::Array> FdPair(v8::Isolate* isolate, const int fds[2]) {
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  out->CreateDataProperty(context, 0, v8::Integer::New(isolate, fds[0])).FromMaybe(false);
  out->CreateDataProperty(context, 1, v8::Integer::New(isolate, fds[1])).FromMaybe(false);
  return out;
}

#define RETRY_EINTR(call)                   \
  ({                                        \
    ssize_t r_;                             \
    do r_ = (call);                         \
    while (r_ < 0 && errno == EINTR);       \
    r_;                                     \
  })

void Socket(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SetResult(info, posix::Socket(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2)));
}

void SocketPair(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int fds[2];
  if (posix::SocketPair(IntArg(info, 0), IntArg(info, 1), fds) != 0) return SetResult(info, -1);
  info.GetReturnValue().Set(FdPair(info.GetIsolate(), fds));
}

// Both ends close-on-exec and blocking: lib/ makes its own ends non-blocking and hands the others to children
// (O_NONBLOCK belongs to the open file, which a child's dup2 would share).
void Pipe(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int fds[2];
  if (posix::Pipe(fds) != 0) return SetResult(info, -1);
  info.GetReturnValue().Set(FdPair(info.GetIsolate(), fds));
}

void Dup(const v8::FunctionCallbackInfo<v8::Value>& info) { SetResult(info, fcntl(IntArg(info, 0), F_DUPFD_CLOEXEC, 0)); }

// Not retried on EINTR: on Linux the fd is gone either way.
void Close(const v8::FunctionCallbackInfo<v8::Value>& info) { SetResult(info, close(IntArg(info, 0))); }

void Bind(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SockAddr addr;
  if (AddressArgs(info, 1, &addr)) SetResult(info, bind(IntArg(info, 0), addr.get(), addr.length));
}

// A non-blocking connect returns -EINPROGRESS; lib/ waits for writability, then reads SO_ERROR. An EINTR'd
// connect goes on in the background like EINPROGRESS, so it is reported as that.
void Connect(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SockAddr addr;
  if (!AddressArgs(info, 1, &addr)) return;
  int r = connect(IntArg(info, 0), addr.get(), addr.length);
  info.GetReturnValue().Set(r == 0 ? 0 : errno == EINTR ? -EINPROGRESS : -errno);
}

void Listen(const v8::FunctionCallbackInfo<v8::Value>& info) { SetResult(info, listen(IntArg(info, 0), IntArg(info, 1))); }

void Accept(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SetResult(info, RETRY_EINTR(posix::Accept(IntArg(info, 0))));
}

void Recv(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (ByteRange(info, 1, &data, &size)) SetResult(info, RETRY_EINTR(recv(IntArg(info, 0), data, size, IntArg(info, 4))));
}

// kMsgNoSignal: a write to a reset peer is EPIPE, not a SIGPIPE that kills the process.
void Send(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (ByteRange(info, 1, &data, &size)) {
    SetResult(info, RETRY_EINTR(send(IntArg(info, 0), data, size, IntArg(info, 4) | posix::kMsgNoSignal)));
  }
}

void Read(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (ByteRange(info, 1, &data, &size)) SetResult(info, RETRY_EINTR(read(IntArg(info, 0), data, size)));
}

// Node ignores SIGPIPE process-wide, so a write to a pipe whose reader has gone is EPIPE here too.
void Write(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (ByteRange(info, 1, &data, &size)) SetResult(info, RETRY_EINTR(write(IntArg(info, 0), data, size)));
}

void RecvFrom(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (!ByteRange(info, 1, &data, &size)) return;
  SockAddr from;
  from.length = sizeof(from.storage);
  ssize_t n = RETRY_EINTR(recvfrom(IntArg(info, 0), data, size, IntArg(info, 4),
                                   reinterpret_cast<sockaddr*>(&from.storage), &from.length));
  if (n < 0) return SetResult(info, n);
  DecodedAddr addr;
  if (from.length == 0 || !io::DecodeSockAddr(from.get(), from.length, &addr)) addr.family = AF_UNSPEC;
  info.GetReturnValue().Set(AddressArray(info.GetIsolate(), addr, v8::Number::New(info.GetIsolate(), static_cast<double>(n))));
}

void SendTo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  SockAddr to;
  if (!ByteRange(info, 1, &data, &size) || !AddressArgs(info, 5, &to)) return;
  SetResult(info, RETRY_EINTR(sendto(IntArg(info, 0), data, size, IntArg(info, 4) | posix::kMsgNoSignal, to.get(),
                                     to.length)));
}

void Shutdown(const v8::FunctionCallbackInfo<v8::Value>& info) { SetResult(info, shutdown(IntArg(info, 0), IntArg(info, 1))); }

void SetBlocking(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int fd = IntArg(info, 0);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return SetResult(info, -1);
  bool blocking = info.Length() > 1 && info[1]->IsTrue();
  int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  SetResult(info, wanted == flags ? 0 : fcntl(fd, F_SETFL, wanted));
}

void SetSockOpt(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int value = IntArg(info, 3);
  SetResult(info, setsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), &value, sizeof(value)));
}

void GetSockOpt(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int value = 0;
  socklen_t length = sizeof(value);
  if (getsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), &value, &length) != 0) return SetResult(info, -1);
  info.GetReturnValue().Set(value);
}

// An option of any shape (Python's getsockopt with a buffer length): its raw bytes, as many as the kernel gives.
void GetSockOptBytes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (!ByteRange(info, 3, &data, &size)) return;
  socklen_t length = static_cast<socklen_t>(size);
  if (getsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), data, &length) != 0) return SetResult(info, -1);
  info.GetReturnValue().Set(static_cast<double>(length));
}

// The offset is a double: files grow past 2 GiB, and lib/ passes only integers up to 2^53.
void Lseek(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() < 3 || !info[1]->IsNumber()) return ThrowTypeError(info.GetIsolate(), "expected an fd, an offset and a whence");
  off_t offset = static_cast<off_t>(info[1].As<v8::Number>()->Value());
  SetResult(info, lseek(IntArg(info, 0), offset, IntArg(info, 2)));
}

// Readiness now, for the green select (lib/io/select.ts): waiting is the hub's job, so the timeout is always 0.
void Poll(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (info.Length() < 1 || !info[0]->IsInt32Array()) return ThrowTypeError(info.GetIsolate(), "expected an Int32Array");
  v8::Local<v8::Int32Array> list = info[0].As<v8::Int32Array>();
  size_t count = list->Length() / 2;
  int32_t* pairs = reinterpret_cast<int32_t*>(static_cast<char*>(list->Buffer()->Data()) + list->ByteOffset());
  std::vector<pollfd> fds(count);
  for (size_t i = 0; i < count; i++) fds[i] = pollfd{pairs[2 * i], static_cast<short>(pairs[2 * i + 1]), 0};
  int r = RETRY_EINTR(poll(fds.data(), static_cast<nfds_t>(count), 0));
  if (r < 0) return SetResult(info, -1);
  for (size_t i = 0; i < count; i++) pairs[2 * i + 1] = fds[i].revents;
  info.GetReturnValue().Set(r);
}

void Address(const v8::FunctionCallbackInfo<v8::Value>& info) {
  SockAddr sa;
  sa.length = sizeof(sa.storage);
  int fd = IntArg(info, 0);
  bool peer = info.Length() > 1 && info[1]->IsTrue();
  int r = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&sa.storage), &sa.length)
               : getsockname(fd, reinterpret_cast<sockaddr*>(&sa.storage), &sa.length);
  if (r != 0) return SetResult(info, -1);
  DecodedAddr addr;
  if (!io::DecodeSockAddr(sa.get(), sa.length, &addr)) return info.GetReturnValue().Set(-EAFNOSUPPORT);
  info.GetReturnValue().Set(AddressArray(info.GetIsolate(), addr));
}

// The first `length` bytes of the file open as fd, mapped read-write and shared, as an ArrayBuffer: processes that
// map the same file see each other's writes (lib/net/accept-balance.ts keeps its table there). The file must
// already be that long, since touching a page past its end would be SIGBUS (-EINVAL otherwise). The mapping is
// unmapped when the ArrayBuffer is collected, and outlives the fd.
void MapShared(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  int fd = IntArg(info, 0);
  int length = IntArg(info, 1);
  if (length <= 0) return ThrowTypeError(isolate, "expected an fd and a length > 0");
  // The file must reach `length`: one byte read at its last offset says so without fstat, whose symbol is newer
  // than the glibc 2.28 the prebuilds are held to, and without moving the offset the processes share. A pipe or
  // a socket fails here too (ESPIPE).
  char last;
  ssize_t got = pread(fd, &last, 1, static_cast<off_t>(length) - 1);
  if (got < 0) return SetResult(info, -1);
  if (got == 0) return info.GetReturnValue().Set(-EINVAL);
  void* data = mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (data == MAP_FAILED) return SetResult(info, -1);
  std::unique_ptr<v8::BackingStore> store = v8::ArrayBuffer::NewBackingStore(
      data, static_cast<size_t>(length), [](void* bytes, size_t size, void*) { munmap(bytes, size); }, nullptr);
  info.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

void SetConstants(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target) {
  static const IntConstant kConstants[] = {
      {"AF_UNSPEC", AF_UNSPEC}, {"AF_INET", AF_INET}, {"AF_INET6", AF_INET6}, {"AF_UNIX", AF_UNIX},
      {"SOCK_STREAM", SOCK_STREAM}, {"SOCK_DGRAM", SOCK_DGRAM},
      {"SOL_SOCKET", SOL_SOCKET}, {"IPPROTO_TCP", IPPROTO_TCP}, {"IPPROTO_IP", IPPROTO_IP},
      {"IPPROTO_IPV6", IPPROTO_IPV6},
      {"SO_REUSEADDR", SO_REUSEADDR}, {"SO_REUSEPORT", SO_REUSEPORT}, {"SO_KEEPALIVE", SO_KEEPALIVE},
      {"SO_BROADCAST", SO_BROADCAST}, {"SO_RCVBUF", SO_RCVBUF}, {"SO_SNDBUF", SO_SNDBUF}, {"SO_ERROR", SO_ERROR},
      {"SO_TYPE", SO_TYPE}, {"SO_RCVLOWAT", SO_RCVLOWAT}, {"SO_SNDLOWAT", SO_SNDLOWAT},
      {"TCP_NODELAY", TCP_NODELAY}, {"TCP_KEEPIDLE", posix::kTcpKeepIdle},
      {"TCP_KEEPINTVL", posix::kTcpKeepIntvl}, {"TCP_KEEPCNT", posix::kTcpKeepCnt},
      {"IPV6_V6ONLY", IPV6_V6ONLY}, {"IP_TTL", IP_TTL},
      {"MSG_PEEK", MSG_PEEK}, {"MSG_OOB", MSG_OOB}, {"MSG_WAITALL", MSG_WAITALL}, {"MSG_DONTWAIT", MSG_DONTWAIT},
      {"SHUT_RD", SHUT_RD}, {"SHUT_WR", SHUT_WR}, {"SHUT_RDWR", SHUT_RDWR},
      {"EAGAIN", EAGAIN}, {"EWOULDBLOCK", EWOULDBLOCK}, {"EINPROGRESS", EINPROGRESS}, {"EINTR", EINTR},
      {"EMFILE", EMFILE}, {"ENFILE", ENFILE}, {"ENOBUFS", ENOBUFS}, {"ENOMEM", ENOMEM},
      {"ECONNABORTED", ECONNABORTED}, {"EBADF", EBADF}, {"EPIPE", EPIPE}, {"ECONNRESET", ECONNRESET},
      {"ENOTCONN", ENOTCONN}, {"EISCONN", EISCONN}, {"EALREADY", EALREADY}, {"ETIMEDOUT", ETIMEDOUT},
      {"EINVAL", EINVAL}, {"ENOTSOCK", ENOTSOCK}, {"ESPIPE", ESPIPE},
      {"SEEK_SET", SEEK_SET}, {"SEEK_CUR", SEEK_CUR}, {"SEEK_END", SEEK_END},
      {"POLLIN", POLLIN}, {"POLLPRI", POLLPRI}, {"POLLOUT", POLLOUT}, {"POLLERR", POLLERR},
      {"POLLHUP", POLLHUP}, {"POLLNVAL", POLLNVAL},
  };
  SetIntConstants(isolate, context, target, "io_constants", kConstants);
}

}  // namespace

void InitIoBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                    Runtime* runtime) {
  v8::Local<v8::External> data = v8::External::New(isolate, runtime);
  SetConstants(isolate, context, target);
  SetMethod(isolate, context, target, "io_socket", Socket, data);
  SetMethod(isolate, context, target, "io_socketpair", SocketPair, data);
  SetMethod(isolate, context, target, "io_pipe", Pipe, data);
  SetMethod(isolate, context, target, "io_dup", Dup, data);
  SetMethod(isolate, context, target, "io_close", Close, data);
  SetMethod(isolate, context, target, "io_bind", Bind, data);
  SetMethod(isolate, context, target, "io_connect", Connect, data);
  SetMethod(isolate, context, target, "io_listen", Listen, data);
  SetMethod(isolate, context, target, "io_accept", Accept, data);
  SetMethod(isolate, context, target, "io_recv", Recv, data);
  SetMethod(isolate, context, target, "io_send", Send, data);
  SetMethod(isolate, context, target, "io_read", Read, data);
  SetMethod(isolate, context, target, "io_write", Write, data);
  SetMethod(isolate, context, target, "io_recvfrom", RecvFrom, data);
  SetMethod(isolate, context, target, "io_sendto", SendTo, data);
  SetMethod(isolate, context, target, "io_shutdown", Shutdown, data);
  SetMethod(isolate, context, target, "io_set_blocking", SetBlocking, data);
  SetMethod(isolate, context, target, "io_setsockopt", SetSockOpt, data);
  SetMethod(isolate, context, target, "io_getsockopt", GetSockOpt, data);
  SetMethod(isolate, context, target, "io_getsockopt_bytes", GetSockOptBytes, data);
  SetMethod(isolate, context, target, "io_address", Address, data);
  SetMethod(isolate, context, target, "io_lseek", Lseek, data);
  SetMethod(isolate, context, target, "io_poll", Poll, data);
  SetMethod(isolate, context, target, "io_map_shared", MapShared, data);
}

}  // namespace verdant::detail
