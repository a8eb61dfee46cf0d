// dfd serve: a local web page and its JSON API (cpp-httplib). Upload a video, image or audio file
// (or name one under --root); one Detector scans the jobs one at a time from a bounded queue; the
// page shows the verdict, the deciding faces' (and clips') Grad-CAM overlays, p(fake) per frame, the sound's
// window strip and the stage timings, and lists past results until they expire.
//
// API (what the page itself uses):
//   GET  /api/health                 {"status": "ok", "models", "threshold", "waiting", "capacity", "root"}
//   POST /api/scan                   multipart: "file" (an upload) or "path" (under --root) -> 202 {"id", "url"};
//                                    400 neither, 403 a path outside the root (or no root), 404 no such
//                                    file, 413 over --max-upload-mb, 429 the queue is full
//   GET  /api/jobs                   past jobs, newest first: id, name, state, created, label, p_fake
//   GET  /api/jobs/ID                {"id", "name", "state": queued|running|done, "verdict": the schema of
//                                    dfd scan --jsonl (path: the uploaded name), "overlays", "clip_overlays",
//                                    "audio_strip"}
//   GET  /api/jobs/ID/verdict.json   the verdict, as a download
//   GET  /api/jobs/ID/explanations/K.png, /api/jobs/ID/clip_explanations/K.png, /api/jobs/ID/audio.png
//                                    the pictures (a clip's: its frames' overlays left to right)
#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <unistd.h>

#include "commands.hpp"
#include "dfd/audio.hpp"
#include "dfd/audio_strip.hpp"
#include "dfd/cam_maps.hpp"
#include "dfd/utf8.hpp"
#include "serve_jobs.hpp"
#include "serve_page.hpp"  // kServePage: serve_page.html, embedded at build time

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace dfd::cli {
namespace {

struct ServeOptions {
  DetectorOptions detector;
  std::string host = "127.0.0.1", root;
  int port = 8080;
  int max_upload_mb = 200;
  int queue = 8;
  double keep_minutes = 60;
};

std::string png(const cv::Mat& rgb) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", bgr, bytes)) throw IoError("png", "cannot encode the image");
  return std::string(bytes.begin(), bytes.end());
}

// One job: the verdict, then its pictures. Detector::scan never throws; a picture that cannot be
// made is said on stderr and left out (the verdict stands).
JobResult scan_job(Detector& detector, const std::string& path, const std::string& name) {
  Verdict v = detector.scan(path);
  JobResult r;
  try {
    for (const FaceExplanation& e : v.explanations) r.overlays.push_back(png(overlay(e.crop, e.heatmap)));
    for (const ClipExplanation& e : v.clip_explanations) r.clip_overlays.push_back(png(clip_overlay_strip(e)));
    if (!v.audio_windows.empty()) {
      const DetectorParams& p = detector.params();
      const cv::Mat db = AudioSpectrogram(p.audio.spectrogram).from_file(path, p.audio.reader);
      r.audio_strip = png(audio_strip(db, v.audio_windows.back().end, v.audio_windows));
    }
  } catch (const std::exception& e) {
    std::cerr << fmt::format("dfd serve: {}: pictures left out: {}\n", utf8_escaped(name), e.what());
  }
  // The name the user gave, not our temporary file's: in the verdict and in its error message.
  for (size_t at = v.error.find(path); !path.empty() && at != std::string::npos; at = v.error.find(path, at + name.size())) {
    v.error.replace(at, path.size(), name);
  }
  v.path = name;
  r.verdict_json = to_json(v);
  const bool scored = v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace;
  r.label = v.status == Verdict::Status::Ok ? (v.is_fake ? "fake" : "real") : scored ? "unknown" : "error";
  if (scored) r.p_fake = v.p_fake;
  return r;
}

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void refuse(httplib::Response& res, int status, const std::string& why) { reply(res, status, {{"error", why}}); }

// A file name's extension if it is plain ([A-Za-z0-9], at most 8), for the stored upload: FFmpeg
// and OpenCV probe the content, but an image is recognised by its extension.
std::string plain_extension(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  if (ext.size() < 2 || ext.size() > 9) return "";
  for (size_t i = 1; i < ext.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(ext[i]))) return "";
  }
  return ext;
}

// `relative` under `root`, or nothing when it leaves it (.., an absolute path, a link out).
std::optional<fs::path> under_root(const fs::path& root, const std::string& relative) {
  if (relative.empty() || fs::path(relative).is_absolute()) return std::nullopt;
  std::error_code ec;
  const fs::path base = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  const fs::path target = fs::weakly_canonical(base / relative, ec);
  if (ec) return std::nullopt;
  auto b = base.begin(), t = target.begin();
  for (; b != base.end(); ++b, ++t) {
    if (t == target.end() || *t != *b) return std::nullopt;
  }
  return target;
}

Json job_json(const JobView& job) {
  Json j = {{"id", job.id}, {"name", utf8_escaped(job.name)}, {"state", job.state}, {"created", job.created}};
  if (job.result) {
    j["verdict"] = Json::parse(job.result->verdict_json);
    j["overlays"] = job.result->overlays.size();
    j["clip_overlays"] = job.result->clip_overlays.size();
    j["audio_strip"] = !job.result->audio_strip.empty();
  }
  return j;
}

// SIGINT and SIGTERM stop the server, so the uploads are deleted on the way out. The handler
// (on whichever thread the signal lands: LibTorch's and OpenCV's threads exist before us) only
// writes a byte to a pipe; a thread of ours reads it and stops the server.
int stop_pipe[2] = {-1, -1};
extern "C" void on_stop_signal(int) {
  const char stop = 1;
  [[maybe_unused]] const ssize_t n = write(stop_pipe[1], &stop, 1);
}

class StopOnSignal {
 public:
  explicit StopOnSignal(httplib::Server& server) {
    if (pipe(stop_pipe) != 0) throw IoError("pipe", "cannot create the signal pipe");
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    waiter_ = std::thread([this, &server] {
      char what = 0;
      while (read(stop_pipe[0], &what, 1) < 0 && errno == EINTR) {
      }
      if (what != 1) return;  // 2: we are done
      signalled_ = true;
      server.stop();
      // A second Ctrl-C ends the process the usual way (e.g. while the models are still loading).
      std::signal(SIGINT, SIG_DFL);
      std::signal(SIGTERM, SIG_DFL);
    });
  }
  // A signal came before the server listened: do not start.
  bool signalled() const { return signalled_; }
  ~StopOnSignal() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    const char done = 2;
    [[maybe_unused]] const ssize_t n = write(stop_pipe[1], &done, 1);
    waiter_.join();
    close(stop_pipe[0]);
    close(stop_pipe[1]);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
  std::atomic<bool> signalled_{false};
  std::thread waiter_;
};

void run_serve(const ServeOptions& o) {
  DetectorParams params = detector_params(o.detector);
  params.explain.enabled = true;  // the page shows the deciding faces; --set explain.enabled=false to skip
  for (const std::string& kv : o.detector.overrides) apply_override(params, kv);
  if (print_params_requested(o.detector, params)) return;
  if (o.queue < 1 || o.max_upload_mb < 1) throw InvalidArgument("--queue", "--queue and --max-upload-mb must be >= 1");
  if (!(o.keep_minutes > 0)) throw InvalidArgument("--keep-minutes", "must be > 0");
  if (!o.root.empty() && !fs::is_directory(o.root)) throw InvalidArgument("--root", fmt::format("{} is not a folder", o.root));

  // Uploads live in a folder of our own, removed at exit.
  std::string dir_template = (fs::temp_directory_path() / "dfd-serve-XXXXXX").string();
  if (!mkdtemp(dir_template.data())) throw IoError(dir_template, "cannot create the upload folder");
  const fs::path uploads = dir_template;
  struct RemoveAtExit {
    fs::path dir;
    ~RemoveAtExit() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove_uploads{uploads};

  httplib::Server server;
  StopOnSignal stop(server);
  Detector detector(params);  // models loaded once, before the first request
  JobQueue jobs([&detector](const std::string& path, const std::string& name) { return scan_job(detector, path, name); },
                static_cast<size_t>(o.queue), std::chrono::milliseconds(static_cast<int64_t>(o.keep_minutes * 60000)));

  server.set_payload_max_length(static_cast<size_t>(o.max_upload_mb) * 1024 * 1024);  // beyond it: 413
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  // httplib's own refusals (413 beyond the payload limit, 404 for an unknown route) in the API's shape.
  server.set_error_handler([&o](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) return refuse(res, 413, fmt::format("the upload is over the limit of {} MB", o.max_upload_mb));
    refuse(res, res.status, res.status == 404 ? "not found" : fmt::format("HTTP {}", res.status));
  });

  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'");
    res.set_content(kServePage, "text/html; charset=utf-8");
  });
  server.Get("/api/health", [&](const httplib::Request&, httplib::Response& res) {
    Json models = Json::array();
    for (const std::string& m : params.models) models.push_back(utf8_escaped(m));
    reply(res, 200, {{"status", "ok"}, {"models", models}, {"threshold", params.threshold}, {"waiting", jobs.waiting()},
                     {"capacity", jobs.capacity()}, {"root", !o.root.empty()}});
  });
  server.Post("/api/scan", [&](const httplib::Request& req, httplib::Response& res) {
    std::string path, name, upload;
    if (req.has_file("file")) {
      const httplib::MultipartFormData file = req.get_file_value("file");
      name = fs::path(file.filename).filename().string();
      if (name.empty()) return refuse(res, 400, "the upload has no file name");
      upload = (uploads / (random_id() + plain_extension(name))).string();
      std::ofstream out(upload, std::ios::binary);
      out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
      if (!out) return refuse(res, 507, "cannot store the upload");
      path = upload;
    } else if (req.has_file("path") || req.has_param("path")) {
      const std::string relative = req.has_file("path") ? req.get_file_value("path").content : req.get_param_value("path");
      if (o.root.empty()) return refuse(res, 403, "scanning paths is off: start dfd serve with --root");
      const std::optional<fs::path> target = under_root(o.root, relative);
      if (!target) return refuse(res, 403, fmt::format("{} is outside the root folder", utf8_escaped(relative)));
      if (!fs::is_regular_file(*target)) return refuse(res, 404, fmt::format("{}: no such file under the root", utf8_escaped(relative)));
      path = target->string();
      name = relative;
    } else {
      return refuse(res, 400, "send a file (multipart field 'file') or a path under the root (field 'path')");
    }
    const std::optional<std::string> id = jobs.submit(path, name, upload);
    if (!id) {
      std::error_code ec;
      if (!upload.empty()) fs::remove(upload, ec);
      res.set_header("Retry-After", "5");
      return refuse(res, 429, fmt::format("the queue is full ({} waiting): try again shortly", jobs.capacity()));
    }
    reply(res, 202, {{"id", *id}, {"url", "/api/jobs/" + *id}});
  });
  server.Get("/api/jobs", [&](const httplib::Request&, httplib::Response& res) {
    Json list = Json::array();
    for (const JobView& job : jobs.list()) {
      Json j = {{"id", job.id}, {"name", utf8_escaped(job.name)}, {"state", job.state}, {"created", job.created}};
      if (job.result) {
        j["label"] = job.result->label;
        j["p_fake"] = job.result->p_fake ? Json(*job.result->p_fake) : Json(nullptr);
      }
      list.push_back(j);
    }
    reply(res, 200, list);
  });
  const auto with_job = [&jobs](const httplib::Request& req, httplib::Response& res) -> std::optional<JobView> {
    std::optional<JobView> job = jobs.get(req.matches[1].str());
    if (!job) refuse(res, 404, "no such job (results expire)");
    return job;
  };
  server.Get(R"(/api/jobs/([0-9a-f]{32}))", [&](const httplib::Request& req, httplib::Response& res) {
    if (const auto job = with_job(req, res)) reply(res, 200, job_json(*job));
  });
  server.Get(R"(/api/jobs/([0-9a-f]{32})/verdict\.json)", [&](const httplib::Request& req, httplib::Response& res) {
    const auto job = with_job(req, res);
    if (!job) return;
    if (!job->result) return refuse(res, 409, "not scanned yet");
    res.set_header("Content-Disposition", "attachment; filename=\"verdict.json\"");
    res.set_content(job->result->verdict_json, "application/json");
  });
  // The K-th picture of one of a job's lists (faces' overlays, clips' strips).
  const auto picture = [&with_job](std::vector<std::string> JobResult::*list) {
    return [&with_job, list](const httplib::Request& req, httplib::Response& res) {
      const auto job = with_job(req, res);
      if (!job) return;
      const size_t k = std::stoul(req.matches[2].str());
      if (!job->result || k >= ((*job->result).*list).size()) return refuse(res, 404, "no such picture");
      res.set_content(((*job->result).*list)[k], "image/png");
    };
  };
  server.Get(R"(/api/jobs/([0-9a-f]{32})/explanations/(\d{1,4})\.png)", picture(&JobResult::overlays));
  server.Get(R"(/api/jobs/([0-9a-f]{32})/clip_explanations/(\d{1,4})\.png)", picture(&JobResult::clip_overlays));
  server.Get(R"(/api/jobs/([0-9a-f]{32})/audio\.png)", [&](const httplib::Request& req, httplib::Response& res) {
    const auto job = with_job(req, res);
    if (!job) return;
    if (!job->result || job->result->audio_strip.empty()) return refuse(res, 404, "no audio strip");
    res.set_content(job->result->audio_strip, "image/png");
  });

  const int port = o.port == 0 ? server.bind_to_any_port(o.host) : (server.bind_to_port(o.host, o.port) ? o.port : -1);
  if (port < 0) throw IoError(fmt::format("{}:{}", o.host, o.port), "cannot listen there (in use, or not an address of this machine)");
  std::cerr << fmt::format("dfd serve: uploads are kept in {} until their results expire\n", uploads.string());
  if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1") {
    std::cerr << fmt::format("dfd serve: listening on {}, not only this machine: the page has no authentication\n", o.host);
  }
  if (stop.signalled()) return;
  std::cout << fmt::format("dfd serve: listening on http://{}:{}/", o.host, port) << std::endl;
  if (!server.listen_after_bind()) throw IoError(fmt::format("{}:{}", o.host, port), "the server stopped with an error");
}

}  // namespace

void add_serve_commands(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "A local web page to drop a file on and see its verdict (faces, Grad-CAM, "
                                               "frames over time, the sound), with its JSON API");
  add_detector_options(cmd, o->detector);
  cmd->add_option("--host", o->host, "the address to listen on (another than 127.0.0.1 opens it to the network)")->capture_default_str();
  cmd->add_option("--port", o->port, "the port (0: any free one, printed)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--root", o->root, "a folder whose files the page may scan by path (default: none, uploads only)");
  cmd->add_option("--max-upload-mb", o->max_upload_mb, "the largest upload; beyond it 413")->capture_default_str();
  cmd->add_option("--queue", o->queue, "jobs that may wait; beyond it 429")->capture_default_str();
  cmd->add_option("--keep-minutes", o->keep_minutes, "how long results (and uploads) are kept after a scan")->capture_default_str();
  cmd->callback([o] { run_serve(*o); });
}

}  // namespace dfd::cli
