/* boost.context's jump_fcontext and make_fcontext for the target being built, from the files in fcontext/
   (unmodified from boost.context d2142b6, 2026-05; Boost Software License 1.0, fcontext/LICENSE_1_0.txt).
   The one place that picks them: the build systems assemble only this file. The conditions match
   VERDANT_HAVE_FCONTEXT in fcontext.h; elsewhere this assembles to nothing and the fast backend reports that it
   has no stack switch for the architecture (the threads backend runs instead). */
#if defined(__x86_64__) && defined(__ELF__)
#  include "fcontext/jump_x86_64_sysv_elf_gas.S"
#  include "fcontext/make_x86_64_sysv_elf_gas.S"
#elif defined(__aarch64__) && defined(__ELF__)
#  include "fcontext/jump_arm64_aapcs_elf_gas.S"
#  include "fcontext/make_arm64_aapcs_elf_gas.S"
#elif defined(__x86_64__) && defined(__APPLE__)
#  include "fcontext/jump_x86_64_sysv_macho_gas.S"
#  include "fcontext/make_x86_64_sysv_macho_gas.S"
#elif defined(__aarch64__) && defined(__APPLE__)
#  include "fcontext/jump_arm64_aapcs_macho_gas.S"
#  include "fcontext/make_arm64_aapcs_macho_gas.S"
#elif defined(__ELF__)
/* No code; an empty object still needs the note that keeps the stack non-executable. */
.section .note.GNU-stack,"",%progbits
#endif
