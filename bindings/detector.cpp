#include "detector.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "dfd/detector.hpp"
#include "dfd/utf8.hpp"
#include "fs_path.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {

namespace {


// The verdict as Python values: exactly the JSON object dfd::to_json writes (one serializer, one
// schema: `dfd scan --jsonl` lines and to_dict() agree key for key). With images, each explanation
// also carries its crop (uint8 [h, w, 3]) and heatmap (float32 [h, w]), which JSON leaves out.
py::dict verdict_dict(const Verdict& v, bool images) {
  py::dict d = py::module_::import("json").attr("loads")(to_json(v));
  if (images) {
    py::list explanations = d["explanations"];
    for (size_t k = 0; k < v.explanations.size(); ++k) {
      py::dict e = explanations[k];
      e["crop"] = to_array(v.explanations[k].crop);
      e["heatmap"] = to_float_array(v.explanations[k].heatmap);
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

}  // namespace

void register_detector(py::module_& m) {
  py::class_<LateFusion>(m, "LateFusion", "p = sigmoid(video * logit(p_video) + audio * logit(p_audio) + bias)")
      .def(py::init([](double video, double audio, double bias) { return LateFusion{video, audio, bias}; }),
           py::arg("video") = 0.5, py::arg("audio") = 0.5, py::arg("bias") = 0.0)
      .def_readwrite("video", &LateFusion::video)
      .def_readwrite("audio", &LateFusion::audio)
      .def_readwrite("bias", &LateFusion::bias)
      .def("__call__", &LateFusion::apply, py::arg("p_video"), py::arg("p_audio"))
      .def("__repr__", [](const LateFusion& f) {
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
      .def_readonly("frames_sampled", &Verdict::frames_sampled)
      .def_readonly("frame_indices", &Verdict::frame_indices)
      .def_readonly("model_scores", &Verdict::model_scores)
      .def_readonly("audio_model_scores", &Verdict::audio_model_scores)
      .def_property_readonly("timings", [](const Verdict& v) { return v.timings.to_string(); })
      .def("to_dict", &verdict_dict, py::arg("images") = false,
           "The verdict as the JSON object to_json() writes (path with \\xNN escapes, p_fake None when failed, "
           "timings_ms, regions as {region, share}); images=True adds each explanation's numpy crop and heatmap.")
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

  py::class_<Detector>(m, "Detector", R"doc(
The whole pipeline: frames -> faces -> classifiers -> aggregation (+ the audio branch, fused late),
models loaded once. Every argument left at its default keeps the preset's value.

    det = dfd.Detector(models=["mesoinception4_keras:MesoInception_DF.safetensors"], preset="mesonet",
                       face_weights="mtcnn.safetensors")
    v = det.scan("clip.mp4")      # never raises for a bad file: v.status says what happened
    v.p_fake, v.is_fake, v.to_dict()
    df = det.scan_many(paths)     # a pandas DataFrame, decoding overlapping classification
)doc")
      .def(py::init([](const std::vector<std::string>& models, const std::string& preset, const std::vector<float>& weights,
                       const std::string& face_detector, const FsPath& face_weights, int frames,
                       const std::string& aggregation_name, bool per_identity, float threshold, float no_face_prior,
                       const std::string& combine, const py::object& combiner, const LateFusion& fusion, bool explain,
                       int explain_faces, const std::string& explain_method, int batch_size, const std::string& device,
                       double read_timeout_seconds, double max_audio_seconds) {
             DetectorParams p = detector_preset(preset);
             p.models = models;
             p.model_weights = weights;
             if (!face_detector.empty()) p.face_detector = face_detector;
             p.face_weights = face_weights.bytes;
             p.read_timeout_seconds = read_timeout_seconds;
             p.max_audio_seconds = max_audio_seconds;
             if (frames > 0) p.frames = frames;
             if (!aggregation_name.empty()) p.aggregation = aggregation(aggregation_name);
             p.per_identity = per_identity;
             p.threshold = threshold;
             p.no_face_prior = no_face_prior;
             if (combine == "logits") p.combine = DetectorParams::Combine::Logits;
             else if (combine != "probabilities") throw InvalidArgument("combine", "expected 'probabilities' or 'logits', got '" + combine + "'");
             p.combiner = python_combiner(combiner);
             p.fusion = fusion;
             p.explain = explain;
             p.explain_faces = explain_faces;
             p.explain_method = cam_method(explain_method);
             p.classifier.batch_size = batch_size;
             p.classifier.device = device;
             py::gil_scoped_release release;
             return std::make_unique<Detector>(p);
           }),
           py::arg("models"), py::arg("preset") = "dfdc_selimsef", py::arg("weights") = std::vector<float>{},
           py::arg("face_detector") = "", py::arg("face_weights") = "", py::arg("frames") = 0,
           py::arg("aggregation") = "", py::arg("per_identity") = false, py::arg("threshold") = 0.5f,
           py::arg("no_face_prior") = 0.5f, py::arg("combine") = "probabilities", py::arg("combiner") = py::none(),
           py::arg("fusion") = LateFusion{}, py::arg("explain") = false, py::arg("explain_faces") = 4,
           py::arg("explain_method") = "gradcam", py::arg("batch_size") = 32, py::arg("device") = "cpu",
           py::arg("read_timeout_seconds") = DetectorParams{}.read_timeout_seconds,
           py::arg("max_audio_seconds") = DetectorParams{}.max_audio_seconds)
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
      .def_property_readonly("fusion", [](const Detector& d) { return d.params().fusion; });
  m.def("list_detector_presets", &list_detector_presets);

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
