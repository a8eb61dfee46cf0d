// A progress bar on stderr for commands that work through many files.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace dfd::cli {

// "[=========>          ] 12/30  00:41 elapsed  clip.mp4" redrawn in place, only when stderr is a
// terminal: piped or redirected output gets no control characters.
class Progress {
 public:
  explicit Progress(size_t total);
  ~Progress();  // clears the bar
  void step(const std::string& last_done);  // one more file finished
  void clear();  // before printing a line of results on the same terminal
  bool visible() const { return visible_; }

 private:
  size_t total_, done_ = 0;
  bool visible_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace dfd::cli
