#include "detector.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "dfd/detector.hpp"

namespace py = pybind11;

namespace dfd::python {

namespace {

py::dict verdict_dict(const Verdict& v) {
  py::dict d;
  d["path"] = v.path;
  d["status"] = to_string(v.status);
  d["error"] = v.error;
  d["p_fake"] = v.p_fake;
  d["is_fake"] = v.is_fake;
  d["frames_sampled"] = v.frames_sampled;
  d["model_scores"] = v.model_scores;
  py::list ids;
  for (const auto& id : v.identities) {
    py::dict i;
    i["track_id"] = id.track_id;
    i["faces"] = id.faces;
    i["p_fake"] = id.p_fake;
    ids.append(i);
  }
  d["identities"] = ids;
  py::list faces;
  for (const auto& f : v.faces) {
    py::dict x;
    x["frame_index"] = f.frame_index;
    x["track_id"] = f.track_id;
    x["box"] = py::make_tuple(f.box.x1, f.box.y1, f.box.x2, f.box.y2);
    x["detector_score"] = f.detector_score;
    x["model_scores"] = f.model_scores;
    x["p_fake"] = f.p_fake;
    faces.append(x);
  }
  d["faces"] = faces;
  py::dict t;
  t["decode_and_detect_ms"] = v.timings.decode_and_detect_ms;
  t["classify_ms"] = v.timings.classify_ms;
  t["total_ms"] = v.timings.total_ms;
  d["timings"] = t;
  return d;
}

}  // namespace

void register_detector(py::module_& m) {
  py::class_<Verdict>(m, "Verdict", "What Detector.scan says about one file.")
      .def_readonly("path", &Verdict::path)
      .def_property_readonly("status", [](const Verdict& v) { return to_string(v.status); })
      .def_readonly("error", &Verdict::error)
      .def_readonly("p_fake", &Verdict::p_fake)
      .def_readonly("is_fake", &Verdict::is_fake)
      .def_readonly("frames_sampled", &Verdict::frames_sampled)
      .def_readonly("model_scores", &Verdict::model_scores)
      .def_property_readonly("timings", [](const Verdict& v) { return v.timings.to_string(); })
      .def("to_dict", &verdict_dict, "Everything, as plain Python values (faces, identities, timings).")
      .def("__repr__", [](const Verdict& v) {
        if (v.status == Verdict::Status::Ok) {
          return fmt::format("Verdict('{}': {} p_fake={:.3f}, {} faces, {} identities; {})", v.path,
                             v.is_fake ? "FAKE" : "real", v.p_fake, v.faces.size(), v.identities.size(),
                             v.timings.to_string());
        }
        if (v.status == Verdict::Status::NoFace) {
          return fmt::format("Verdict('{}': no_face, prior p_fake={:.3f})", v.path, v.p_fake);
        }
        return fmt::format("Verdict('{}': {}: {})", v.path, to_string(v.status), v.error);
      });

  py::class_<Detector>(m, "Detector", R"doc(
The whole pipeline: frames -> faces -> classifiers -> aggregation, models loaded once.

    det = dfd.Detector(models=["mesoinception4_keras:MesoInception_DF.safetensors"], preset="mesonet",
                       face_weights="mtcnn.safetensors")
    v = det.scan("clip.mp4")      # never raises for a bad file: v.status says what happened
    v.p_fake, v.is_fake, v.to_dict()
)doc")
      .def(py::init([](const std::vector<std::string>& models, const std::string& preset, const std::vector<float>& weights,
                       const std::string& face_detector, const std::string& face_weights, int frames,
                       const std::string& aggregation_name, bool per_identity, float threshold, float no_face_prior) {
             DetectorParams p = detector_preset(preset);
             p.models = models;
             p.model_weights = weights;
             if (!face_detector.empty()) p.face_detector = face_detector;
             p.face_weights = face_weights;
             if (frames > 0) p.frames = frames;
             if (!aggregation_name.empty()) p.aggregation = aggregation(aggregation_name);
             p.per_identity = per_identity;
             p.threshold = threshold;
             p.no_face_prior = no_face_prior;
             py::gil_scoped_release release;
             return std::make_unique<Detector>(p);
           }),
           py::arg("models"), py::arg("preset") = "dfdc_selimsef", py::arg("weights") = std::vector<float>{},
           py::arg("face_detector") = "", py::arg("face_weights") = "", py::arg("frames") = 0,
           py::arg("aggregation") = "", py::arg("per_identity") = false, py::arg("threshold") = 0.5f,
           py::arg("no_face_prior") = 0.5f)
      .def("scan", &Detector::scan, py::arg("path"), py::call_guard<py::gil_scoped_release>(),
           "One video or image -> Verdict (the GIL is released while it runs).");
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
