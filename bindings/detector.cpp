#include "detector.hpp"
#include "json_value.hpp"
#include "thread_hint.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "dfd/detector.hpp"
#include "dfd/detector_params.hpp"
#include "dfd/utf8.hpp"
#include "dfd/verdict_csv.hpp"
#include "fs_path.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {

namespace {


// The verdict as Python values: exactly the JSON object dfd::to_json writes (one serializer, one
// schema: `dfd scan --jsonl` lines and to_dict() agree key for key). With images, each explanation
// also carries its crop (uint8 [h, w, 3]) and heatmap (float32 [h, w]), which JSON leaves out.
py::object embedding_array(const std::vector<float>& e) {
  if (e.empty()) return py::none();
  return py::array_t<float>(static_cast<py::ssize_t>(e.size()), e.data());
}

py::dict verdict_dict(const Verdict& v, bool images) {
  py::dict d = py::module_::import("json").attr("loads")(to_json(v));
  if (images) {
    py::list explanations = d["explanations"];
    for (size_t k = 0; k < v.explanations.size(); ++k) {
      py::dict e = explanations[k];
      e["crop"] = to_array(v.explanations[k].crop);
      e["heatmap"] = to_float_array(v.explanations[k].heatmap);
    }
    if (!v.clip_explanations.empty()) {
      py::list clips = d["clip_explanations"];
      for (size_t k = 0; k < v.clip_explanations.size(); ++k) {
        py::dict e = clips[k];
        py::list crops, heatmaps;
        for (const cv::Mat& c : v.clip_explanations[k].crops) crops.append(to_array(c));
        for (const cv::Mat& h : v.clip_explanations[k].heatmaps) heatmaps.append(to_float_array(h));
        e["crops"] = crops;
        e["heatmaps"] = heatmaps;
      }
    }
  }
  return d;
}

// A Python callable as the Detector's combiner: called from the scanning threads, so it takes the GIL.
std::function<float(const std::vector<float>&)> python_combiner(const py::object& fn) {
  if (fn.is_none()) return {};
  if (!PyCallable_Check(fn.ptr())) throw InvalidArgument("combiner", "must be callable (per-model p(fake) -> p(fake))");
  auto held = std::make_shared<py::object>(fn);
  // The shared_ptr's last owner is the Detector, destroyed by Python with the GIL held.
  return [held](const std::vector<float>& scores) {
    py::gil_scoped_acquire gil;
    return (*held)(scores).cast<float>();
  };
}


// Leaf names below `prefix` ("" for the top), one level down: "mtcnn", "faces", "threshold", ...
py::list children(const std::string& prefix) {
  py::list out;
  std::vector<std::string> seen;
  const std::string start = prefix.empty() ? "" : prefix + ".";
  for (const std::string& name : list_detector_params()) {
    if (name.compare(0, start.size(), start) != 0) continue;
    const std::string child = name.substr(start.size(), name.find('.', start.size()) - start.size());
    if (std::find(seen.begin(), seen.end(), child) == seen.end()) {
      seen.push_back(child);
      out.append(child);
    }
  }
  return out;
}

bool is_group(const std::string& name) {
  for (const std::string& n : list_detector_params()) {
    if (n.compare(0, name.size() + 1, name + ".") == 0) return true;
  }
  return false;
}

// A group of settings seen through its owner (attribute writes land in the owner).
struct ParamsGroup {
  py::object owner;  // the DetectorParams
  std::string prefix;
};

py::object get_setting(const py::object& owner, const std::string& name) {
  if (is_group(name)) return py::cast(ParamsGroup{owner, name});
  const auto& params = owner.cast<const DetectorParams&>();
  try {
    return py::module_::import("json").attr("loads")(detector_param_json(params, name));
  } catch (const InvalidArgument& e) {
    throw py::attribute_error(e.what());  // getattr(p, "x", default) and hasattr work
  }
}

void set_setting(DetectorParams& p, const std::string& name, const py::object& value) {
  if (name == "fusion" && py::isinstance<LateFusion>(value)) {
    p.audio.fusion = value.cast<LateFusion>();
    return;
  }
  set_detector_param_json(p, name, json_of(value));
}

py::dict group_dict(const ParamsGroup& g) {
  py::dict all = py::module_::import("json").attr("loads")(to_json(g.owner.cast<const DetectorParams&>(), -1));
  py::object node = all;
  size_t start = 0;
  for (size_t dot = g.prefix.find('.'); ; dot = g.prefix.find('.', start)) {
    node = node[py::str(g.prefix.substr(start, dot == std::string::npos ? dot : dot - start))];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

// Python-only spellings of settings (the CLI's flags have their own): name -> dotted name.
const std::vector<std::pair<std::string, std::string>> kPythonNames = {
    {"weights", "model_weights"}, {"explain", "explain.enabled"},  {"explain_faces", "explain.faces"},
    {"explain_method", "explain.method"}, {"batch_size", "classifier.batch_size"}, {"device", "classifier.device"}};

// Keyword overrides in order; face_detector first, so face_weights finds its detector.
void apply_kwargs(DetectorParams& p, const py::kwargs& kwargs) {
  std::vector<std::pair<std::string, py::object>> items;
  for (const auto& [key, value] : kwargs) {
    std::string name = key.cast<std::string>();
    for (size_t at = name.find("__"); at != std::string::npos; at = name.find("__", at + 1)) name.replace(at, 2, ".");
    for (const auto& [python_name, dotted] : kPythonNames) {
      if (name == python_name) name = dotted;
    }
    if (name == "face_detector") items.insert(items.begin(), {name, py::reinterpret_borrow<py::object>(value)});
    else items.emplace_back(name, py::reinterpret_borrow<py::object>(value));
  }
  for (const auto& [name, value] : items) set_setting(p, name, value);
}

}  // namespace

void register_detector(py::module_& m) {
  py::class_<LateFusion>(m, "LateFusion", "rule 'logit': p = sigmoid(video * logit(p_video) + audio * logit(p_audio) + bias); "
                                          "rule 'max': p = max(p_video, p_audio); rule 'video': p = p_video (the sound reported, not fused)")
      .def(py::init([](double video, double audio, double bias, const std::string& rule) {
             return LateFusion{video, audio, bias, fusion_rule(rule)};
           }),
           py::arg("video") = LateFusion{}.video, py::arg("audio") = LateFusion{}.audio, py::arg("bias") = LateFusion{}.bias,
           py::arg("rule") = "logit")
      .def_readwrite("video", &LateFusion::video)
      .def_readwrite("audio", &LateFusion::audio)
      .def_readwrite("bias", &LateFusion::bias)
      .def_property("rule", [](const LateFusion& f) { return to_string(f.rule); },
                    [](LateFusion& f, const std::string& rule) { f.rule = fusion_rule(rule); })
      .def("__call__", &LateFusion::apply, py::arg("p_video"), py::arg("p_audio"))
      .def("__repr__", [](const LateFusion& f) {
        if (f.rule != FusionRule::Logit) return fmt::format("LateFusion(rule='{}')", to_string(f.rule));
        return fmt::format("LateFusion(video={:.6g}, audio={:.6g}, bias={:.6g})", f.video, f.audio, f.bias);
      });
  m.def("fit_late_fusion", &fit_late_fusion, py::arg("p_video"), py::arg("p_audio"), py::arg("labels"), py::arg("c") = 1.0,
        "Logistic regression of labels (1 = fake) on the two branches' logits, as sklearn's LogisticRegression(C=c).");

  py::class_<Verdict>(m, "Verdict", "What Detector.scan says about one file.")
      .def_property_readonly("path", [](const Verdict& v) { return fs_decode(v.path); },
                             "the path as given (os.fsdecode of its bytes)")
      .def_property_readonly("status", [](const Verdict& v) { return to_string(v.status); })
      .def_property_readonly("error", [](const Verdict& v) { return escaped_text(v.error); })
      .def_readonly("p_fake", &Verdict::p_fake, "NaN for a file that could not be scanned (see status)")
      .def_readonly("is_fake", &Verdict::is_fake)
      .def_readonly("video_p_fake", &Verdict::video_p_fake)
      .def_readonly("audio_p_fake", &Verdict::audio_p_fake)
      .def_readonly("audio_fused", &Verdict::audio_fused,
                    "whether audio_p_fake is part of p_fake (False: reported only — audio.fusion.rule 'video', "
                    "the default preset's, judges a file with pictures by its faces)")
      .def_readonly("frames_sampled", &Verdict::frames_sampled)
      .def_readonly("frame_indices", &Verdict::frame_indices)
      .def_readonly("rotation", &Verdict::rotation,
                    "degrees the frames were turned clockwise to stand their faces upright (faces.orientation "
                    "'auto', the default preset's); the faces' boxes are in the turned frames' pixels")
      .def_readonly("model_scores", &Verdict::model_scores)
      .def_readonly("audio_model_scores", &Verdict::audio_model_scores)
      .def_readonly("clip_model_scores", &Verdict::clip_model_scores, "per clip model, its clips' p(fake) aggregated")
      .def_readonly("audio_status", &Verdict::audio_status,
                    "the audio branch: '' (none), 'ok', 'no_audio_stream', 'too_short', 'silent', 'noisy' or 'narrowband'")
      .def_readonly("audio_window_aggregation", &Verdict::audio_window_aggregation)
      .def_readonly("audio_loudness_lufs", &Verdict::audio_loudness_lufs,
                    "the audio's integrated loudness (LUFS) when a model's preset levelled it (the default "
                    "preset's AASIST); None otherwise")
      .def_property_readonly("video_embedding", [](const Verdict& v) { return embedding_array(v.video_embedding); },
                             "DetectorParams.embeddings: the first face model's embedding, averaged over the crops "
                             "(float32 [d]); None when off or no face")
      .def_property_readonly("audio_embedding", [](const Verdict& v) { return embedding_array(v.audio_embedding); },
                             "DetectorParams.embeddings: the first audio model's embedding, averaged over its windows "
                             "(float32 [d]); None when off or no sound")
      .def_property_readonly("audio_windows", [](const Verdict& v) {
        py::list out;
        for (const AudioWindowScore& w : v.audio_windows) {
          py::dict d;
          d["start"] = w.start;
          d["end"] = w.end;
          d["padded"] = w.padded;
          d["p_fake"] = w.p_fake;
          d["model_scores"] = w.model_scores;
          out.append(d);
        }
        return out;
      }, "waveform models: per window {start, end (seconds), padded, p_fake, model_scores}, in time order")
      .def_property_readonly("segments", [](const Verdict& v) {
        py::list out;
        for (const SegmentScore& g : v.segments) {
          py::dict d;
          d["start"] = g.start_seconds;
          d["end"] = g.end_seconds;
          d["faces"] = g.faces;
          d["p_fake"] = g.p_fake;
          out.append(d);
        }
        return out;
      }, "the timeline (segment_seconds, the default preset's 10): per window of the video's time with faces "
         "{start, end (seconds), faces, p_fake}, in time order; empty when off or for an image")
      .def_property_readonly("timings", [](const Verdict& v) { return v.timings.to_string(); })
      .def("to_dict", &verdict_dict, py::arg("images") = false,
           "The verdict as the JSON object to_json() writes (path with \\xNN escapes, p_fake None when failed, "
           "timings_ms, regions as {region, share}); images=True adds each explanation's numpy crop and heatmap (a "
           "clip explanation's: its frames' crops and heatmaps).")
      .def("to_json", [](const Verdict& v) { return to_json(v); }, "One JSON line (no images), as dfd scan --jsonl writes.")
      .def("__repr__", [](const Verdict& v) {
        const std::string path = utf8_escaped(v.path);
        if (v.status == Verdict::Status::Ok) {
          return fmt::format("Verdict('{}': {} p_fake={:.3f}, {} faces, {} identities; {})", path,
                             v.is_fake ? "FAKE" : "real", v.p_fake, v.faces.size(), v.identities.size(),
                             v.timings.to_string());
        }
        if (v.status == Verdict::Status::NoFace) {
          return fmt::format("Verdict('{}': no_face, prior p_fake={:.3f})", path, v.p_fake);
        }
        return fmt::format("Verdict('{}': {}: {})", path, to_string(v.status), utf8_escaped(v.error));
      });

  py::class_<ParamsGroup>(m, "_ParamsGroup", "A group of DetectorParams settings (params.mtcnn, params.faces.video, ...).")
      .def("__getattr__", [](const ParamsGroup& g, const std::string& name) { return get_setting(g.owner, g.prefix + "." + name); })
      .def("__setattr__", [](const ParamsGroup& g, const std::string& name, const py::object& value) {
        set_setting(g.owner.cast<DetectorParams&>(), g.prefix + "." + name, value);
      })
      .def("__dir__", [](const ParamsGroup& g) { return children(g.prefix); })
      .def("to_dict", [](const ParamsGroup& g) { return group_dict(g); })
      .def("__repr__", [](const ParamsGroup& g) { return py::repr(group_dict(g)).cast<std::string>(); });

  py::class_<DetectorParams>(m, "DetectorParams", R"doc(
Every setting of the Detector, as the C++ struct DetectorParams holds them: one group per stage
(mtcnn, blazeface, haar, faces, classifier, audio, explain) and the verdict's own settings. A
preset's values, then overrides by dotted name (the names `dfd scan --set` takes):

    p = dfd.DetectorParams("dfdc_selimsef", **{"mtcnn.thresholds": (0.85, 0.95, 0.95)}, frames=16)
    p.faces.frames = 16              # attribute access follows the struct
    p["mtcnn.thresholds"]            # [0.85, 0.95, 0.95]
    p.to_dict()                      # what `dfd scan --print-params` prints
    dfd.Detector(p)

A keyword may spell the dots as "__" (mtcnn__thresholds=...). An unknown name or a bad value raises
InvalidArgument listing the valid ones. Defaults come from C++.)doc")
      .def(py::init([](const std::string& preset, const py::kwargs& overrides) {
             DetectorParams p = detector_preset(preset);
             apply_kwargs(p, overrides);
             return p;
           }),
           py::arg("preset") = "default")
      .def_static("names", &list_detector_params, "Every setting's dotted name.")
      .def_static("presets", &list_detector_presets)
      .def("__getitem__", [](const DetectorParams& p, const std::string& name) {
        return py::module_::import("json").attr("loads")(detector_param_json(p, name));
      })
      .def("__setitem__", [](DetectorParams& p, const std::string& name, const py::object& value) { set_setting(p, name, value); })
      .def("__getattr__", [](const py::object& self, const std::string& name) { return get_setting(self, name); })
      .def("__setattr__", [](DetectorParams& p, const std::string& name, const py::object& value) { set_setting(p, name, value); })
      .def("__dir__", [](const DetectorParams&) { return children(""); })
      .def("set", [](DetectorParams& p, const py::kwargs& overrides) { apply_kwargs(p, overrides); },
           "Applies overrides by dotted name (or with '__' for the dots).")
      .def("copy", [](const DetectorParams& p) { return DetectorParams(p); })
      .def("to_dict", [](const DetectorParams& p) { return py::module_::import("json").attr("loads")(to_json(p, -1)); },
           "Every setting, nested by the dotted names (enums by name), as `dfd scan --print-params` prints them.")
      .def("to_json", [](const DetectorParams& p, int indent) { return to_json(p, indent); }, py::arg("indent") = 2)
      .def("__eq__", [](const DetectorParams& a, const DetectorParams& b) { return to_json(a, -1) == to_json(b, -1); })
      .def("__repr__", [](const DetectorParams& p) { return "DetectorParams(" + to_json(p, -1) + ")"; })
      // Pickled as every setting's JSON by dotted name, so params travel to other processes (dfd.dask).
      .def(py::pickle(
          [](const DetectorParams& p) {
            if (p.combiner) throw InvalidArgument("combiner", "a DetectorParams with a combiner (a function) cannot be pickled");
            py::dict state;
            for (const std::string& name : list_detector_params()) state[py::str(name)] = detector_param_json(p, name);
            return state;
          },
          [](const py::dict& state) {
            DetectorParams p;
            for (const auto& [name, json] : state) set_detector_param_json(p, name.cast<std::string>(), json.cast<std::string>());
            return p;
          }));

  py::class_<Detector>(m, "Detector", R"doc(
The whole pipeline: frames -> faces -> classifiers -> aggregation (+ the audio branch, fused late),
models loaded once. Either a DetectorParams, or a preset and overrides by name:

    det = dfd.Detector(models=["mesoinception4_keras:MesoInception_DF.safetensors"], preset="mesonet",
                       face_weights="mtcnn.safetensors", **{"mtcnn.thresholds": (0.85, 0.95, 0.95)})
    det = dfd.Detector(params)    # a dfd.DetectorParams
    v = det.scan("clip.mp4")      # never raises for a bad file: v.status says what happened
    v.p_fake, v.is_fake, v.to_dict()
    df = det.scan_many(paths)     # a pandas DataFrame, decoding overlapping classification

Overrides are DetectorParams' dotted names (mtcnn__thresholds spells the dots as "__"), the short
names frames, face_weights, read_timeout_seconds, max_audio_seconds, and for Python's convenience:
weights (model_weights), explain (explain.enabled), explain_faces, explain_method, batch_size and
device (classifier.*), fusion (a LateFusion). combiner: a callable per-model p(fake) -> p(fake).
)doc")
      .def(py::init([](const DetectorParams& params, const py::object& combiner) {
             DetectorParams p = params;
             p.combiner = python_combiner(combiner);
             warn_if_single_threaded();
             py::gil_scoped_release release;
             return std::make_unique<Detector>(p);
           }),
           py::arg("params"), py::arg("combiner") = py::none())
      .def(py::init([](const std::optional<std::vector<std::string>>& models, const std::string& preset,
                       const py::object& combiner, const py::kwargs& overrides) {
             DetectorParams p = detector_preset(preset);
             if (models) p.models = *models;
             apply_kwargs(p, overrides);
             p.combiner = python_combiner(combiner);
             warn_if_single_threaded();
             py::gil_scoped_release release;
             return std::make_unique<Detector>(p);
           }),
           py::arg("models") = py::none(), py::arg("preset") = "default", py::arg("combiner") = py::none())
      .def_property_readonly("params", [](const Detector& d) { return d.params(); }, "The settings it runs with (a copy).")
      .def("scan", [](Detector& d, const FsPath& path) { return d.scan(path.bytes); }, py::arg("path"),
           py::call_guard<py::gil_scoped_release>(),
           "One video, image or audio file (str, bytes or os.PathLike) -> Verdict (the GIL is released while it "
           "runs). Never raises for a bad file: the verdict's status and error say what happened.")
      .def(
          "_scan_many",
          [](Detector& d, const std::vector<FsPath>& given, int workers, const py::function& on_verdict) {
            ScanManyParams params;
            params.workers = workers;
            std::vector<std::string> paths;
            for (const FsPath& p : given) paths.push_back(p.bytes);
            py::gil_scoped_release release;
            d.scan_many(paths, [&](size_t i, Verdict&& v) {
              py::gil_scoped_acquire gil;
              on_verdict(i, std::move(v));
            }, params);
          },
          py::arg("paths"), py::arg("workers"), py::arg("on_verdict"),
          "Detector::scan_many: on_verdict(index, verdict) per file as it finishes (the GIL is taken only there).")
      .def_property_readonly("fusion", [](const Detector& d) { return d.params().audio.fusion; });
  m.def("list_detector_presets", &list_detector_presets);

  py::class_<VerdictCsvWriter>(m, "VerdictCsvWriter", R"doc(
The verdict CSV dfd scan --csv, dfd eval --csv and Detector.scan_many(csv_path=) write (columns:
verdict_csv_header()), opened to append and resume: the rows a previous run wrote are read, a row
cut short by a kill is cut off, and with retry_failed the rows of failed files are removed.)doc")
      .def(py::init([](const FsPath& path, bool retry_failed) { return std::make_unique<VerdictCsvWriter>(path.bytes, retry_failed); }),
           py::arg("path"), py::arg("retry_failed") = false)
      .def_property_readonly("previous_rows", [](const VerdictCsvWriter& w) {
        py::list rows;
        const CsvRecord& header = verdict_csv_header();
        for (const CsvRecord& row : w.previous_rows()) {
          py::dict d;
          for (size_t c = 0; c < header.size(); ++c) d[py::str(header[c])] = py::str(row[c]);
          rows.append(d);
        }
        return rows;
      }, "The rows already in the file, as dicts of text by column (path as written, \\xNN escaped).")
      .def("contains", [](const VerdictCsvWriter& w, const FsPath& path) { return w.contains(path.bytes); }, py::arg("path"))
      .def("append", &VerdictCsvWriter::append, py::arg("verdict"), py::arg("truth") = "",
           "Appends the verdict's row and flushes it.")
      .def("append_row", &VerdictCsvWriter::append_row, py::arg("row"),
           "Appends a row made elsewhere (verdict_csv_row in another process) and flushes it.");
  m.def("verdict_csv_header", &verdict_csv_header, "The verdict CSV's columns.");
  m.def("verdict_csv_row", &verdict_csv_row, py::arg("verdict"), py::arg("truth") = "",
        "A verdict as its CSV row (text per column of verdict_csv_header()).");

  m.def(
      "confident_strategy",
      [](const py::array& pred, double t) -> py::tuple {
        // float32 scores follow numpy's float32 arithmetic, as selimsef's code does on them.
        if (pred.dtype().is(py::dtype::of<float>())) {
          const auto a = pred.cast<py::array_t<float, py::array::c_style | py::array::forcecast>>();
          const ConfidentResult r = confident_strategy(std::vector<float>(a.data(), a.data() + a.size()), static_cast<float>(t));
          return py::make_tuple(py::float_(static_cast<float>(r.value)), static_cast<int>(r.branch));
        }
        const auto a = pred.cast<py::array_t<double, py::array::c_style | py::array::forcecast>>();
        const ConfidentResult r = confident_strategy(std::vector<double>(a.data(), a.data() + a.size()), t);
        return py::make_tuple(r.value, static_cast<int>(r.branch));
      },
      py::arg("pred"), py::arg("t") = 0.8,
      "selimsef's confident_strategy: (score, branch) with branch 0 = confident fake, 1 = confident real, 2 = mean.");
  m.def(
      "aggregate", [](const std::vector<double>& p, const std::string& how) { return aggregate(p, aggregation(how)); },
      py::arg("scores"), py::arg("how") = "confident", "One score from many: mean, median, max or confident.");
  m.def(
      "aggregate_identities",
      [](const std::vector<std::vector<double>>& tracks, const std::string& how) {
        return aggregate_identities(tracks, aggregation(how));
      },
      py::arg("tracks"), py::arg("how") = "confident", "Each track aggregated; the most fake one decides.");
}

}  // namespace dfd::python
