// See glibc_floor.h. The .symver pins there reach only verdant's own code. libstdc++ and libgcc are linked in from
// the build machine's static archives, which were compiled against its newer glibc and ask for symbols that glibc
// 2.28 does not have. Each is defined here instead, hidden, so the link resolves those archives' references inside
// verdant.node and none of them is asked of the system's glibc:
//  - pthread_once and __pthread_key_create (2.34 versions; libgcc's unwinder): forwarded to their oldest versions;
//  - _dl_find_object (2.35; how libgcc's unwinder finds a function's unwind tables): answered from
//    dl_iterate_phdr, which is what the unwinder used before glibc had it;
//  - arc4random (2.36; std::random_device, which libstdc++'s string objects drag in and verdant never uses):
//    from getrandom (2.25);
//  - __libc_single_threaded (2.32; libstdc++'s inline code skips atomic operations while it is true): always 0,
//    "there may be other threads", true of every Node process and only costs the atomics glibc would use.
#include "platform/glibc_floor.h"

#if defined(__linux__) && defined(__GLIBC__) && defined(VERDANT_GLIBC_FIRST)

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#define VERDANT_HIDDEN __attribute__((visibility("hidden")))

// The oldest versions, under names of verdant's own: .symver binds references to the first name to the second.
extern "C" int verdant_glibc_pthread_once(pthread_once_t* once, void (*init)());
__asm__(".symver verdant_glibc_pthread_once,pthread_once@" VERDANT_GLIBC_FIRST);
extern "C" int verdant_glibc_pthread_key_create(pthread_key_t* key, void (*destructor)(void*));
__asm__(".symver verdant_glibc_pthread_key_create,pthread_key_create@" VERDANT_GLIBC_FIRST);

extern "C" {

VERDANT_HIDDEN char __libc_single_threaded = 0;

VERDANT_HIDDEN int pthread_once(pthread_once_t* once, void (*init)()) {
  return verdant_glibc_pthread_once(once, init);
}

VERDANT_HIDDEN int __pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  return verdant_glibc_pthread_key_create(key, destructor);
}

#ifdef DLFO_STRUCT_HAS_EH_DBASE
// The unwinder reads dlfo_eh_frame (and, where DLFO_STRUCT_HAS_EH_DBASE is 1, which is i386 only, dlfo_eh_dbase);
// the map bounds are filled in too, the link map is left null.
VERDANT_HIDDEN int _dl_find_object(void* pc, struct dl_find_object* result) {
  struct Search {
    uintptr_t pc;
    dl_find_object* result;
    bool found;
  } search{reinterpret_cast<uintptr_t>(pc), result, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        auto* s = static_cast<Search*>(data);
        uintptr_t low = UINTPTR_MAX, high = 0;
        bool contains = false;
        void* eh_frame = nullptr;
        for (int i = 0; i < info->dlpi_phnum; i++) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          uintptr_t start = info->dlpi_addr + ph.p_vaddr;
          if (ph.p_type == PT_LOAD) {
            uintptr_t end = start + ph.p_memsz;
            if (start < low) low = start;
            if (end > high) high = end;
            if (s->pc >= start && s->pc < end) contains = true;
          } else if (ph.p_type == PT_GNU_EH_FRAME) {
            eh_frame = reinterpret_cast<void*>(start);
          }
        }
        if (!contains) return 0;
        *s->result = {};
        s->result->dlfo_map_start = reinterpret_cast<void*>(low);
        s->result->dlfo_map_end = reinterpret_cast<void*>(high);
        s->result->dlfo_eh_frame = eh_frame;
        s->found = true;
        return 1;
      },
      &search);
  return search.found ? 0 : -1;
}
#endif

VERDANT_HIDDEN uint32_t arc4random(void) {
  uint32_t value;
  for (;;) {
    ssize_t n = getrandom(&value, sizeof value, 0);
    if (n == static_cast<ssize_t>(sizeof value)) return value;
    // Four bytes come whole or not at all; only a signal interrupts them. Anything else (a kernel without
    // getrandom) leaves no source of randomness that arc4random's contract allows to fail.
    if (n < 0 && errno != EINTR) abort();
  }
}

}  // extern "C"

#endif
