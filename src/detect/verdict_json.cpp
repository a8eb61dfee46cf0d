// Verdict -> one JSON line (dfd scan --jsonl, dfd report, C++ callers who log verdicts).
#include <nlohmann/json.hpp>

#include "dfd/detector.hpp"
#include "dfd/utf8.hpp"

namespace dfd {

std::string to_json(const Verdict& v) {
  using json = nlohmann::ordered_json;
  // File names are bytes: one that is not UTF-8 is written with \xNN escapes (dfd/utf8.hpp).
  json j = {{"path", utf8_escaped(v.path)}, {"status", to_string(v.status)}};
  if (!v.error.empty()) j["error"] = utf8_escaped(v.error);
  if (v.status == Verdict::Status::Ok || v.status == Verdict::Status::NoFace) {
    j["p_fake"] = v.p_fake;
    j["label"] = v.status == Verdict::Status::Ok ? (v.is_fake ? "fake" : "real") : "unknown";
  } else {
    j["p_fake"] = nullptr;  // a failed file has no score (never a 0 read as "real")
  }
  j["video_p_fake"] = v.video_p_fake ? json(*v.video_p_fake) : json(nullptr);
  j["audio_p_fake"] = v.audio_p_fake ? json(*v.audio_p_fake) : json(nullptr);
  j["audio_fused"] = v.audio_fused;
  j["frames_sampled"] = v.frames_sampled;
  j["frame_indices"] = v.frame_indices;
  j["rotation"] = v.rotation;
  j["model_scores"] = v.model_scores;
  j["audio_model_scores"] = v.audio_model_scores;
  if (!v.audio_status.empty()) j["audio_status"] = v.audio_status;
  if (!v.audio_windows.empty()) {
    j["audio_window_aggregation"] = v.audio_window_aggregation;
    json windows = json::array();
    for (const AudioWindowScore& w : v.audio_windows) {
      windows.push_back({{"start", w.start}, {"end", w.end}, {"padded", w.padded}, {"p_fake", w.p_fake},
                         {"model_scores", w.model_scores}});
    }
    j["audio_windows"] = windows;
  }
  if (v.audio_loudness_lufs) j["audio_loudness_lufs"] = *v.audio_loudness_lufs;
  if (!v.video_embedding.empty()) j["video_embedding"] = v.video_embedding;
  if (!v.audio_embedding.empty()) j["audio_embedding"] = v.audio_embedding;
  json ids = json::array();
  for (const auto& id : v.identities) {
    json one = {{"track_id", id.track_id}, {"faces", id.faces}, {"p_fake", id.p_fake}};
    if (id.clip_p_fake) {
      one["clips"] = id.clips;
      one["face_p_fake"] = *id.face_p_fake;
      one["clip_p_fake"] = *id.clip_p_fake;
    }
    ids.push_back(std::move(one));
  }
  j["identities"] = ids;
  json segments = json::array();
  for (const SegmentScore& g : v.segments) {
    segments.push_back({{"start", g.start_seconds}, {"end", g.end_seconds}, {"faces", g.faces}, {"p_fake", g.p_fake}});
  }
  j["segments"] = segments;
  if (!v.clips.empty() || !v.clip_model_scores.empty()) {
    json clips = json::array();
    for (const ClipScore& c : v.clips) {
      clips.push_back({{"track_id", c.track_id}, {"frame_indices", c.frame_indices}, {"padded", c.padded},
                       {"box", {c.box.x1, c.box.y1, c.box.x2, c.box.y2}}, {"p_fake", c.p_fake}, {"model_scores", c.model_scores}});
    }
    j["clips"] = clips;
    j["clip_model_scores"] = v.clip_model_scores;
  }
  json faces = json::array();
  for (const auto& f : v.faces) {
    faces.push_back({{"frame_index", f.frame_index}, {"timestamp", f.timestamp}, {"track_id", f.track_id},
                     {"box", {f.box.x1, f.box.y1, f.box.x2, f.box.y2}}, {"detector_score", f.detector_score},
                     {"p_fake", f.p_fake}, {"model_scores", f.model_scores}});
  }
  j["faces"] = faces;
  const auto regions = [](const std::vector<RegionShare>& shares) {
    json out = json::array();
    for (const auto& r : shares) out.push_back({{"region", r.region}, {"share", r.share}});
    return out;
  };
  json explanations = json::array();
  for (const auto& e : v.explanations) {
    explanations.push_back({{"face", e.face}, {"target", e.target}, {"regions", regions(e.regions)}, {"summary", e.summary}});
  }
  j["explanations"] = explanations;
  if (!v.clip_explanations.empty()) {
    json clips = json::array();
    for (const auto& e : v.clip_explanations) {
      clips.push_back({{"clip", e.clip}, {"target", e.target}, {"regions", regions(e.regions)}, {"summary", e.summary}});
    }
    j["clip_explanations"] = clips;
  }
  const StageTimings& t = v.timings;
  j["timings_ms"] = {{"decode", t.decode_ms}, {"detect", t.detect_ms}, {"classify", t.classify_ms},
                     {"audio", t.audio_ms}, {"explain", t.explain_ms}, {"total", t.total_ms}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);  // any other text: never a throw
}

}  // namespace dfd
