// dfd serve's jobs: a bounded queue in front of one worker (one Detector, its models loaded once),
// and the results kept until they expire — then their uploaded file is deleted with them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace dfd::cli {

// What a finished scan leaves for the page: the verdict (the schema of dfd scan --jsonl) and its
// pictures as PNG bytes.
struct JobResult {
  std::string verdict_json;
  std::string label;                  // the verdict's: fake, real, unknown; "error" for a failed file
  std::optional<float> p_fake;        // empty for a failed file
  std::vector<std::string> overlays;  // per explanation, in the verdict's order
  std::vector<std::string> clip_overlays;  // per clip explanation: its frames' overlays side by side
  std::string audio_strip;            // empty when the file had no audio windows
};

struct JobView {
  std::string id, name, state;        // state: queued, running, done
  double created = 0;                 // seconds since the epoch
  std::shared_ptr<const JobResult> result;  // done; shared, never copied (its pictures are large)
};

class JobQueue {
 public:
  using Run = std::function<JobResult(const std::string& path, const std::string& name)>;
  // requires: capacity >= 1, keep > 0. `run` is called on the worker thread, one job at a time.
  JobQueue(Run run, size_t capacity, std::chrono::milliseconds keep);
  ~JobQueue();  // stops the worker after its current job; deletes every upload still held

  // A job for `path` (shown as `name`); `upload`: a file of ours to delete when the job expires.
  // Returns its id, or nothing when `capacity` jobs are already waiting (the caller answers 429).
  std::optional<std::string> submit(const std::string& path, const std::string& name, const std::string& upload);
  std::optional<JobView> get(const std::string& id);
  std::vector<JobView> list();  // newest first
  size_t waiting();
  size_t capacity() const { return capacity_; }

 private:
  struct Job {
    std::string name, path, upload;
    std::string state = "queued";
    double created = 0;
    std::chrono::steady_clock::time_point finished;
    std::shared_ptr<const JobResult> result;
  };
  void work();
  void expire(std::unique_lock<std::mutex>& lock);  // requires: lock held

  Run run_;
  size_t capacity_;
  std::chrono::milliseconds keep_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Job> jobs_;
  std::deque<std::string> pending_;
  bool stopping_ = false;
  std::thread worker_;
};

// 32 random hex digits (std::random_device): a job id no one can guess.
std::string random_id();

}  // namespace dfd::cli
