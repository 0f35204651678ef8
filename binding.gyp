{
  "targets": [
    {
      "target_name": "verdant",
      "sources": [
        "native/addon.cc",
        "native/greenlet/stack.cc",
        "native/greenlet/greenlet.cc",
        "native/greenlet/bindings.cc",
        "native/greenlet/fcontext_backend.cc",
        "native/greenlet/record_backend.cc",
        "native/platform/fcontext.S",
        "native/platform/glibc_floor.cc",
        "native/greenlet/threads_backend.cc",
        "native/greenlet/elf_symbols.cc",
        "native/greenlet/internals_elf.cc",
        "native/greenlet/internals_x86_64.cc",
        "native/greenlet/internals_arm64.cc",
        "native/greenlet/internals_unsupported.cc",
        "native/hub/poller_epoll.cc",
        "native/hub/poller_kqueue.cc",
        "native/hub/timer_heap.cc",
        "native/hub/hub.cc",
        "native/hub/bindings.cc",
        "native/io/sockaddr.cc",
        "native/io/bindings.cc",
        "native/tls/errors.cc",
        "native/tls/context.cc",
        "native/tls/connection.cc",
        "native/tls/bindings.cc",
        "native/http/parser.cc",
        "native/http/bindings.cc",
        "native/debug/stack_format.cc",
        "native/debug/stack_peek.cc",
        "native/debug/watchdog.cc",
        "native/debug/bindings.cc",
        "native/testing/cppgc_probe.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_DISABLE_CPP_EXCEPTIONS"
      ],
      
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=gnu++20", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-Wno-cast-function-type"],
      "libraries": ["-lpthread"],
      "conditions": [
        ["OS=='linux'", {
          # One binary for every Linux of its architecture: glibc 2.28 and later (platform/glibc_floor.h), no
          # libstdc++ or libgcc_s of the system's (linked in, their symbols kept inside verdant.node).
          "cflags_cc": ["-include", "platform/glibc_floor.h"],
          "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--exclude-libs,ALL"]
        }],
        ["OS=='mac'", {
          "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "gnu++20", "OTHER_CPLUSPLUSFLAGS": ["-fno-exceptions"] }
        }]
      ]
    }
  ]
}
