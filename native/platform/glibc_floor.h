// Keeps verdant.node loadable on glibc 2.28 (the floor of Node 20's own Linux binaries) when it is built on a newer
// glibc. binding.gyp force-includes this header into every C++ file on Linux.
//
// A symbol gets a new version when glibc changes it, and a binary built against the new glibc asks for the new
// version, which an older glibc does not have. glibc 2.32 and 2.34 gave new versions to functions that moved from
// libpthread and libdl into libc, unchanged; the oldest version is still there, as the same code. Binding to it
// makes the binary load on every glibc since the architecture's first. scripts/check-prebuild.sh fails a build
// that still needs anything newer than 2.28, so a symbol added here later cannot be forgotten.
//
// Two glibc symbols have no old version, so verdant does not use them: pthread_cond_clockwait (2.30; timed waits
// go through libuv's uv_cond_timedwait), and fstat64 as a symbol (2.33; file sizes come from lseek). The third,
// __libc_single_threaded (2.32), is read by libstdc++'s inline code: glibc_floor.cc defines verdant's own.
#ifndef VERDANT_PLATFORM_GLIBC_FLOOR_H_
#define VERDANT_PLATFORM_GLIBC_FLOOR_H_

#include <features.h>  // defines __GLIBC__ on glibc, nothing on musl

#if defined(__linux__) && defined(__GLIBC__)

#if defined(__x86_64__)
#define VERDANT_GLIBC_FIRST "GLIBC_2.2.5"
#define VERDANT_GLIBC_SETNAME "GLIBC_2.12"
#elif defined(__aarch64__)
#define VERDANT_GLIBC_FIRST "GLIBC_2.17"
#define VERDANT_GLIBC_SETNAME "GLIBC_2.17"
#endif

#ifdef VERDANT_GLIBC_FIRST
#define VERDANT_GLIBC_PIN(symbol, version) __asm__(".symver " #symbol "," #symbol "@" version)
// Moved into libc in 2.34 (from libpthread, libdl).
VERDANT_GLIBC_PIN(pthread_create, VERDANT_GLIBC_FIRST);
VERDANT_GLIBC_PIN(pthread_attr_getstack, VERDANT_GLIBC_FIRST);
VERDANT_GLIBC_PIN(pthread_attr_setstacksize, VERDANT_GLIBC_FIRST);
VERDANT_GLIBC_PIN(pthread_setname_np, VERDANT_GLIBC_SETNAME);
VERDANT_GLIBC_PIN(dlsym, VERDANT_GLIBC_FIRST);
VERDANT_GLIBC_PIN(dladdr, VERDANT_GLIBC_FIRST);
// Re-versioned in 2.32.
VERDANT_GLIBC_PIN(pthread_getattr_np, VERDANT_GLIBC_FIRST);
VERDANT_GLIBC_PIN(pthread_sigmask, VERDANT_GLIBC_FIRST);
#undef VERDANT_GLIBC_PIN
#endif

#endif  // glibc on Linux
#endif  // VERDANT_PLATFORM_GLIBC_FLOOR_H_
