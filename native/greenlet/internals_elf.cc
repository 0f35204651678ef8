// Resolves the V8 internals of internals.h on ELF platforms: symbols from the executable's tables
// (elf_symbols.h), machine code decoded by the architecture's decoders (internals_arch.h), then every result
// cross-checked against the live process. Anything unexpected fails closed with a one-line reason.
#include "greenlet/internals.h"

#if defined(VERDANT_INTERNALS_ELF)

#include <v8.h>

#include <malloc.h>

#include <cstdio>
#include <memory>

#include "greenlet/elf_symbols.h"
#include "greenlet/internals_arch.h"
#include "platform/posix.h"

namespace verdant::detail {

namespace {

using arch::Code;

enum Sym {
  kGetCurrentThreadId,
  kIsolateAddPrologue,
  kHeapAddPrologue,
  kIsolateRemovePrologue,
  kHeapRemovePrologue,
  kHeapStack,
  kHeapSetStackStartArg,  // Heap::SetStackStart(void*)   (Node 20, 22)
  kHeapSetStackStart,     // Heap::SetStackStart()        (Node 24+)
  kBaseGetStackStart,
  // The compact-record switch's (optional) part.
  kUnlockerInitialize,
  kManagerFreeResources,
  kHandleScopesFree,
  kHandleScopesArchive,
  kHandleScopesRestore,
  kTopArchive,
  kTopRestore,
  kTopInitialize,
  kRelocatablesArchive,
  kRelocatablesRestore,
  kGetFreeThreadState,
  kThreadStateLinkInto,
  kThreadStateUnlink,
  kFirstThreadStateInUse,
  kSymCount
};

constexpr const char* kNames[kSymCount] = {
    "_ZN2v88internal8ThreadId18GetCurrentThreadIdEv",
    "_ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_",
    "_ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_",
    "_ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_",
    "_ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_",
    "_ZN2v88internal4Heap5stackEv",
    "_ZN2v88internal4Heap13SetStackStartEPv",
    "_ZN2v88internal4Heap13SetStackStartEv",
    "_ZN2v84base5Stack13GetStackStartEv",
    "_ZN2v88Unlocker10InitializeEPNS_7IsolateE",
    "_ZN2v88internal13ThreadManager19FreeThreadResourcesEv",
    "_ZN2v88internal22HandleScopeImplementer19FreeThreadResourcesEv",
    "_ZN2v88internal22HandleScopeImplementer13ArchiveThreadEPc",
    "_ZN2v88internal22HandleScopeImplementer13RestoreThreadEPc",
    "_ZN2v88internal7Isolate13ArchiveThreadEPc",
    "_ZN2v88internal7Isolate13RestoreThreadEPc",
    "_ZN2v88internal7Isolate21InitializeThreadLocalEv",
    "_ZN2v88internal11Relocatable12ArchiveStateEPNS0_7IsolateEPc",
    "_ZN2v88internal11Relocatable12RestoreStateEPNS0_7IsolateEPc",
    "_ZN2v88internal13ThreadManager18GetFreeThreadStateEv",
    "_ZN2v88internal11ThreadState8LinkIntoENS1_4ListE",
    "_ZN2v88internal11ThreadState6UnlinkEv",
    "_ZN2v88internal13ThreadManager21FirstThreadStateInUseEv",
};

constexpr const char* kPretty[kSymCount] = {
    "v8::internal::ThreadId::GetCurrentThreadId()",
    "v8::Isolate::AddGCPrologueCallback(cb, data, type)",
    "v8::internal::Heap::AddGCPrologueCallback(cb, type, data)",
    "v8::Isolate::RemoveGCPrologueCallback(cb, data)",
    "v8::internal::Heap::RemoveGCPrologueCallback(cb, data)",
    "v8::internal::Heap::stack()",
    "v8::internal::Heap::SetStackStart(void*)",
    "v8::internal::Heap::SetStackStart()",
    "v8::base::Stack::GetStackStart()",
    "v8::Unlocker::Initialize(Isolate*)",
    "v8::internal::ThreadManager::FreeThreadResources()",
    "v8::internal::HandleScopeImplementer::FreeThreadResources()",
    "v8::internal::HandleScopeImplementer::ArchiveThread(char*)",
    "v8::internal::HandleScopeImplementer::RestoreThread(char*)",
    "v8::internal::Isolate::ArchiveThread(char*)",
    "v8::internal::Isolate::RestoreThread(char*)",
    "v8::internal::Isolate::InitializeThreadLocal()",
    "v8::internal::Relocatable::ArchiveState(Isolate*, char*)",
    "v8::internal::Relocatable::RestoreState(Isolate*, char*)",
    "v8::internal::ThreadManager::GetFreeThreadState()",
    "v8::internal::ThreadState::LinkInto(List)",
    "v8::internal::ThreadState::Unlink()",
    "v8::internal::ThreadManager::FirstThreadStateInUse()",
};

// Bytes of a function we are willing to decode (all the patterns we accept are within the first ~64 bytes).
constexpr size_t kMaxCodeBytes = 256;

std::string SignedHex(intptr_t v) {
  char buf[32];
  unsigned long magnitude = v < 0 ? 0ul - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
  snprintf(buf, sizeof(buf), "%s0x%lx", v < 0 ? "-" : "+", magnitude);
  return buf;
}

bool CodeOf(const ElfSymbols& elf, const ElfSymbol* syms, Sym s, Code* out, std::string* why) {
  const ElfSymbol& e = syms[s];
  if (e.address == 0) return Fail(why, std::string("symbol not found: ") + kPretty[s]);
  if (e.size == 0) return Fail(why, std::string("symbol has no size: ") + kPretty[s]);
  size_t len = e.size < kMaxCodeBytes ? e.size : kMaxCodeBytes;
  if (!elf.InLoadedImage(e.address, len)) return Fail(why, std::string("symbol outside the image: ") + kPretty[s]);
  out->bytes = reinterpret_cast<const uint8_t*>(e.address);
  out->len = len;
  out->addr = e.address;
  return true;
}

bool ResolveThreadId(const ElfSymbols& elf, const ElfSymbol* syms, V8Internals* out, std::string* why) {
  Code c;
  if (!CodeOf(elf, syms, kGetCurrentThreadId, &c, why)) return false;
  intptr_t offset = 0;
  if (!arch::DecodeThreadIdOffset(elf, c, &offset, why)) return false;
  out->thread_id_tp_offset = offset;
  out->get_current_thread_id = reinterpret_cast<int (*)()>(c.addr);

  // Cross-check on the live thread: the function returns the slot's value, and sees a value written to the slot.
  uintptr_t tp = arch::ThreadPointer();
  if (!arch::CheckThreadPointer(tp, why)) return false;
  volatile int* slot = reinterpret_cast<volatile int*>(tp + offset);
  int id = out->get_current_thread_id();
  if (id <= 0) return Fail(why, "ThreadId::GetCurrentThreadId returned " + std::to_string(id));
  if (*slot != id) {
    return Fail(why, "thread_id TLS slot at tp" + SignedHex(offset) + " holds " + std::to_string(*slot) +
                         ", GetCurrentThreadId() returned " + std::to_string(id));
  }
  const int probe = id == 0x3fffffff ? 0x3ffffffe : 0x3fffffff;
  *slot = probe;
  int seen = out->get_current_thread_id();
  *slot = id;
  if (seen != probe) {
    return Fail(why, "thread_id TLS slot at tp" + SignedHex(offset) + ": write probe not seen by GetCurrentThreadId");
  }
  return true;
}

bool ResolveHeapOffset(const ElfSymbols& elf, const ElfSymbol* syms, V8Internals* out, std::string* why) {
  Code add, remove;
  if (!CodeOf(elf, syms, kIsolateAddPrologue, &add, why) || !CodeOf(elf, syms, kIsolateRemovePrologue, &remove, why)) {
    return false;
  }
  if (syms[kHeapAddPrologue].address == 0 || syms[kHeapRemovePrologue].address == 0) {
    return Fail(why, std::string("symbol not found: ") +
                         kPretty[syms[kHeapAddPrologue].address == 0 ? kHeapAddPrologue : kHeapRemovePrologue]);
  }
  ThunkDecode a, r;
  if (!arch::DecodeHeapThunk(add, "Isolate::AddGCPrologueCallback", &a, why) ||
      !arch::DecodeHeapThunk(remove, "Isolate::RemoveGCPrologueCallback", &r, why)) {
    return false;
  }
  if (a.jump_target != syms[kHeapAddPrologue].address) {
    return Fail(why, "Isolate::AddGCPrologueCallback: jump target " + Hex(a.jump_target) +
                         " is not Heap::AddGCPrologueCallback " + Hex(syms[kHeapAddPrologue].address));
  }
  if (r.jump_target != syms[kHeapRemovePrologue].address) {
    return Fail(why, "Isolate::RemoveGCPrologueCallback: jump target " + Hex(r.jump_target) +
                         " is not Heap::RemoveGCPrologueCallback " + Hex(syms[kHeapRemovePrologue].address));
  }
  if (a.heap_offset != r.heap_offset) {
    return Fail(why, "Heap offset mismatch: Add " + Hex(a.heap_offset) + " vs Remove " + Hex(r.heap_offset));
  }
  out->heap_offset = a.heap_offset;
  return true;
}

bool ResolveStackSlot(v8::Isolate* isolate, const ElfSymbols& elf, const ElfSymbol* syms, V8Internals* out,
                      std::string* why) {
  Code stack, set;
  if (!CodeOf(elf, syms, kHeapStack, &stack, why)) return false;
  Sym set_sym = syms[kHeapSetStackStart].address != 0 ? kHeapSetStackStart : kHeapSetStackStartArg;
  if (!CodeOf(elf, syms, set_sym, &set, why)) return false;
  HeapStackDecode d;
  uint32_t store = 0;
  if (!arch::DecodeHeapStack(stack, &d, why)) return false;
  if (!arch::FindSetStackStartStore(set, d.holder_offset, &store, why)) return false;
  if (store != d.stack_offset) {
    // heap::base::Stack's start field is its first word in every V8 we know; anything else is a layout we have
    // not validated.
    return Fail(why, "Heap::SetStackStart stores at holder+" + Hex(store) + " but Heap::stack() is holder+" +
                         Hex(d.stack_offset) + " (stack start not the Stack's first word)");
  }
  out->stack_holder_offset = d.holder_offset;
  out->stack_offset = d.stack_offset;

  // Live cross-checks.
  auto* heap = reinterpret_cast<uint8_t*>(isolate) + out->heap_offset;
  uintptr_t holder = *reinterpret_cast<uintptr_t*>(heap + out->stack_holder_offset);
  if (holder == 0 || holder % 8 != 0) return Fail(why, "stack holder pointer is " + Hex(holder));
  auto heap_stack = reinterpret_cast<uintptr_t (*)(void*)>(stack.addr);
  uintptr_t via_call = heap_stack(heap);
  uintptr_t slot_addr = holder + out->stack_offset;
  if (via_call != slot_addr) {
    return Fail(why, "Heap::stack() returned " + Hex(via_call) + ", decoded " + Hex(slot_addr));
  }
  uintptr_t value = *reinterpret_cast<uintptr_t*>(slot_addr);
  if (syms[kBaseGetStackStart].address == 0) return Fail(why, std::string("symbol not found: ") + kPretty[kBaseGetStackStart]);
  auto get_stack_start = reinterpret_cast<uintptr_t (*)()>(syms[kBaseGetStackStart].address);
  uintptr_t expected = get_stack_start();
  if (value != expected) {
    return Fail(why, "stack-start slot holds " + Hex(value) + ", base::Stack::GetStackStart() is " + Hex(expected));
  }
  uintptr_t lo, hi;
  if (!posix::CurrentThreadStack(&lo, &hi)) return Fail(why, "cannot read this thread's stack bounds");
  uintptr_t sp = arch::StackPointer();
  if (!(value > sp && value <= hi && sp >= lo)) {
    return Fail(why, "stack-start slot value " + Hex(value) + " is not above sp " + Hex(sp) +
                         " within this thread's stack [" + Hex(lo) + ", " + Hex(hi) + "]");
  }
  return true;
}


// ---- the compact-record switch's internals -------------------------------------------------------------------

// v8::internal::ThreadState, as v8threads.h declares it: ThreadId id_; char* data_; ThreadState* next_;
// ThreadState* previous_; ThreadManager* thread_manager_. Checked on a live record before it is trusted.
constexpr size_t kStateData = 8;
constexpr size_t kStateNext = 16;
constexpr size_t kStatePrevious = 24;
constexpr size_t kStateManager = 32;

template <typename F>
void Bind(const ElfSymbol* syms, Sym s, F* out) {
  *out = reinterpret_cast<F>(syms[s].address);
}

void* Word(const void* base, size_t offset) {
  return *reinterpret_cast<void* const*>(static_cast<const char*>(base) + offset);
}

// Where the Isolate keeps its ThreadManager and HandleScopeImplementer, from the code that loads them; then the two
// objects are recognised by what they hold: each points back at the isolate.
bool ResolveRecordObjects(v8::Isolate* isolate, const ElfSymbols& elf, const ElfSymbol* syms, V8RecordInternals* r,
                          std::string* why) {
  Code unlocker, free_resources;
  if (!CodeOf(elf, syms, kUnlockerInitialize, &unlocker, why)) return false;
  if (!CodeOf(elf, syms, kManagerFreeResources, &free_resources, why)) return false;
  uint32_t manager_offset = 0;
  if (!arch::DecodeFirstLoadFromArg(unlocker, 1, "Unlocker::Initialize", &manager_offset, why)) return false;
  FirstCallDecode call;
  if (!arch::DecodeFirstCall(free_resources, "ThreadManager::FreeThreadResources", &call, why)) return false;
  if (call.call_target != syms[kHandleScopesFree].address) {
    return Fail(why, "ThreadManager::FreeThreadResources: first call " + Hex(call.call_target) +
                         " is not HandleScopeImplementer::FreeThreadResources " + Hex(syms[kHandleScopesFree].address));
  }
  if (call.arg0.root != 0 || call.arg0.depth != 2) {
    return Fail(why, "ThreadManager::FreeThreadResources: the handle scopes are not this->isolate_->field");
  }
  auto* base = reinterpret_cast<char*>(isolate);
  void* manager = Word(base, manager_offset);
  void* scopes = Word(base, call.arg0.offsets[1]);
  if (manager == nullptr || reinterpret_cast<uintptr_t>(manager) % 8 != 0) {
    return Fail(why, "Isolate+" + Hex(manager_offset) + " holds no ThreadManager: " + Hex(reinterpret_cast<uintptr_t>(manager)));
  }
  if (Word(manager, call.arg0.offsets[0]) != isolate) {
    return Fail(why, "the ThreadManager at Isolate+" + Hex(manager_offset) + " does not point back at the isolate at +" +
                         Hex(call.arg0.offsets[0]));
  }
  if (scopes == nullptr || reinterpret_cast<uintptr_t>(scopes) % 8 != 0 || Word(scopes, 0) != isolate) {
    return Fail(why, "Isolate+" + Hex(call.arg0.offsets[1]) + " holds no HandleScopeImplementer of this isolate");
  }
  r->thread_manager = manager;
  r->handle_scope_implementer = scopes;
  return true;
}

// A ThreadState from V8's own allocator behaves as its declaration says: it names its manager, and linking it into
// the in-use list makes it the first state there, until it is unlinked.
bool CheckThreadState(const V8RecordInternals& r, std::string* why) {
  void* state = r.get_free_thread_state(r.thread_manager);
  if (state == nullptr) return Fail(why, "ThreadManager::GetFreeThreadState returned null");
  r.unlink_thread_state(state);
  bool ok = true;
  if (Word(state, kStateManager) != r.thread_manager) {
    ok = Fail(why, "ThreadState: no ThreadManager at +" + Hex(kStateManager));
  } else if (Word(state, kStateData) == nullptr || malloc_usable_size(Word(state, kStateData)) < r.archive_bytes) {
    ok = Fail(why, "ThreadState: no archive space of " + std::to_string(r.archive_bytes) + " bytes at +" +
                       Hex(kStateData));
  } else {
    void* before = r.first_thread_state_in_use(r.thread_manager);
    r.link_thread_state(state, V8RecordInternals::kInUseList);
    void* linked = r.first_thread_state_in_use(r.thread_manager);
    bool linked_after_anchor = Word(Word(state, kStatePrevious), kStateNext) == state;
    r.unlink_thread_state(state);
    void* after = r.first_thread_state_in_use(r.thread_manager);
    if (linked != state || !linked_after_anchor || after != before) {
      ok = Fail(why, "ThreadState: linking into the in-use list is not seen");
    }
  }
  r.link_thread_state(state, V8RecordInternals::kFreeList);
  return ok;
}

// Archives this thread's state into a scratch record and restores it at once, as a switch will: each archive must
// move by a plausible size and the restores by the same, and a handle made before must read the same after.
bool CheckArchiveRoundTrip(v8::Isolate* isolate, V8RecordInternals* r, std::string* why) {
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Value> witness = v8::Number::New(isolate, 20261208.5);
  constexpr size_t kScratch = 16 * 1024;
  std::unique_ptr<char[]> scratch(new char[kScratch]());
  char* data = scratch.get();
  void* iso = isolate;
  char* scopes_end = r->archive_handle_scopes(r->handle_scope_implementer, data);
  char* top_end = r->archive_thread_local_top(iso, scopes_end);
  char* end = r->archive_relocatables(iso, top_end);
  char* scopes_back = r->restore_handle_scopes(r->handle_scope_implementer, data);
  char* top_back = r->restore_thread_local_top(iso, scopes_back);
  char* end_back = r->restore_relocatables(iso, top_back);
  size_t scopes = scopes_end - data, top = top_end - scopes_end, relocatables = end - top_end;
  if (scopes_back != scopes_end || top_back != top_end || end_back != end) {
    return Fail(why, "thread archive and restore disagree on sizes");
  }
  if (scopes < 32 || scopes > 2048 || top < 64 || top > 4096 || relocatables != sizeof(void*)) {
    return Fail(why, "implausible thread archive sizes: handle scopes " + std::to_string(scopes) + ", top " +
                         std::to_string(top) + ", relocatables " + std::to_string(relocatables));
  }
  if (Word(data, 0) != iso) return Fail(why, "the archived handle scopes do not start with their isolate");
  if (witness->NumberValue(isolate->GetCurrentContext()).FromMaybe(0) != 20261208.5) {
    return Fail(why, "a handle did not survive the archive round trip");
  }
  r->archive_bytes = scopes + top + relocatables;
  return true;
}

bool ResolveRecord(v8::Isolate* isolate, const ElfSymbols& elf, const ElfSymbol* syms, V8RecordInternals* out,
                   std::string* why) {
  for (int s = kUnlockerInitialize; s < kSymCount; s++) {
    if (syms[s].address == 0) return Fail(why, std::string("symbol not found: ") + kPretty[s]);
  }
  V8RecordInternals r;
  Bind(syms, kHandleScopesArchive, &r.archive_handle_scopes);
  Bind(syms, kHandleScopesRestore, &r.restore_handle_scopes);
  Bind(syms, kHandleScopesFree, &r.free_handle_scopes);
  Bind(syms, kTopArchive, &r.archive_thread_local_top);
  Bind(syms, kTopRestore, &r.restore_thread_local_top);
  Bind(syms, kTopInitialize, &r.initialize_thread_local_top);
  Bind(syms, kRelocatablesArchive, &r.archive_relocatables);
  Bind(syms, kRelocatablesRestore, &r.restore_relocatables);
  Bind(syms, kGetFreeThreadState, &r.get_free_thread_state);
  Bind(syms, kThreadStateLinkInto, &r.link_thread_state);
  Bind(syms, kThreadStateUnlink, &r.unlink_thread_state);
  Bind(syms, kFirstThreadStateInUse, &r.first_thread_state_in_use);
  r.thread_state_data_offset = kStateData;
  if (!ResolveRecordObjects(isolate, elf, syms, &r, why)) return false;
  if (!CheckArchiveRoundTrip(isolate, &r, why)) return false;
  if (!CheckThreadState(r, why)) return false;
  *out = r;
  return true;
}
}  // namespace

bool ResolveV8Internals(v8::Isolate* isolate, V8Internals* out, std::string* why) {
  std::string scratch;
  if (why == nullptr) why = &scratch;
  V8Internals result;
  if (isolate == nullptr || v8::Isolate::TryGetCurrent() != isolate) {
    return Fail(why, "ResolveV8Internals: isolate is not entered on this thread");
  }
  ElfSymbols elf;
  if (!elf.Open(why)) return false;
  // Heap::SetStackStart() only exists where SetStackStart(void*) does not: skip it when the latter is exported, so
  // that Node 20/22 (everything in .dynsym) never scan .symtab.
  ElfSymbol syms[kSymCount];
  elf.LookupDynamic(kNames, syms, kSymCount);
  const char* names[kSymCount];
  for (int i = 0; i < kSymCount; i++) names[i] = kNames[i];
  if (syms[kHeapSetStackStartArg].address != 0) names[kHeapSetStackStart] = nullptr;
  elf.LookupAll(names, syms, kSymCount);
  if (!ResolveThreadId(elf, syms, &result, why)) return false;
  if (!ResolveHeapOffset(elf, syms, &result, why)) return false;
  if (!ResolveStackSlot(isolate, elf, syms, &result, why)) return false;
  result.has_record = ResolveRecord(isolate, elf, syms, &result.record, &result.record_why);
  elf.Close();
  *out = result;
  why->clear();
  return true;
}

int* ThreadIdSlot(const V8Internals& internals) {
  return reinterpret_cast<int*>(arch::ThreadPointer() + internals.thread_id_tp_offset);
}

uintptr_t* StackStartSlot(v8::Isolate* isolate, const V8Internals& internals) {
  auto* heap = reinterpret_cast<uint8_t*>(isolate) + internals.heap_offset;
  uintptr_t holder = *reinterpret_cast<uintptr_t*>(heap + internals.stack_holder_offset);
  return reinterpret_cast<uintptr_t*>(holder + internals.stack_offset);
}

}  // namespace verdant::detail

#endif  // VERDANT_INTERNALS_ELF
