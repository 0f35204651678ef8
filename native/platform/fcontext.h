// The machine-stack switch under the fast backend: boost.context's fcontext, carried in this tree
// (native/platform/fcontext/, Boost Software License 1.0) so that neither a build nor a prebuilt binary needs boost.
// fcontext.S assembles the pair of routines for the target; VERDANT_HAVE_FCONTEXT says whether there is one.
#ifndef VERDANT_PLATFORM_FCONTEXT_H_
#define VERDANT_PLATFORM_FCONTEXT_H_

#include <cstddef>

#if ((defined(__x86_64__) || defined(__aarch64__)) && (defined(__ELF__) || defined(__APPLE__)))
#define VERDANT_HAVE_FCONTEXT 1
#else
#define VERDANT_HAVE_FCONTEXT 0
#endif

namespace verdant::fcontext {

// A suspended context: a pointer into its stack, where jump_fcontext saved the callee-saved registers.
using fcontext_t = void*;

// What a jump delivers to the context it lands in: the context it came from, and the data passed along.
struct transfer_t {
  fcontext_t fctx;
  void* data;
};

}  // namespace verdant::fcontext

#if VERDANT_HAVE_FCONTEXT
// The assembly defines these unmangled; they are hidden (ELF), so they never leave verdant.node.
extern "C" {
// Saves the running context on its own stack and resumes `to`, which receives {saved context, data}.
verdant::fcontext::transfer_t jump_fcontext(verdant::fcontext::fcontext_t to, void* data);
// Prepares a context on the stack whose highest address is `stack_top`, which enters `entry` on its first jump.
// `entry` must never return (its return would exit the process).
verdant::fcontext::fcontext_t make_fcontext(void* stack_top, std::size_t size, void (*entry)(verdant::fcontext::transfer_t));
}
#endif

#endif  // VERDANT_PLATFORM_FCONTEXT_H_
