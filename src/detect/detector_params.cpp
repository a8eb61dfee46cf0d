// DetectorParams by name: one table of every setting (its dotted name is its path in the struct),
// each read and written through its type's codec, so the CLI, Python and presets share one parser.
#include "dfd/detector_params.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/utf8.hpp"

namespace dfd {
namespace {

using json = nlohmann::ordered_json;

// A value that is not of the setting's type; the caller prefixes the setting's name.
[[noreturn]] void bad_value(const std::string& expected, const std::string& got) {
  throw InvalidArgument("value", fmt::format("expected {}, got {}", expected, got));
}

std::string shown(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string shown(const std::string& text) { return fmt::format("'{}'", utf8_escaped(text)); }

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

double finite_number(const json& j) {
  if (!j.is_number()) bad_value("a number", shown(j));
  const double v = j.get<double>();
  if (!std::isfinite(v)) bad_value("a finite number", shown(j));
  return v;
}

double number_from_text(const std::string& text) {
  const std::string t = trimmed(text);
  double v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) bad_value("a finite number", shown(text));
  return v;
}

template <class T, class Enable = void>
struct Codec;

template <>
struct Codec<int> {
  static json to(int v) { return v; }
  static int from_json(const json& j) {
    if (!j.is_number_integer()) bad_value("an integer", shown(j));
    const auto v = j.get<int64_t>();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) bad_value("a 32-bit integer", shown(j));
    return static_cast<int>(v);
  }
  static int from_text(const std::string& text) {
    const std::string t = trimmed(text);
    int v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) bad_value("an integer", shown(text));
    return v;
  }
};

template <>
struct Codec<double> {
  static json to(double v) { return v; }
  static double from_json(const json& j) { return finite_number(j); }
  static double from_text(const std::string& text) { return number_from_text(text); }
};

template <>
struct Codec<float> {
  static json to(float v) { return static_cast<double>(v); }
  static float checked(double v, const std::string& got) {
    if (std::abs(v) > std::numeric_limits<float>::max()) bad_value("a number in float range", got);
    return static_cast<float>(v);
  }
  static float from_json(const json& j) { return checked(finite_number(j), shown(j)); }
  static float from_text(const std::string& text) { return checked(number_from_text(text), shown(text)); }
};

template <>
struct Codec<bool> {
  static json to(bool v) { return v; }
  static bool from_json(const json& j) {
    if (!j.is_boolean()) bad_value("true or false", shown(j));
    return j.get<bool>();
  }
  static bool from_text(const std::string& text) {
    const std::string t = trimmed(text);
    if (t == "true" || t == "1") return true;
    if (t == "false" || t == "0") return false;
    bad_value("true, false, 1 or 0", shown(text));
  }
};

template <>
struct Codec<std::string> {
  static json to(const std::string& v) { return utf8_escaped(v); }
  static std::string from_json(const json& j) {
    if (!j.is_string()) bad_value("a string", shown(j));
    return j.get<std::string>();
  }
  static std::string from_text(const std::string& text) { return text; }
};

template <class T>
struct Codec<std::vector<T>> {
  static json to(const std::vector<T>& v) {
    json out = json::array();
    for (const T& x : v) out.push_back(Codec<T>::to(x));
    return out;
  }
  static std::vector<T> from_json(const json& j) {
    if (!j.is_array()) bad_value("a list", shown(j));
    std::vector<T> out;
    for (const json& x : j) out.push_back(Codec<T>::from_json(x));
    return out;
  }
  static std::vector<T> from_text(const std::string& text) {
    std::vector<T> out;
    for (const std::string& part : split_commas(text)) out.push_back(Codec<T>::from_text(part));
    return out;
  }
};

template <class T, size_t N>
struct Codec<std::array<T, N>> {
  static json to(const std::array<T, N>& v) { return Codec<std::vector<T>>::to({v.begin(), v.end()}); }
  static std::array<T, N> sized(const std::vector<T>& v, const std::string& got) {
    if (v.size() != N) bad_value(fmt::format("{} values", N), got);
    std::array<T, N> out{};
    std::copy(v.begin(), v.end(), out.begin());
    return out;
  }
  static std::array<T, N> from_json(const json& j) { return sized(Codec<std::vector<T>>::from_json(j), shown(j)); }
  static std::array<T, N> from_text(const std::string& text) { return sized(Codec<std::vector<T>>::from_text(text), shown(text)); }
};

// Enums by name, through each stage's own parser and to_string (one name table per enum).
template <class E>
struct EnumCodec {
  static json to(E v) { return to_string(v); }
  static E from_json(const json& j) {
    if (!j.is_string()) bad_value("a name", shown(j));
    return parse(j.get<std::string>());
  }
  static E from_text(const std::string& text) { return parse(trimmed(text)); }
  static E parse(const std::string& name);
};
template <> MtcnnParams::DownscaleFilter EnumCodec<MtcnnParams::DownscaleFilter>::parse(const std::string& n) { return mtcnn_downscale_filter(n); }
template <> BlazeFaceParams::Input EnumCodec<BlazeFaceParams::Input>::parse(const std::string& n) { return blazeface_input(n); }
template <> MarginRule EnumCodec<MarginRule>::parse(const std::string& n) { return margin_rule(n); }
template <> PadMode EnumCodec<PadMode>::parse(const std::string& n) { return pad_mode(n); }
template <> ResizeRule EnumCodec<ResizeRule>::parse(const std::string& n) { return resize_rule(n); }
template <> Combine EnumCodec<Combine>::parse(const std::string& n) { return combine_method(n); }
template <> StftPadMode EnumCodec<StftPadMode>::parse(const std::string& n) { return stft_pad_mode(n); }
template <> MelScale EnumCodec<MelScale>::parse(const std::string& n) { return mel_scale(n); }
template <> MelNorm EnumCodec<MelNorm>::parse(const std::string& n) { return mel_norm(n); }
template <> Aggregation EnumCodec<Aggregation>::parse(const std::string& n) { return aggregation(n); }
template <> FusionRule EnumCodec<FusionRule>::parse(const std::string& n) { return fusion_rule(n); }
template <> CamMethod EnumCodec<CamMethod>::parse(const std::string& n) { return cam_method(n); }
template <> Precision EnumCodec<Precision>::parse(const std::string& n) { return precision(n); }
template <> Orientation EnumCodec<Orientation>::parse(const std::string& n) { return orientation(n); }

template <class E>
struct Codec<E, std::enable_if_t<std::is_enum_v<E>>> : EnumCodec<E> {};

// An optional rule: null (text "none") for "the default of the pad mode".
template <class T>
struct Codec<std::optional<T>> {
  static json to(const std::optional<T>& v) { return v ? Codec<T>::to(*v) : json(nullptr); }
  static std::optional<T> from_json(const json& j) {
    if (j.is_null()) return std::nullopt;
    return Codec<T>::from_json(j);
  }
  static std::optional<T> from_text(const std::string& text) {
    if (trimmed(text) == "none") return std::nullopt;
    return Codec<T>::from_text(text);
  }
};

struct Field {
  std::string name;
  std::function<json(const DetectorParams&)> get;
  std::function<void(DetectorParams&, const json&)> set_json;
  std::function<void(DetectorParams&, const std::string&)> set_text;
};

// `ref(params)` is the setting's member (a generic lambda, so it serves const and non-const).
template <class Ref>
Field field(std::string name, Ref ref) {
  using T = std::decay_t<decltype(ref(std::declval<DetectorParams&>()))>;
  return Field{std::move(name), [ref](const DetectorParams& p) { return Codec<T>::to(ref(p)); },
               [ref](DetectorParams& p, const json& j) { ref(p) = Codec<T>::from_json(j); },
               [ref](DetectorParams& p, const std::string& t) { ref(p) = Codec<T>::from_text(t); }};
}

#define DFD_PARAM(path) field(#path, [](auto& p) -> auto& { return p.path; })

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      DFD_PARAM(face_detector),
      DFD_PARAM(mtcnn.weights),
      DFD_PARAM(mtcnn.min_face_size),
      DFD_PARAM(mtcnn.thresholds),
      DFD_PARAM(mtcnn.factor),
      DFD_PARAM(mtcnn.downscale),
      DFD_PARAM(mtcnn.downscale_filter),
      DFD_PARAM(mtcnn.batch_size),
      DFD_PARAM(blazeface.weights),
      DFD_PARAM(blazeface.min_score),
      DFD_PARAM(blazeface.min_suppression),
      DFD_PARAM(blazeface.input),
      DFD_PARAM(blazeface.max_tile),
      DFD_PARAM(blazeface.batch_size),
      DFD_PARAM(haar.cascade_path),
      DFD_PARAM(haar.scale_factor),
      DFD_PARAM(haar.min_neighbors),
      DFD_PARAM(haar.min_size),
      DFD_PARAM(faces.frames),
      DFD_PARAM(faces.seconds_per_frame),
      DFD_PARAM(faces.max_frames),
      DFD_PARAM(faces.batch_frames),
      DFD_PARAM(faces.max_decoded_per_sample),
      DFD_PARAM(faces.score_threshold),
      DFD_PARAM(faces.max_faces_per_frame),
      DFD_PARAM(faces.margin),
      DFD_PARAM(faces.size),
      DFD_PARAM(faces.pad),
      DFD_PARAM(faces.resize),
      DFD_PARAM(faces.track_iou),
      DFD_PARAM(faces.unsure_track_score),
      DFD_PARAM(faces.sure_track_score),
      DFD_PARAM(faces.orientation),
      DFD_PARAM(faces.video.threads),
      DFD_PARAM(faces.video.output_width),
      DFD_PARAM(faces.video.output_height),
      DFD_PARAM(faces.video.timeout_seconds),
      DFD_PARAM(faces.video.deinterlace),
      DFD_PARAM(faces.video.hdr_to_sdr),
      DFD_PARAM(faces.video.stated_colors),
      DFD_PARAM(models),
      DFD_PARAM(model_weights),
      DFD_PARAM(combine),
      DFD_PARAM(clips.per_track),
      DFD_PARAM(classifier.batch_size),
      DFD_PARAM(classifier.flip_tta),
      DFD_PARAM(classifier.device),
      DFD_PARAM(classifier.precision),
      DFD_PARAM(audio.reader.timeout_seconds),
      DFD_PARAM(audio.reader.max_duration_seconds),
      DFD_PARAM(audio.spectrogram.n_fft),
      DFD_PARAM(audio.spectrogram.hop_length),
      DFD_PARAM(audio.spectrogram.win_length),
      DFD_PARAM(audio.spectrogram.center),
      DFD_PARAM(audio.spectrogram.pad_mode),
      DFD_PARAM(audio.spectrogram.power),
      DFD_PARAM(audio.spectrogram.n_mels),
      DFD_PARAM(audio.spectrogram.fmin),
      DFD_PARAM(audio.spectrogram.fmax),
      DFD_PARAM(audio.spectrogram.scale),
      DFD_PARAM(audio.spectrogram.norm),
      DFD_PARAM(audio.spectrogram.ref_max),
      DFD_PARAM(audio.spectrogram.amin),
      DFD_PARAM(audio.spectrogram.top_db),
      DFD_PARAM(audio.spectrogram.sample_rate),
      DFD_PARAM(audio.windows.hop),
      DFD_PARAM(audio.windows.aggregation),
      DFD_PARAM(audio.windows.min_seconds),
      DFD_PARAM(audio.windows.silence_dbfs),
      DFD_PARAM(audio.windows.min_speech_snr_db),
      DFD_PARAM(audio.windows.min_bandwidth_hz),
      DFD_PARAM(audio.fusion.rule),
      DFD_PARAM(audio.fusion.video),
      DFD_PARAM(audio.fusion.audio),
      DFD_PARAM(audio.fusion.bias),
      DFD_PARAM(audio.fusion_model),
      DFD_PARAM(aggregation),
      DFD_PARAM(per_identity),
      DFD_PARAM(segment_seconds),
      DFD_PARAM(threshold),
      DFD_PARAM(no_face_prior),
      DFD_PARAM(explain.enabled),
      DFD_PARAM(explain.faces),
      DFD_PARAM(explain.clips),
      DFD_PARAM(explain.method),
      DFD_PARAM(embeddings),
  };
  return table;
}

#undef DFD_PARAM

// Short names the commands' flags use, each standing for one or more settings; "face_weights"
// is the weights of the detector `face_detector` names when it is set.
const std::vector<std::pair<std::string, std::vector<std::string>>>& aliases() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> table = {
      {"frames", {"faces.frames"}},
      {"face_weights", {}},
      {"read_timeout_seconds", {"faces.video.timeout_seconds", "audio.reader.timeout_seconds"}},
      {"max_audio_seconds", {"audio.reader.max_duration_seconds"}},
  };
  return table;
}

std::vector<std::string> resolve(const DetectorParams& params, const std::string& name) {
  for (const auto& [alias, targets] : aliases()) {
    if (alias != name) continue;
    if (alias == "face_weights") {
      if (params.face_detector == "haar") throw InvalidArgument(name, "the haar detector takes no weights (set haar.cascade_path)");
      return {params.face_detector + ".weights"};
    }
    return targets;
  }
  return {name};
}

const Field& find_field(const std::string& name) {
  for (const Field& f : fields()) {
    if (f.name == name) return f;
  }
  std::vector<std::string> short_names;
  for (const auto& a : aliases()) short_names.push_back(a.first);
  throw InvalidArgument(name.empty() ? "setting" : utf8_escaped(name),
                        fmt::format("no such setting (valid: {}; short names: {})", fmt::join(list_detector_params(), ", "),
                                    fmt::join(short_names, ", ")));
}

// Runs `set(trial)` on a copy, naming the setting in what it throws; `params` changes only when
// every target took the value (a short name may set several).
template <class Set>
void set_all(DetectorParams& params, const std::string& name, const std::string& given, Set&& set) {
  DetectorParams trial = params;
  for (const std::string& target : resolve(params, name)) {
    const Field& f = find_field(target);
    try {
      set(f, trial);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(f.name, e.cause());  // the cause names the value and what is valid
    }
    if (f.name == "face_detector") {
      const std::vector<std::string> known = list_face_detectors();
      if (std::find(known.begin(), known.end(), trial.face_detector) == known.end()) {
        throw InvalidArgument(f.name, fmt::format("unknown face detector {} (valid: {})", given, fmt::join(known, ", ")));
      }
    }
  }
  params = std::move(trial);
}

}  // namespace

std::vector<std::string> list_detector_params() {
  std::vector<std::string> names;
  for (const Field& f : fields()) names.push_back(f.name);
  return names;
}

void set_detector_param(DetectorParams& params, const std::string& name, const std::string& text) {
  set_all(params, name, shown(text), [&](const Field& f, DetectorParams& p) { f.set_text(p, text); });
}

void set_detector_param_json(DetectorParams& params, const std::string& name, const std::string& text) {
  json value;
  try {
    value = json::parse(text);
  } catch (const json::exception&) {
    throw InvalidArgument(name, fmt::format("not a JSON value: {}", shown(text)));
  }
  set_all(params, name, shown(value), [&](const Field& f, DetectorParams& p) { f.set_json(p, value); });
}

std::string detector_param_json(const DetectorParams& params, const std::string& name) {
  return find_field(name).get(params).dump(-1, ' ', false, json::error_handler_t::replace);
}

void apply_override(DetectorParams& params, const std::string& key_value) {
  const size_t eq = key_value.find('=');
  if (eq == std::string::npos) {
    throw InvalidArgument("override", fmt::format("expected KEY=VALUE, got {} (settings: {})", shown(key_value),
                                                  fmt::join(list_detector_params(), ", ")));
  }
  set_detector_param(params, trimmed(key_value.substr(0, eq)), key_value.substr(eq + 1));
}

DetectorParams detector_params(const std::string& preset, const std::vector<std::string>& overrides) {
  DetectorParams params = detector_preset(preset);
  for (const std::string& o : overrides) apply_override(params, o);
  return params;
}

std::string to_json(const DetectorParams& params, int indent) {
  json out = json::object();
  for (const Field& f : fields()) {
    json* node = &out;
    size_t start = 0;
    for (size_t dot = f.name.find('.'); dot != std::string::npos; dot = f.name.find('.', start)) {
      node = &(*node)[f.name.substr(start, dot - start)];
      start = dot + 1;
    }
    (*node)[f.name.substr(start)] = f.get(params);
  }
  return out.dump(indent, ' ', false, json::error_handler_t::replace);
}

DetectorParams detector_preset(const std::string& name) {
  DetectorParams p;
  if (name == "default") {  // libdfd's own models, shipped with it (docs/models.md): no flags, no downloads
    p.mtcnn.downscale_filter = MtcnnParams::DownscaleFilter::Area;
    // Faces of 80 px and up in the full frame: a 1080p frame's detection costs a third of what
    // 20 px costs (bench/end_to_end.py); set mtcnn.min_face_size=20 for crowds or small video.
    p.mtcnn.min_face_size = 40;
    p.faces.frames = 16;
    // A long video gets a frame a second (at most 128) and a 10 s timeline, so a short fake stretch
    // is looked at and shows (docs/models.md, "Long videos"); a 10 s clip keeps its 16 frames.
    p.faces.seconds_per_frame = 1.0f;
    p.faces.max_frames = 128;
    // ...at keyframes alone where reaching those samples would decode most of the video (sparse
    // keyframes: 5 minutes of 1080p took 55 s, docs/performance.md "Long videos").
    p.faces.max_decoded_per_sample = 8;
    p.segment_seconds = 10.0f;
    // Sideways and upside-down faces turned upright first: the face model, trained on upright
    // faces, calls a turned real face fake (dfd/face_extractor.hpp).
    p.faces.orientation = Orientation::Auto;
    // A "face" MTCNN is unsure of (mean score < 0.97) beside one it is sure of (>= 0.99) is left
    // out: a background or a shirt, which the face model reads as fake (docs/models.md,
    // "Detections that are not faces").
    p.faces.unsure_track_score = 0.97f;
    // Interlaced video (TV recordings, DVDs; flagged, or combed though flagged progressive) read
    // one field a frame: woven fields comb every moving edge, and the face model reads combing as
    // blending (docs/models.md, "Interlaced video").
    p.faces.video.deinterlace = true;
    // HDR video (a phone's HLG) converted to SDR colours: read as SDR its faces are dark and grey,
    // and real ones read fake (docs/models.md, "HDR video").
    p.faces.video.hdr_to_sdr = true;
    // Each frame converted with the YUV matrix and range it states (BT.709, as HD cameras and
    // phones record): read as BT.601, OpenCV's way, a skin tone is a few levels off (docs/models.md,
    // "BT.709 and full-range video").
    p.faces.video.stated_colors = true;
    // The face model, and AASIST-L on the sound (a video's, or an audio file's alone), the sound
    // levelled to -26 LUFS first: AASIST's score follows the volume (docs/models.md, "Loudness").
    p.models = {"mobilenet_v1:dfd-faces-v3.safetensors", "aasist_l:aasist-l.safetensors@aasist_normalized"};
    p.aggregation = Aggregation::Mean;
    // A file with pictures is judged by its faces, its sound scored and reported beside: AASIST-L
    // calls music, room noise and noisy real speech fake (0.8-1.0), so fused by max every real
    // video with such sound was fake (docs/models.md, "Where AASIST-L is wrong"). An audio file is
    // judged by its sound. audio.fusion.rule=max fuses them, for sources of clean speech.
    p.audio.fusion.rule = FusionRule::Video;
    // Noise, music and speech under 12 dB (estimated) are refused as noisy, not scored: there
    // AASIST-L reads fake whatever it hears (real speech at 10 dB SNR: 12 of 12 dev clips).
    p.audio.windows.min_speech_snr_db = 12;
    // Sound that reaches no higher than 5 kHz (a phone line, an 8 kHz recorder) is refused as
    // narrowband: real speech through a telephone channel reads fake (12 of 12 dev clips). A 24 kb/s
    // MP3 (5.7-5.8 kHz) passes: AASIST-L errs more there, but still tells the fakes apart.
    p.audio.windows.min_bandwidth_hz = 5000;
    // Calibrated on held-out real photos (docs/models.md): 8.0 % of the other held-out half called fake.
    p.threshold = 0.61f;
    return p;
  }
  if (name == "dfdc_selimsef") return p;  // the defaults are his pipeline
  if (name == "dfdc_kernel") {
    p.face_detector = "blazeface";
    p.faces.max_faces_per_frame = 1;
    p.faces.margin = MarginRule::DfdcKernel;
    p.aggregation = Aggregation::Mean;
    return p;
  }
  if (name == "mesonet") {
    p.aggregation = Aggregation::Mean;
    return p;
  }
  if (name == "ffdv_audio") {  // the branch follows from the models' preset; no face models expected
    p.aggregation = Aggregation::Mean;
    return p;
  }
  throw InvalidArgument("preset", fmt::format("unknown detector preset {} (known: {})", shown(name),
                                              fmt::join(list_detector_presets(), ", ")));
}

std::vector<std::string> list_detector_presets() {
  return {"default", "dfdc_kernel", "dfdc_selimsef", "ffdv_audio", "mesonet"};
}

}  // namespace dfd
