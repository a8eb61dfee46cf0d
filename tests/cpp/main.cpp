#define DOCTEST_CONFIG_IMPLEMENT
#include "dfd_test.hpp"

#include <atomic>
#include <cstdio>

#include "dfd/runtime.hpp"

namespace {

// Records how many assertions ran, so a run that silently made none fails (see dfd_test.hpp).
std::atomic<int> g_asserts{0};

struct AssertCounter : doctest::IReporter {
  explicit AssertCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override { g_asserts = stats.numAsserts; }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
DOCTEST_REGISTER_LISTENER("assert_counter", 1, AssertCounter);

}  // namespace

int main(int argc, char** argv) {
  dfd::configure_runtime();  // as the dfd command runs: every core (tests assert values, not speed)
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;
  if (result == 0 && g_asserts == 0) {
    std::fprintf(stderr, "dfd_tests: no assertion ran — a macro clash or an empty filter; failing the run\n");
    return 1;
  }
  return result;
}
