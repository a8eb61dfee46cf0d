// TrainParams by name: one table of every setting, for JSON files, --set and params.json.
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dfd/trainer.hpp"
#include "dfd/utf8.hpp"
#include "../core/enum_names.hpp"

namespace dfd {
namespace {

using Json = nlohmann::ordered_json;

constexpr detail::EnumName<OptimizerKind> kOptimizers[] = {{"adamw", OptimizerKind::AdamW}, {"sgd", OptimizerKind::Sgd}};
constexpr detail::EnumName<LrSchedule> kSchedules[] = {
    {"cosine", LrSchedule::Cosine}, {"step", LrSchedule::Step}, {"constant", LrSchedule::Constant}};

struct Field {
  const char* name;
  std::function<Json(const TrainParams&)> get;
  std::function<void(TrainParams&, const Json&)> set;
};

#define DFD_TRAIN_FIELD(member)                                            \
  Field {                                                                  \
    #member, [](const TrainParams& p) { return Json(p.member); },         \
        [](TrainParams& p, const Json& j) { j.get_to(p.member); }          \
  }

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      DFD_TRAIN_FIELD(arch), DFD_TRAIN_FIELD(init), DFD_TRAIN_FIELD(input_size), DFD_TRAIN_FIELD(segments), DFD_TRAIN_FIELD(shift_div),
      Field{"pad", [](const TrainParams& p) { return Json(to_string(p.pad)); },
            [](TrainParams& p, const Json& j) { p.pad = pad_mode(j.get<std::string>()); }},
      DFD_TRAIN_FIELD(mean), DFD_TRAIN_FIELD(std), DFD_TRAIN_FIELD(freeze), DFD_TRAIN_FIELD(freeze_bn_stats), DFD_TRAIN_FIELD(channels_last),
      DFD_TRAIN_FIELD(device),
      Field{"precision", [](const TrainParams& p) { return Json(to_string(p.precision)); },
            [](TrainParams& p, const Json& j) { p.precision = precision(j.get<std::string>()); }},
      Field{"loudness_lufs", [](const TrainParams& p) { return p.loudness_lufs ? Json(*p.loudness_lufs) : Json(nullptr); },
            [](TrainParams& p, const Json& j) {
              // null or "none": as decoded
              if (j.is_null() || (j.is_string() && j.get<std::string>() == "none")) {
                p.loudness_lufs.reset();
              } else {
                p.loudness_lufs = j.get<double>();
              }
            }},
      DFD_TRAIN_FIELD(mix.real), DFD_TRAIN_FIELD(mix.self_blended), DFD_TRAIN_FIELD(mix.fake),
      DFD_TRAIN_FIELD(epoch_size), DFD_TRAIN_FIELD(val_fraction), DFD_TRAIN_FIELD(folds), DFD_TRAIN_FIELD(fold),
      DFD_TRAIN_FIELD(augment),
      DFD_TRAIN_FIELD(augmentation.jpeg_p), DFD_TRAIN_FIELD(augmentation.jpeg_quality_min),
      DFD_TRAIN_FIELD(augmentation.jpeg_quality_max), DFD_TRAIN_FIELD(augmentation.noise_p),
      DFD_TRAIN_FIELD(augmentation.noise_variance_min), DFD_TRAIN_FIELD(augmentation.noise_variance_max),
      DFD_TRAIN_FIELD(augmentation.blur_p), DFD_TRAIN_FIELD(augmentation.flip_p), DFD_TRAIN_FIELD(augmentation.colour_p),
      DFD_TRAIN_FIELD(augmentation.gray_p), DFD_TRAIN_FIELD(augmentation.shift_scale_rotate_p),
      DFD_TRAIN_FIELD(augmentation.shift), DFD_TRAIN_FIELD(augmentation.scale),
      DFD_TRAIN_FIELD(augmentation.rotate_degrees), DFD_TRAIN_FIELD(augmentation.part_dropout_p),
      DFD_TRAIN_FIELD(audio_augmentation.gain_db), DFD_TRAIN_FIELD(audio_augmentation.noise_p),
      DFD_TRAIN_FIELD(audio_augmentation.snr_db_min), DFD_TRAIN_FIELD(audio_augmentation.snr_db_max),
      DFD_TRAIN_FIELD(audio_augmentation.time_mask_p), DFD_TRAIN_FIELD(audio_augmentation.time_mask_max),
      DFD_TRAIN_FIELD(audio_augmentation.freq_mask_p), DFD_TRAIN_FIELD(audio_augmentation.freq_mask_max),
      DFD_TRAIN_FIELD(self_blend.alter), DFD_TRAIN_FIELD(self_blend.deform), DFD_TRAIN_FIELD(self_blend.hull_variants),
      DFD_TRAIN_FIELD(self_blend.translate_x),
      DFD_TRAIN_FIELD(self_blend.translate_y), DFD_TRAIN_FIELD(self_blend.scale),
      DFD_TRAIN_FIELD(self_blend.elastic_alpha), DFD_TRAIN_FIELD(self_blend.elastic_sigma),
      DFD_TRAIN_FIELD(self_blend.blur_kernel_min), DFD_TRAIN_FIELD(self_blend.blur_kernel_max),
      DFD_TRAIN_FIELD(self_blend.blend_ratios),
      DFD_TRAIN_FIELD(clip_synthesis.motion), DFD_TRAIN_FIELD(clip_synthesis.zoom),
      DFD_TRAIN_FIELD(clip_synthesis.rotate_degrees), DFD_TRAIN_FIELD(clip_synthesis.shake),
      DFD_TRAIN_FIELD(clip_synthesis.exposure), DFD_TRAIN_FIELD(clip_synthesis.flicker_p),
      DFD_TRAIN_FIELD(clip_synthesis.flicker_min), DFD_TRAIN_FIELD(clip_synthesis.drift_p),
      DFD_TRAIN_FIELD(clip_synthesis.drift),
      DFD_TRAIN_FIELD(epochs), DFD_TRAIN_FIELD(batch_size),
      Field{"optimizer", [](const TrainParams& p) { return Json(to_string(p.optimizer)); },
            [](TrainParams& p, const Json& j) { p.optimizer = optimizer_kind(j.get<std::string>()); }},
      DFD_TRAIN_FIELD(lr), DFD_TRAIN_FIELD(head_lr), DFD_TRAIN_FIELD(weight_decay), DFD_TRAIN_FIELD(momentum),
      Field{"schedule", [](const TrainParams& p) { return Json(to_string(p.schedule)); },
            [](TrainParams& p, const Json& j) { p.schedule = lr_schedule(j.get<std::string>()); }},
      DFD_TRAIN_FIELD(warmup_epochs), DFD_TRAIN_FIELD(step_epochs), DFD_TRAIN_FIELD(step_gamma),
      DFD_TRAIN_FIELD(grad_clip), DFD_TRAIN_FIELD(label_smoothing), DFD_TRAIN_FIELD(early_stopping),
      DFD_TRAIN_FIELD(seed), DFD_TRAIN_FIELD(workers), DFD_TRAIN_FIELD(out_dir), DFD_TRAIN_FIELD(resume),
  };
  return table;
}
#undef DFD_TRAIN_FIELD

const Field& field(const std::string& name) {
  for (const Field& f : fields()) {
    if (name == f.name) return f;
  }
  std::vector<std::string> names;
  for (const Field& f : fields()) names.push_back(f.name);
  throw InvalidArgument("training setting", fmt::format("unknown setting '{}' (known: {})", utf8_escaped(name),
                                                        fmt::join(names, ", ")));
}

void set_field(TrainParams& p, const Field& f, const Json& value) {
  TrainParams changed = p;  // a failed set changes nothing
  try {
    f.set(changed, value);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(f.name, fmt::format("{} is not a valid {} ({})", utf8_escaped(value.dump()), f.name,
                                              f.get(p).type_name()));
  }
  p = std::move(changed);
}

// Text as a JSON value of the setting's kind: a number, true/false, a string, or comma-separated
// items for a list.
Json parse_text(const std::string& text, const Json& kind) {
  const auto scalar = [](const std::string& t) {
    Json j = Json::parse(t, nullptr, false);
    return j.is_discarded() || j.is_object() ? Json(t) : j;
  };
  if (kind.is_array() && !(text.size() > 0 && text[0] == '[')) {
    Json list = Json::array();
    for (size_t start = 0, comma = 0; !text.empty() && comma != std::string::npos; start = comma + 1) {
      comma = text.find(',', start);
      list.push_back(scalar(text.substr(start, comma == std::string::npos ? comma : comma - start)));
    }
    return list;
  }
  if (kind.is_string()) return Json(text);
  return scalar(text);
}

}  // namespace

OptimizerKind optimizer_kind(const std::string& name) { return detail::parse_enum(kOptimizers, name, "optimizer"); }
std::string to_string(OptimizerKind kind) { return detail::enum_name(kOptimizers, kind); }
LrSchedule lr_schedule(const std::string& name) { return detail::parse_enum(kSchedules, name, "schedule"); }
std::string to_string(LrSchedule schedule) { return detail::enum_name(kSchedules, schedule); }

std::string to_string(DatasetKind kind) {
  switch (kind) {
    case DatasetKind::Audio: return "audio";
    case DatasetKind::Embeddings: return "embeddings";
    default: return "faces";
  }
}

DatasetKind dataset_kind(const std::string& dir) {
  if (is_audio_dataset(dir)) return DatasetKind::Audio;
  if (is_embedding_dataset(dir)) return DatasetKind::Embeddings;
  return DatasetKind::Faces;
}

TrainParams default_train_params(DatasetKind kind) {
  TrainParams p;
  if (kind != DatasetKind::Faces) p.mix = {0.5, 0.0, 0.5};
  if (kind == DatasetKind::Embeddings) p.arch = "fusion_mlp";
  return p;
}

std::string to_json(const TrainParams& params, int indent) {
  Json j = Json::object();
  for (const Field& f : fields()) j[f.name] = f.get(params);
  return j.dump(indent);
}

TrainParams train_params_from_json(const std::string& text, TrainParams base) {
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InvalidArgument("training settings", "not a JSON object");
  for (const auto& [name, value] : j.items()) set_field(base, field(name), value);
  return base;
}

void set_train_param(TrainParams& params, const std::string& key_value) {
  const size_t eq = key_value.find('=');
  if (eq == std::string::npos) {
    throw InvalidArgument("training setting", fmt::format("'{}' is not KEY=VALUE", utf8_escaped(key_value)));
  }
  const Field& f = field(key_value.substr(0, eq));
  set_field(params, f, parse_text(key_value.substr(eq + 1), f.get(params)));
}

}  // namespace dfd
