#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace dfd::cli {

Progress::Progress(size_t total)
    : total_(total), visible_(isatty(fileno(stderr)) != 0 && total > 0), start_(std::chrono::steady_clock::now()) {
  if (visible_) step("");  // the empty bar, before the first file is done
}

Progress::~Progress() { clear(); }

void Progress::clear() {
  if (visible_) std::fprintf(stderr, "\r\033[K");
}

void Progress::step(const std::string& last_done) {
  if (!last_done.empty()) ++done_;
  if (!visible_) return;
  constexpr size_t kWidth = 30;
  const size_t filled = total_ ? done_ * kWidth / total_ : 0;
  std::string bar(filled, '=');
  if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = fmt::format("[{}] {}/{}  {:02d}:{:02d} elapsed  {}", bar, done_, total_, secs / 60, secs % 60, last_done);
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
}

}  // namespace dfd::cli
