// Detector: frames -> faces -> classifiers -> aggregation, an optional audio branch fused late,
// optional Grad-CAM of the deciding faces; per-stage timings; scan_many pipelines files.
#include "dfd/detector.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <tuple>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "core/enum_names.hpp"
#include "dfd/ensemble_explainer.hpp"
#include "dfd/face.hpp"
#include "dfd/face_clips.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/gradcam.hpp"
#include "dfd/image.hpp"
#include "dfd/loudness.hpp"
#include "dfd/model_files.hpp"
#include "dfd/runtime.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/video.hpp"

namespace dfd {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// The mean of an [n, d] embedding's rows (Classifier::embed), as floats.
std::vector<float> mean_row(const at::Tensor& embedding) {
  const at::Tensor m = embedding.mean(0).contiguous();
  return std::vector<float>(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
}

// A classifier by what decides its embeddings (its spec's weights fingerprinted by content).
Embedder describe_embedder(const std::string& spec, const Classifier& c) {
  const ModelSpec parts = parse_model_spec(spec);
  return {spec, parts.arch, sha256_file(find_model_file(parts.weights)), to_json(c.preprocess_spec()), 0};
}

std::string embedder_text(const Embedder& e) {
  return fmt::format("{} (arch {}, weights sha256 {}, preset {})", e.model, e.arch, e.sha256.substr(0, 12), e.preset);
}

std::shared_ptr<FaceDetector> make_face_detector(const DetectorParams& p) {
  return create_face_detector(FaceDetectorParams{p.face_detector, p.mtcnn, p.blazeface, p.haar});
}

// A branch's models: classifiers with their weights.
struct Branch {
  std::vector<std::unique_ptr<Classifier>> classifiers;
  std::vector<float> weights;
  double weight_sum = 0;
  // The audio branch's waveform models: the rate and window they share, and their weights.
  int waveform_rate = 0;
  int64_t waveform_window = 0;
  std::vector<float> waveform_weights;
};

}  // namespace

std::string StageTimings::to_string() const {
  std::string s;
  const std::pair<const char*, double> stages[] = {
      {"decode", decode_ms}, {"detect", detect_ms}, {"classify", classify_ms}, {"audio", audio_ms}, {"explain", explain_ms}};
  for (const auto& [name, ms] : stages) {
    if (ms > 0) s += fmt::format("{} {:.1f} ms, ", name, ms);  // the stages that ran
  }
  return s + fmt::format("total {:.1f} ms", total_ms);
}

namespace {
const detail::EnumName<Verdict::Status> kStatuses[] = {
    {"ok", Verdict::Status::Ok},                    {"no_face", Verdict::Status::NoFace},
    {"no_video_stream", Verdict::Status::NoVideoStream}, {"no_audio_stream", Verdict::Status::NoAudioStream},
    {"io_error", Verdict::Status::IoError},         {"decode_error", Verdict::Status::DecodeError},
    {"model_error", Verdict::Status::ModelError},   {"error", Verdict::Status::Error},
    {"audio_too_short", Verdict::Status::AudioTooShort}, {"silent_audio", Verdict::Status::SilentAudio},
    {"noisy_audio", Verdict::Status::NoisyAudio}, {"narrowband_audio", Verdict::Status::NarrowbandAudio}};

// Windows per forward pass of a waveform model. 4 is ~15 % faster per window than 1 here
// (AASIST-L), and holds the first block's 66 MB maps four times (~300 MB), however long the clip.
// Each batch size a clip's length makes costs oneDNN ~0.6 s to build its kernels once per process.
constexpr size_t kWaveformBatch = 4;
}  // namespace

std::string to_string(Verdict::Status status) { return detail::enum_name(kStatuses, status); }
Verdict::Status verdict_status(const std::string& name) { return detail::parse_enum(kStatuses, name, "status"); }

struct Detector::Impl {
  DetectorParams params;
  Branch faces, audio, clips;  // clips: the clip models (they share segments and frame_stride)
  ClipParams clip_plan;         // clip models: their segments, stride, params.clips.per_track
  std::unique_ptr<FaceExtractor> extractor;  // only with face models
  std::unique_ptr<AudioSpectrogram> spectrogram;  // for spectrogram models (always built: it is cheap)
  // Built once (each probes its models for their layers): one per side a verdict can explain.
  std::unique_ptr<EnsembleExplainer> explain_fake, explain_real;
  std::vector<std::unique_ptr<GradCAM>> explain_clips;  // per clip model (its "features", per frame)
  std::vector<std::string> face_specs, audio_specs, clip_specs;  // each branch's models as given, in order
  // audio.fusion_model: the MLP on the two embeddings, and the embedders it was trained on.
  std::unique_ptr<Classifier> fusion;
  Embedders fusion_embedders;
  // One file at a time per stage: concurrent scans pipeline (see ScanManyParams).
  std::mutex decode_stage, detect_stage, model_stage;

  bool wants_embeddings() const { return params.embeddings || fusion; }

  void load_fusion(const Detector& owner);

  // The embedding fusion's p(fake) of one file's two embeddings.
  // throws: ModelError when they are not the lengths the fusion model was trained on.
  float fuse_embeddings(const Verdict& v) const {
    const Embedders& e = fusion_embedders;
    if (static_cast<int>(v.video_embedding.size()) != e.video.dim || static_cast<int>(v.audio_embedding.size()) != e.audio.dim) {
      throw ModelError(params.audio.fusion_model, fmt::format("trained on embeddings of {} + {} values, this file's are {} + {}",
                                                             e.video.dim, e.audio.dim, v.video_embedding.size(),
                                                             v.audio_embedding.size()));
    }
    std::vector<float> x = v.video_embedding;
    x.insert(x.end(), v.audio_embedding.begin(), v.audio_embedding.end());
    const at::Tensor input = at::from_blob(x.data(), {1, static_cast<int64_t>(x.size())}, at::kFloat);
    return fusion->predict(input)[0];
  }

  // One input's p(fake) from its models' (see DetectorParams::combine).
  float combine(const std::vector<float>& scores, const Branch& branch) const { return combine(scores, branch.weights); }
  float combine(const std::vector<float>& scores, const std::vector<float>& weights) const {
    if (params.combiner) {
      const float p = params.combiner(scores);
      if (!(p >= 0.0f && p <= 1.0f)) throw InvalidArgument("combiner", fmt::format("returned {}, not a p(fake) in [0, 1]", p));
      return p;
    }
    return combine_scores(scores, weights, params.combine);
  }

  // Decode and detect (and, for clip models, read and cut each track's clips). The frames are
  // dropped here; the crops and clips keep what the rest needs.
  // A long video's frames are read and searched faces.batch_frames at a time, each batch taking
  // the decode and then the detect stage, so they are never all held at once.
  FaceExtraction find_faces(const std::string& path, Verdict& v, std::vector<FaceClip>& face_clips) {
    std::vector<Frame> frames;
    std::vector<int64_t> indices{0};
    int64_t frame_count = 1;
    const bool image = is_image_file(path);
    std::optional<VideoReader> reader;  // kept open for the later batches and the clips' frames
    {
      std::lock_guard<std::mutex> lock(decode_stage);
      const auto t = Clock::now();
      if (image) {
        frames.push_back(Frame{0, 0.0, load_image_rgb(path)});
      } else {
        reader.emplace(path, extractor->params().video);
        frame_count = reader->info().frame_count;
        indices = extractor->frame_indices(*reader);
      }
      v.timings.decode_ms = elapsed_ms(t);
    }
    FaceExtraction found;
    const size_t batch = image ? 1 : static_cast<size_t>(extractor->params().batch_frames);
    for (size_t start = 0; start < indices.size(); start += batch) {
      if (!image) {
        std::lock_guard<std::mutex> lock(decode_stage);
        const auto t = Clock::now();
        const size_t end = std::min(indices.size(), start + batch);
        frames = reader->read({indices.begin() + static_cast<std::ptrdiff_t>(start), indices.begin() + static_cast<std::ptrdiff_t>(end)});
        v.timings.decode_ms += elapsed_ms(t);
      }
      for (const Frame& f : frames) v.frame_indices.push_back(f.index);
      std::lock_guard<std::mutex> lock(detect_stage);
      const auto t = Clock::now();
      extractor->extract_batch(frames, found);
      v.timings.detect_ms += elapsed_ms(t);
    }
    v.frames_sampled = static_cast<int64_t>(v.frame_indices.size());
    std::vector<ClipPlan> plans;
    {
      std::lock_guard<std::mutex> lock(detect_stage);
      const auto t = Clock::now();
      extractor->finish(found);
      found.source = path;
      v.rotation = found.rotation;
      if (!clips.classifiers.empty()) plans = plan_clips(found, frame_count, clip_plan);
      v.timings.detect_ms += elapsed_ms(t);
    }
    if (plans.empty()) return found;
    std::map<int64_t, cv::Mat> clip_frames_by_index;
    // The clips are cut from frames turned as the faces were found (FaceExtraction::rotation).
    if (image) {
      clip_frames_by_index[0] = turn_clockwise(frames.front().image, found.rotation);
    } else {
      std::lock_guard<std::mutex> lock(decode_stage);
      const auto t = Clock::now();
      for (Frame& f : reader->read(clip_frames(plans))) clip_frames_by_index[f.index] = turn_clockwise(f.image, found.rotation);
      v.timings.decode_ms += elapsed_ms(t);
    }
    std::lock_guard<std::mutex> lock(detect_stage);
    const auto t = Clock::now();
    face_clips = cut_clips(plans, clip_frames_by_index, extractor->params());
    v.timings.detect_ms += elapsed_ms(t);
    return found;
  }

  // The clip models' scores (v.clips, v.clip_model_scores); per track id, its clips' p(fake).
  std::map<int, std::vector<double>> score_clips(const std::vector<FaceClip>& found, Verdict& v) {
    std::vector<std::vector<cv::Mat>> inputs;
    for (const FaceClip& c : found) inputs.push_back(c.images);
    std::vector<std::vector<float>> per_model;
    for (auto& classifier : clips.classifiers) per_model.push_back(classifier->predict_clips(inputs));
    std::map<int, std::vector<double>> by_track;
    std::vector<std::vector<double>> model_all(per_model.size());
    for (size_t i = 0; i < found.size(); ++i) {
      const ClipPlan& plan = found[i].plan;
      ClipScore c{plan.track_id, plan.frame_indices, plan.padded, plan.face.box, {}, 0.0f};
      for (size_t m = 0; m < per_model.size(); ++m) {
        c.model_scores.push_back(per_model[m][i]);
        model_all[m].push_back(per_model[m][i]);
      }
      c.p_fake = combine(c.model_scores, clips);
      by_track[c.track_id].push_back(c.p_fake);
      v.clips.push_back(std::move(c));
    }
    for (const auto& scores : model_all) v.clip_model_scores.push_back(static_cast<float>(aggregate(scores, params.aggregation)));
    return by_track;
  }

  // A face score and a clip score joined: weighted by the two kinds' weight sums.
  float join(double face_p, double clip_p) const {
    return combine_scores({static_cast<float>(face_p), static_cast<float>(clip_p)},
                          {static_cast<float>(faces.weight_sum), static_cast<float>(clips.weight_sum)}, params.combine);
  }

  // Faces' p(fake) as one score: the aggregation of all of them, or with per_identity of each
  // track's, the most fake track deciding.
  double aggregate_faces(const std::vector<std::vector<double>>& by_track, const std::vector<double>& all) const {
    return params.per_identity ? aggregate_identities(by_track, params.aggregation) : aggregate(all, params.aggregation);
  }

  // The timeline: the faces by segment_seconds windows of their frames' times, each window's
  // aggregated as the file's faces are (per_identity: its most fake person).
  std::vector<SegmentScore> segments(const std::vector<FaceScore>& scored) const {
    const double length = params.segment_seconds;
    std::map<int64_t, std::map<int, std::vector<double>>> windows;  // window -> track -> scores
    for (const FaceScore& f : scored) {
      windows[static_cast<int64_t>(std::floor(std::max(0.0, f.timestamp) / length))][f.track_id].push_back(f.p_fake);
    }
    std::vector<SegmentScore> out;
    for (const auto& [window, tracks] : windows) {
      std::vector<std::vector<double>> by_track;
      std::vector<double> all;
      for (const auto& track : tracks) {
        by_track.push_back(track.second);
        all.insert(all.end(), track.second.begin(), track.second.end());
      }
      const double p = aggregate_faces(by_track, all);
      out.push_back(SegmentScore{static_cast<double>(window) * length, static_cast<double>(window + 1) * length,
                                 static_cast<int>(all.size()), static_cast<float>(p)});
    }
    return out;
  }

  // Scores every crop (and clip); fills faces, clips, identities, segments, per-model scores;
  // returns the video p(fake).
  float score_faces(const FaceExtraction& found, const std::vector<FaceClip>& face_clips, Verdict& v) {
    std::vector<cv::Mat> crops;
    for (const FaceCrop& c : found.crops) crops.push_back(c.image);
    std::vector<std::vector<float>> per_model;
    for (auto& classifier : faces.classifiers) per_model.push_back(classifier->predict(crops));
    if (wants_embeddings() && !crops.empty()) v.video_embedding = mean_row(faces.classifiers[0]->embed(crops));
    std::map<int, std::vector<double>> tracks;
    std::vector<double> all;
    std::vector<std::vector<double>> model_all(per_model.size());
    for (size_t i = 0; i < found.crops.size(); ++i) {
      const FaceCrop& c = found.crops[i];
      FaceScore f{c.frame_index, c.timestamp, c.track_id, c.face.box, c.face.score, {}, 0.0f};
      for (size_t m = 0; m < per_model.size(); ++m) {
        f.model_scores.push_back(per_model[m][i]);
        model_all[m].push_back(per_model[m][i]);
      }
      f.p_fake = combine(f.model_scores, faces);
      tracks[c.track_id].push_back(f.p_fake);
      all.push_back(f.p_fake);
      v.faces.push_back(std::move(f));
    }
    for (const auto& scores : model_all) v.model_scores.push_back(static_cast<float>(aggregate(scores, params.aggregation)));
    const std::map<int, std::vector<double>> clip_tracks = face_clips.empty() ? std::map<int, std::vector<double>>{}
                                                                              : score_clips(face_clips, v);
    std::vector<std::vector<double>> track_scores;
    for (const auto& [id, scores] : tracks) {
      IdentityScore s{id, static_cast<int>(scores.size()), static_cast<float>(aggregate(scores, params.aggregation)), 0, {}, {}};
      if (const auto it = clip_tracks.find(id); it != clip_tracks.end()) {
        s.clips = static_cast<int>(it->second.size());
        s.face_p_fake = s.p_fake;
        s.clip_p_fake = static_cast<float>(aggregate(it->second, params.aggregation));
        s.p_fake = join(*s.face_p_fake, *s.clip_p_fake);
      }
      v.identities.push_back(s);
      track_scores.push_back(scores);
    }
    if (params.segment_seconds > 0.0f && v.frames_sampled > 1) v.segments = segments(v.faces);  // a video's
    if (clip_tracks.empty()) {
      return static_cast<float>(aggregate_faces(track_scores, all));
    }
    if (params.per_identity) {
      float most = 0;
      for (const IdentityScore& s : v.identities) most = std::max(most, s.p_fake);
      return most;
    }
    std::vector<double> all_clips;
    for (const ClipScore& c : v.clips) all_clips.push_back(c.p_fake);
    return join(aggregate(all, params.aggregation), aggregate(all_clips, params.aggregation));
  }

  // The audio branch's p(fake): each spectrogram model on the log-mel image of the whole file, each
  // waveform model on its windows (aggregated per model); the models' scores combined. The audio is
  // decoded once per rate the models need, and refused (UnusableAudioError) when too short or silent.
  float score_audio(const std::string& path, Verdict& v) {
    std::map<int, std::vector<float>> decoded;  // by sample rate
    auto samples_at = [&](int rate) -> const std::vector<float>& {
      auto it = decoded.find(rate);
      if (it != decoded.end()) return it->second;
      AudioReaderParams reader = params.audio.reader;
      reader.sample_rate = rate;
      std::vector<float> samples = AudioReader(path, reader).read();
      check_audio_usable(samples, rate, params.audio.windows, path);
      return decoded.emplace(rate, std::move(samples)).first->second;
    };
    // The clip's loudness (dfd/loudness.hpp), for the models whose preset levels their input.
    // Audio that passed the silence check can still hold no 400 ms above -70 LUFS (a click in
    // silence): no level to bring it to, so it is silent here too. Measured once: only waveform
    // models level, and they share one rate (checked when built); the verdict keeps it.
    auto loudness_at = [&](int rate) {
      if (!v.audio_loudness_lufs) {
        const double lufs = integrated_loudness(samples_at(rate), rate);
        if (!std::isfinite(lufs)) {
          throw UnusableAudioError(path, UnusableAudioError::Reason::Silent,
                                   "silent: no 400 ms of the audio is louder than -70 LUFS, so it has no loudness to level");
        }
        v.audio_loudness_lufs = lufs;
      }
      return *v.audio_loudness_lufs;
    };
    cv::Mat db;
    std::vector<float> scores;
    std::vector<AudioWindow> windows;
    std::vector<std::vector<float>> window_scores;  // per waveform model, per window
    for (auto& classifier : audio.classifiers) {
      const Preprocess& pre = classifier->preprocess_spec();
      if (pre.input == Preprocess::Input::Spectrogram) {
        if (db.empty()) db = spectrogram->compute(samples_at(spectrogram->params().sample_rate), spectrogram->params().sample_rate);
        const cv::Mat image = AudioSpectrogram::image(db, pre.size);
        scores.push_back(classifier->predict({image})[0]);
        if (wants_embeddings() && classifier == audio.classifiers.front()) v.audio_embedding = mean_row(classifier->embed({image}));
        continue;
      }
      const std::vector<float>& samples = samples_at(pre.sample_rate);
      const double gain = pre.loudness_lufs ? loudness_gain(loudness_at(pre.sample_rate), *pre.loudness_lufs) : 1.0;
      windows = audio_windows(static_cast<int64_t>(samples.size()), pre.size, params.audio.windows.hop);
      std::vector<float> p;
      const bool embedding = wants_embeddings() && classifier == audio.classifiers.front();
      std::vector<at::Tensor> embedded;
      for (size_t start = 0; start < windows.size(); start += kWaveformBatch) {
        const std::vector<AudioWindow> part(windows.begin() + static_cast<std::ptrdiff_t>(start),
                                            windows.begin() + static_cast<std::ptrdiff_t>(std::min(windows.size(), start + kWaveformBatch)));
        at::Tensor batch = audio_window_batch(samples, part, pre.size);
        if (gain != 1.0) batch.mul_(gain);
        const std::vector<float> q = classifier->predict(batch);
        p.insert(p.end(), q.begin(), q.end());
        if (embedding) embedded.push_back(classifier->embed(batch));
      }
      if (embedding) v.audio_embedding = mean_row(at::cat(embedded));
      scores.push_back(static_cast<float>(aggregate(std::vector<double>(p.begin(), p.end()), params.audio.windows.aggregation)));
      window_scores.push_back(std::move(p));
    }
    if (!window_scores.empty()) {  // the waveform models share their rate and window (checked when built)
      const double rate = audio.waveform_rate;
      v.audio_window_aggregation = to_string(params.audio.windows.aggregation);
      for (size_t k = 0; k < windows.size(); ++k) {
        AudioWindowScore w;
        w.start = static_cast<double>(windows[k].start) / rate;
        w.end = static_cast<double>(windows[k].start + windows[k].length) / rate;
        w.padded = windows[k].padded;
        for (const auto& per_model : window_scores) w.model_scores.push_back(per_model[k]);
        w.p_fake = combine(w.model_scores, audio.waveform_weights);
        v.audio_windows.push_back(std::move(w));
      }
    }
    v.audio_model_scores = scores;
    return combine(scores, audio);
  }

  // Which of `scored` (faces or clips) a verdict rests on: those of the deciding identity (the most
  // fake) when per_identity, the most fake first for a fake verdict, the most real for a real one;
  // at most `count`.
  template <class Scored>
  std::vector<size_t> deciding(const std::vector<Scored>& scored, const Verdict& v, int count) const {
    int deciding_track = -1;
    if (params.per_identity && !v.identities.empty()) {
      deciding_track = std::max_element(v.identities.begin(), v.identities.end(), [](const IdentityScore& a, const IdentityScore& b) {
                         return a.p_fake < b.p_fake;
                       })->track_id;
    }
    std::vector<size_t> chosen;
    for (size_t i = 0; i < scored.size(); ++i) {
      if (deciding_track < 0 || scored[i].track_id == deciding_track) chosen.push_back(i);
    }
    std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
      return v.is_fake ? scored[a].p_fake > scored[b].p_fake : scored[a].p_fake < scored[b].p_fake;
    });
    if (chosen.size() > static_cast<size_t>(count)) chosen.resize(static_cast<size_t>(count));
    return chosen;
  }

  // Grad-CAM of the faces the verdict rests on (deciding), explaining "fake" for a fake verdict.
  void explain(const FaceExtraction& found, Verdict& v) {
    const std::vector<size_t> candidates = deciding(v.faces, v, params.explain.faces);
    const bool fake = v.is_fake;
    if (candidates.empty()) return;
    std::vector<cv::Mat> crops;
    for (size_t i : candidates) crops.push_back(found.crops[i].image);
    const std::vector<cv::Mat> maps = (fake ? explain_fake : explain_real)->explain(crops);
    const std::vector<std::string> landmark_names = extractor->detector().landmark_names();
    for (size_t k = 0; k < candidates.size(); ++k) {
      const FaceCrop& c = found.crops[candidates[k]];
      FaceExplanation e;
      e.face = candidates[k];
      e.target = fake ? "fake" : "real";
      e.crop = c.image;
      e.heatmap = maps[k];
      if (!landmark_names.empty() && !c.face.landmarks.empty()) {
        e.regions = region_shares(maps[k], face_region_labels(maps[k].size(), c.crop_landmarks(), landmark_names));
        e.summary = fmt::format("judged {} {}", e.target, describe(e.regions));
      }
      v.explanations.push_back(std::move(e));
    }
  }

  // Grad-CAM of the clips the verdict rests on (deciding): every frame's map, the clip models'
  // weighted mean.
  void explain_clip_models(const std::vector<FaceClip>& face_clips, Verdict& v) {
    const std::vector<size_t> candidates = deciding(v.clips, v, params.explain.clips);
    const bool fake = v.is_fake;
    const std::vector<std::string> landmark_names = extractor->detector().landmark_names();
    for (size_t k : candidates) {
      const FaceClip& c = face_clips[k];
      ClipExplanation e;
      e.clip = k;
      e.target = fake ? "fake" : "real";
      e.crops = c.images;
      for (size_t m = 0; m < explain_clips.size(); ++m) {
        const std::vector<cv::Mat> maps = explain_clips[m]->compute_clips({c.images}, fake ? CamTarget::fake() : CamTarget::real()).maps;
        for (size_t t = 0; t < maps.size(); ++t) {
          cv::Mat weighted = maps[t] * (clips.weights[m] / clips.weight_sum);
          if (e.heatmaps.size() <= t) {
            e.heatmaps.push_back(weighted);
          } else {
            cv::add(e.heatmaps[t], weighted, e.heatmaps[t]);
          }
        }
      }
      if (!landmark_names.empty() && !c.plan.face.landmarks.empty()) {
        cv::Mat mean = cv::Mat::zeros(e.heatmaps.front().size(), CV_32F);
        for (const cv::Mat& h : e.heatmaps) cv::add(mean, h / static_cast<double>(e.heatmaps.size()), mean);
        e.regions = region_shares(mean, face_region_labels(mean.size(), c.crop_landmarks(), landmark_names));
        e.summary = fmt::format("judged {} {}", e.target, describe(e.regions));
      }
      v.clip_explanations.push_back(std::move(e));
    }
  }

  void scan(const std::string& path, Verdict& v);
};

Detector::Detector() : Detector(detector_preset("default")) {}

Detector::Detector(const DetectorParams& params) : impl_(std::make_unique<Impl>()) {
  impl_->params = params;
  DetectorParams& p = impl_->params;
  if (p.models.empty()) throw InvalidArgument("models", "a Detector needs at least one classifier spec");
  if (p.model_weights.empty()) p.model_weights.assign(p.models.size(), 1.0f);
  if (p.model_weights.size() != p.models.size()) {
    throw InvalidArgument("model_weights", fmt::format("{} weights for {} models", p.model_weights.size(), p.models.size()));
  }
  for (float w : p.model_weights) {
    if (!(w >= 0)) throw InvalidArgument("model_weights", "must be >= 0");
  }
  if (p.threshold < 0 || p.threshold > 1) throw InvalidArgument("threshold", "must be in [0, 1]");
  if (!(p.segment_seconds >= 0)) throw InvalidArgument("segment_seconds", fmt::format("must be >= 0 (0: no timeline), got {}", p.segment_seconds));
  if (p.explain.faces < 1) throw InvalidArgument("explain.faces", fmt::format("must be >= 1, got {}", p.explain.faces));
  if (p.explain.clips < 0) throw InvalidArgument("explain.clips", fmt::format("must be >= 0, got {}", p.explain.clips));
  if (!(p.faces.video.timeout_seconds >= 0)) throw InvalidArgument("faces.video.timeout_seconds", "must be >= 0 (0: no limit)");
  if (!(p.audio.reader.timeout_seconds >= 0)) throw InvalidArgument("audio.reader.timeout_seconds", "must be >= 0 (0: no limit)");
  if (!(p.audio.reader.max_duration_seconds >= 0)) throw InvalidArgument("audio.reader.max_duration_seconds", "must be >= 0 (0: no limit)");
  if (!(p.audio.windows.hop > 0 && p.audio.windows.hop <= 1)) {
    throw InvalidArgument("audio.windows.hop", fmt::format("must be in (0, 1] of a window, got {}", p.audio.windows.hop));
  }
  if (!(p.audio.windows.min_seconds >= 0)) throw InvalidArgument("audio.windows.min_seconds", "must be >= 0");
  if (std::isnan(p.audio.windows.silence_dbfs)) throw InvalidArgument("audio.windows.silence_dbfs", "must be a number");
  for (size_t m = 0; m < p.models.size(); ++m) {
    auto classifier = Classifier::create(p.models[m], p.classifier);
    const Preprocess& pre = classifier->preprocess_spec();
    const bool clip = pre.input == Preprocess::Input::Clip;
    Branch& branch = pre.input == Preprocess::Input::Face ? impl_->faces : clip ? impl_->clips : impl_->audio;
    if (clip) {
      const int segments = classifier->model().info().segments;
      ClipParams& plan = impl_->clip_plan;
      if (!impl_->clips.classifiers.empty() && (plan.length != segments || plan.stride != pre.frame_stride)) {
        throw InvalidArgument("models", fmt::format("{}: its clips ({} frames, {} apart) differ from the other clip models' ({}, {} "
                                                    "apart); one Detector's clip models share them",
                                                    p.models[m], segments, pre.frame_stride, plan.length, plan.stride));
      }
      plan.length = segments;
      plan.stride = pre.frame_stride;
    }
    if (pre.input == Preprocess::Input::Waveform) {
      Branch& a = impl_->audio;
      if (a.waveform_rate != 0 && (a.waveform_rate != pre.sample_rate || a.waveform_window != pre.size)) {
        throw InvalidArgument("models", fmt::format("{}: its windows ({} samples at {} Hz) differ from the other waveform "
                                                    "models' ({} at {} Hz); one Detector's waveform models share them",
                                                    p.models[m], pre.size, pre.sample_rate, a.waveform_window, a.waveform_rate));
      }
      a.waveform_rate = pre.sample_rate;
      a.waveform_window = pre.size;
      a.waveform_weights.push_back(p.model_weights[m]);
    }
    if (pre.input == Preprocess::Input::Embedding) {
      throw InvalidArgument("models", fmt::format("{} scores embeddings, not a branch: give it as audio.fusion_model", p.models[m]));
    }
    (&branch == &impl_->faces ? impl_->face_specs : clip ? impl_->clip_specs : impl_->audio_specs).push_back(p.models[m]);
    branch.classifiers.push_back(std::move(classifier));
    branch.weights.push_back(p.model_weights[m]);
    branch.weight_sum += p.model_weights[m];
  }
  for (const Branch* b : {&impl_->faces, &impl_->audio, &impl_->clips}) {
    if (!b->classifiers.empty() && b->weight_sum <= 0) throw InvalidArgument("model_weights", "a branch's weights must not all be 0");
  }
  if (!impl_->clips.classifiers.empty() && impl_->faces.classifiers.empty()) {
    throw InvalidArgument("models", fmt::format("{} scores the clips of the faces a face model tracks and scores: add a face model "
                                                "(e.g. the default preset's)", impl_->clip_specs.front()));
  }
  if (p.clips.per_track < 1) throw InvalidArgument("clips.per_track", fmt::format("must be >= 1, got {}", p.clips.per_track));
  impl_->clip_plan.per_track = p.clips.per_track;
  const auto& ww = impl_->audio.waveform_weights;  // they combine each window's scores
  if (!ww.empty() && std::all_of(ww.begin(), ww.end(), [](float w) { return w <= 0; })) {
    throw InvalidArgument("model_weights", "the waveform models' weights must not all be 0");
  }
  if (!impl_->faces.classifiers.empty()) {
    FaceExtractorParams fp = p.faces;
    if (fp.size == 0) {  // the crops the first face model's preprocessing defines
      fp.size = impl_->faces.classifiers[0]->preprocess_spec().size;
      fp.pad = impl_->faces.classifiers[0]->preprocess_spec().pad;
    }
    impl_->extractor = std::make_unique<FaceExtractor>(make_face_detector(p), fp);
  }
  impl_->spectrogram = std::make_unique<AudioSpectrogram>(p.audio.spectrogram);
  if (!p.audio.fusion_model.empty()) impl_->load_fusion(*this);
  if (p.explain.enabled && !impl_->faces.classifiers.empty()) {
    std::vector<Classifier*> models;
    for (auto& c : impl_->faces.classifiers) models.push_back(c.get());
    EnsembleExplainParams ep;
    ep.method = p.explain.method;
    ep.weights = impl_->faces.weights;
    ep.target = CamTarget::fake();
    impl_->explain_fake = std::make_unique<EnsembleExplainer>(models, ep);
    ep.target = CamTarget::real();
    impl_->explain_real = std::make_unique<EnsembleExplainer>(models, ep);
    for (auto& c : impl_->clips.classifiers) impl_->explain_clips.push_back(std::make_unique<GradCAM>(*c, GradCamParams{p.explain.method, {}, 16}));
  }
}

Detector::~Detector() = default;

Embedders Detector::embedders() const {
  if (impl_->faces.classifiers.empty() || impl_->audio.classifiers.empty()) {
    throw InvalidArgument("models", fmt::format("embeddings of both branches need a face model and an audio model ({} and {} given)",
                                                impl_->faces.classifiers.size(), impl_->audio.classifiers.size()));
  }
  return {describe_embedder(impl_->face_specs.front(), *impl_->faces.classifiers.front()),
          describe_embedder(impl_->audio_specs.front(), *impl_->audio.classifiers.front())};
}

void Detector::Impl::load_fusion(const Detector& owner) {
  const std::string& name = params.audio.fusion_model;
  const SafetensorsFile file(find_model_file(name));
  const auto& meta = file.metadata();
  if (!meta.count("dfd.arch") || !meta.count("dfd.preset") || !meta.count("dfd.embedders")) {
    throw ModelError(file.path(), "not an embedding fusion trained by dfd train (no dfd.arch, dfd.preset or dfd.embedders "
                                  "metadata): train one on an embedding dataset (dfd prepare --embeddings)");
  }
  Embedders trained;
  try {
    trained = embedders_from_json(meta.at("dfd.embedders"));
  } catch (const InvalidArgument& e) {
    throw ModelError(file.path(), e.what());
  }
  const Preprocess pre = preprocess_from_json(meta.at("dfd.preset"));
  if (pre.input != Preprocess::Input::Embedding) {
    throw ModelError(file.path(), fmt::format("its preset feeds it {}, not embeddings", to_string(pre.input)));
  }
  const Embedders mine = owner.embedders();
  for (const auto& [branch, want, have] : {std::tuple<const char*, const Embedder*, const Embedder*>{"face", &trained.video, &mine.video},
                                           {"audio", &trained.audio, &mine.audio}}) {
    if (!same_embedder(*want, *have)) {
      throw ModelError(file.path(), fmt::format("was trained on the embeddings of {}, but this Detector's first {} model is {}",
                                                embedder_text(*want), branch, embedder_text(*have)));
    }
  }
  if (trained.video.dim < 1 || trained.audio.dim < 1) {
    throw ModelError(file.path(), "its dfd.embedders metadata gives no embedding lengths (dim)");
  }
  fusion = std::make_unique<Classifier>(Model::load(meta.at("dfd.arch"), file), pre, params.classifier);
  if (fusion->model().info().input_size != trained.video.dim + trained.audio.dim) {
    throw ModelError(file.path(), fmt::format("takes vectors of {}, but its embedders give {} + {}", fusion->model().info().input_size,
                                              trained.video.dim, trained.audio.dim));
  }
  fusion_embedders = trained;
}

const DetectorParams& Detector::params() const { return impl_->params; }

void Detector::Impl::scan(const std::string& path, Verdict& v) {
  std::optional<FaceExtraction> found;
  std::vector<FaceClip> face_clips;
  bool no_video_stream = false;
  if (extractor) {
    try {
      found = find_faces(path, v, face_clips);
    } catch (const MissingStreamError&) {
      if (audio.classifiers.empty()) throw;
      no_video_stream = true;  // an audio file: the audio branch decides alone
    }
  }
  std::lock_guard<std::mutex> lock(model_stage);
  if (found && !found->crops.empty()) {
    const auto t = Clock::now();
    v.video_p_fake = score_faces(*found, face_clips, v);
    v.timings.classify_ms = elapsed_ms(t);
  }
  if (!audio.classifiers.empty()) {
    const auto t = Clock::now();
    const bool audio_alone = !extractor || no_video_stream;
    try {
      v.audio_p_fake = score_audio(path, v);
      v.audio_status = "ok";
    } catch (const MissingStreamError&) {
      v.audio_status = "no_audio_stream";
      if (audio_alone) throw;  // else a video without sound: the faces decide alone
    } catch (const UnusableAudioError& e) {
      v.audio_status = to_string(e.reason());
      if (audio_alone) throw;  // else the faces decide alone; audio_status says why
    }
    v.timings.audio_ms = elapsed_ms(t);
  }
  // The sound alone decides a file without pictures; one with pictures but no face only when the
  // late fusion uses the sound (not rule video) or an embedding fusion does (its one-branch rule).
  const bool sound_may_decide = !extractor || no_video_stream || params.audio.fusion.fuses_audio() || fusion;
  if (fusion && !v.video_embedding.empty() && !v.audio_embedding.empty()) {
    v.p_fake = fuse_embeddings(v);
    v.audio_fused = true;
  } else if (v.video_p_fake && v.audio_p_fake) {
    v.p_fake = params.audio.fusion.apply(*v.video_p_fake, *v.audio_p_fake);
    v.audio_fused = params.audio.fusion.fuses_audio();
  } else if (v.video_p_fake) {
    v.p_fake = *v.video_p_fake;
  } else if (v.audio_p_fake && sound_may_decide) {
    v.p_fake = *v.audio_p_fake;
    v.audio_fused = true;
  } else {  // faces were looked for and none was found, and no audio score to decide (or none allowed to)
    v.status = Verdict::Status::NoFace;
    v.p_fake = params.no_face_prior;
    return;
  }
  if (!params.embeddings) {  // computed for the fusion only
    v.video_embedding.clear();
    v.audio_embedding.clear();
  }
  v.is_fake = v.p_fake >= params.threshold;
  v.status = Verdict::Status::Ok;
  if (explain_fake && found && !v.faces.empty()) {
    const auto t = Clock::now();
    explain(*found, v);
    if (!explain_clips.empty() && !face_clips.empty()) explain_clip_models(face_clips, v);
    v.timings.explain_ms = elapsed_ms(t);
  }
}

Verdict Detector::scan(const std::string& path) {
  const auto start = Clock::now();
  Verdict v;
  v.path = path;
  try {
    impl_->scan(path, v);
  } catch (const MissingStreamError& e) {
    v.status = e.stream() == MissingStreamError::Stream::Video ? Verdict::Status::NoVideoStream : Verdict::Status::NoAudioStream;
    v.error = e.what();
  } catch (const IoError& e) {
    v.status = Verdict::Status::IoError;
    v.error = e.what();
  } catch (const UnusableAudioError& e) {
    switch (e.reason()) {
      case UnusableAudioError::Reason::TooShort: v.status = Verdict::Status::AudioTooShort; break;
      case UnusableAudioError::Reason::Silent: v.status = Verdict::Status::SilentAudio; break;
      case UnusableAudioError::Reason::Noisy: v.status = Verdict::Status::NoisyAudio; break;
      case UnusableAudioError::Reason::Narrowband: v.status = Verdict::Status::NarrowbandAudio; break;
    }
    v.error = e.what();
  } catch (const DecodeError& e) {
    v.status = Verdict::Status::DecodeError;
    v.error = e.what();
  } catch (const ModelError& e) {
    v.status = Verdict::Status::ModelError;
    v.error = e.what();
  } catch (const std::exception& e) {  // anything else: recorded with the file, the run goes on
    v.status = Verdict::Status::Error;
    v.error = fmt::format("{}: {}", path, e.what());
  }
  if (v.status != Verdict::Status::Ok && v.status != Verdict::Status::NoFace) {
    v.faces.clear();
    v.identities.clear();
    v.segments.clear();
    v.model_scores.clear();
    v.clips.clear();
    v.clip_model_scores.clear();
    v.audio_model_scores.clear();
    v.audio_windows.clear();
    v.explanations.clear();
    v.clip_explanations.clear();
    v.video_p_fake.reset();
    v.audio_p_fake.reset();
    v.audio_fused = false;
    v.p_fake = std::numeric_limits<float>::quiet_NaN();
    v.is_fake = false;
  }
  // The file's frames and activations: not kept for the next, larger or not (when configured).
  if (runtime_params().trim_after_scan) release_freed_memory();
  v.timings.total_ms = elapsed_ms(start);
  return v;
}

void Detector::scan_many(const std::vector<std::string>& paths, const std::function<void(size_t, Verdict&&)>& on_verdict,
                         const ScanManyParams& params) {
  if (params.workers < 1) throw InvalidArgument("workers", fmt::format("must be >= 1, got {}", params.workers));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex deliver;
  std::exception_ptr failure;
  auto work = [&] {
    for (size_t i = next++; i < paths.size() && !stop; i = next++) {
      Verdict v = scan(paths[i]);
      std::lock_guard<std::mutex> lock(deliver);
      if (failure) return;
      try {
        on_verdict(i, std::move(v));
      } catch (...) {
        failure = std::current_exception();
        stop = true;
      }
    }
  };
  const size_t n_threads = std::min(static_cast<size_t>(params.workers), paths.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();  // the caller's thread is a worker too
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

std::vector<Verdict> Detector::scan_many(const std::vector<std::string>& paths, const ScanManyParams& params) {
  std::vector<Verdict> out(paths.size());
  scan_many(paths, [&](size_t i, Verdict&& v) { out[i] = std::move(v); }, params);
  return out;
}

}  // namespace dfd
