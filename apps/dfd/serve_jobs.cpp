#include "serve_jobs.hpp"

#include <algorithm>
#include <filesystem>
#include <random>

#include <fmt/format.h>

namespace dfd::cli {

std::string random_id() {
  std::random_device device;
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", device());
  return id;
}

JobQueue::JobQueue(Run run, size_t capacity, std::chrono::milliseconds keep)
    : run_(std::move(run)), capacity_(capacity), keep_(keep), worker_([this] { work(); }) {}

JobQueue::~JobQueue() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  std::error_code ec;
  for (const auto& [id, job] : jobs_) {
    if (!job.upload.empty()) std::filesystem::remove(job.upload, ec);
  }
}

std::optional<std::string> JobQueue::submit(const std::string& path, const std::string& name, const std::string& upload) {
  std::unique_lock<std::mutex> lock(mutex_);
  expire(lock);
  if (pending_.size() >= capacity_) return std::nullopt;
  const std::string id = random_id();
  Job job;
  job.name = name;
  job.path = path;
  job.upload = upload;
  job.created = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  jobs_.emplace(id, std::move(job));
  pending_.push_back(id);
  wake_.notify_one();
  return id;
}

std::optional<JobView> JobQueue::get(const std::string& id) {
  std::unique_lock<std::mutex> lock(mutex_);
  expire(lock);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return JobView{id, it->second.name, it->second.state, it->second.created, it->second.result};
}

std::vector<JobView> JobQueue::list() {
  std::unique_lock<std::mutex> lock(mutex_);
  expire(lock);
  std::vector<JobView> out;
  for (const auto& [id, job] : jobs_) out.push_back({id, job.name, job.state, job.created, job.result});
  std::sort(out.begin(), out.end(), [](const JobView& a, const JobView& b) { return a.created > b.created; });
  return out;
}

size_t JobQueue::waiting() {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_.size();
}

void JobQueue::expire(std::unique_lock<std::mutex>&) {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second.state == "done" && now - it->second.finished > keep_) {
      std::error_code ec;
      if (!it->second.upload.empty()) std::filesystem::remove(it->second.upload, ec);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

void JobQueue::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // Expired results go even when no request comes: checked at least every few seconds.
    const auto check = std::min<std::chrono::milliseconds>(keep_, std::chrono::seconds(5));
    if (!wake_.wait_for(lock, check, [this] { return stopping_ || !pending_.empty(); })) {
      expire(lock);
      continue;
    }
    if (stopping_) return;
    const std::string id = pending_.front();
    pending_.pop_front();
    Job& job = jobs_.at(id);  // a queued job never expires
    job.state = "running";
    const std::string path = job.path, name = job.name;
    lock.unlock();
    JobResult result = run_(path, name);  // run_ records a failure in the verdict; it never throws
    lock.lock();
    Job& done = jobs_.at(id);
    done.result = std::make_shared<const JobResult>(std::move(result));
    done.state = "done";
    done.finished = std::chrono::steady_clock::now();
  }
}

}  // namespace dfd::cli
