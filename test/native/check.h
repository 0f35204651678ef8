// A minimal test harness for the native unit tests: no framework, nothing to download.
//
//   CHECK(cond)            records a failure (file:line and the expression) and carries on
//   CHECK_EQ(a, b)         same, printing both values
//   REQUIRE(cond)          records a failure and returns from the current test function
//   TEST(name) { ... }     defines a test; RUN_ALL_TESTS() runs them in order and returns the exit code
//
// Failures print to stderr; the process exits 1 if any check failed, so ctest counts the binary as failed.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace check {

struct Test {
  const char* name;
  void (*fn)();
};

inline std::vector<Test>& Registry() {
  static std::vector<Test> tests;
  return tests;
}

inline int& Failures() {
  static int failures = 0;
  return failures;
}

struct Register {
  Register(const char* name, void (*fn)()) { Registry().push_back({name, fn}); }
};

inline void Fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
  Failures()++;
}

template <typename A, typename B>
std::string Describe(const char* ea, const char* eb, const A& a, const B& b) {
  std::ostringstream os;
  os << ea << " == " << eb << " (" << a << " vs " << b << ")";
  return os.str();
}

inline int RunAll() {
  int failed_tests = 0;
  for (const Test& t : Registry()) {
    int before = Failures();
    std::printf("[ RUN  ] %s\n", t.name);
    std::fflush(stdout);
    t.fn();
    bool ok = Failures() == before;
    if (!ok) failed_tests++;
    std::printf("[ %s ] %s\n", ok ? " OK " : "FAIL", t.name);
    std::fflush(stdout);
  }
  std::printf("%zu tests, %d failed\n", Registry().size(), failed_tests);
  return failed_tests == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK(cond) \
  do { if (!(cond)) ::check::Fail(__FILE__, __LINE__, #cond); } while (0)
#define CHECK_EQ(a, b)                                                              \
  do {                                                                              \
    const auto& check_a_ = (a);                                                     \
    const auto& check_b_ = (b);                                                     \
    if (!(check_a_ == check_b_))                                                    \
      ::check::Fail(__FILE__, __LINE__, ::check::Describe(#a, #b, check_a_, check_b_)); \
  } while (0)
#define REQUIRE(cond) \
  do { if (!(cond)) { ::check::Fail(__FILE__, __LINE__, #cond); return; } } while (0)
#define TEST(name)                                                   \
  static void test_##name();                                         \
  static ::check::Register register_##name(#name, &test_##name);     \
  static void test_##name()
#define RUN_ALL_TESTS() ::check::RunAll()
