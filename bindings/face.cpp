#include "face.hpp"

#include <pybind11/stl.h>

#include <fmt/format.h>

#include "dfd/face.hpp"
#include "dfd/face_crop.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

using ImageArray = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

PadMode parse_pad(const std::string& pad) {
  if (pad == "center") return PadMode::Center;
  if (pad == "corner") return PadMode::Corner;
  throw InvalidArgument("pad", fmt::format("must be 'center' or 'corner', got '{}'", pad));
}

ResizeRule parse_rule(const std::optional<std::string>& rule, PadMode pad) {
  if (!rule) return default_resize_rule(pad);
  if (*rule == "selimsef") return ResizeRule::Selimsef;
  if (*rule == "dfdc_kernel") return ResizeRule::DfdcKernel;
  throw InvalidArgument("rule", fmt::format("must be 'selimsef' or 'dfdc_kernel', got '{}'", *rule));
}

MarginRule parse_margin(const std::string& margin) {
  if (margin == "selimsef") return MarginRule::Selimsef;
  if (margin == "dfdc_kernel") return MarginRule::DfdcKernel;
  throw InvalidArgument("margin", fmt::format("must be 'selimsef' or 'dfdc_kernel', got '{}'", margin));
}

py::array_t<float> landmarks_array(const Face& f) {
  py::array_t<float> out({static_cast<py::ssize_t>(f.landmarks.size()), py::ssize_t{2}});
  auto a = out.mutable_unchecked<2>();
  for (size_t i = 0; i < f.landmarks.size(); ++i) {
    a(static_cast<py::ssize_t>(i), 0) = f.landmarks[i].x;
    a(static_cast<py::ssize_t>(i), 1) = f.landmarks[i].y;
  }
  return out;
}

// One callable for one image ([h, w, 3] → list of faces) and many (a list of images or an
// [n, h, w, 3] array → one list per image), as dlib's detectors do.
py::object call_detector(FaceDetector& detector, const py::object& images) {
  const bool single = py::isinstance<py::array>(images) && py::array(images.cast<py::array>()).ndim() == 3;
  std::vector<ImageArray> arrays;
  if (single) {
    arrays.push_back(images.cast<ImageArray>());
  } else if (py::isinstance<py::array>(images)) {
    const py::array batch = images.cast<py::array>();
    if (batch.ndim() != 4) throw InvalidArgument("images", "expected [h, w, 3], [n, h, w, 3] or a list of images");
    for (py::ssize_t i = 0; i < batch.shape(0); ++i) arrays.push_back(images[py::int_(i)].cast<ImageArray>());
  } else {
    for (const py::handle item : images) arrays.push_back(py::reinterpret_borrow<py::object>(item).cast<ImageArray>());
  }
  std::vector<cv::Mat> views;
  for (const auto& a : arrays) views.push_back(image_view(a));
  std::vector<std::vector<Face>> faces;
  {
    py::gil_scoped_release release;
    faces = detector.detect(views);
  }
  if (single) return py::cast(faces.at(0));
  return py::cast(faces);
}

}  // namespace

void register_face(py::module_& m) {
  py::class_<Face>(m, "Face", "A detected face: box (x1, y1, x2, y2 pixels), score, landmarks [k, 2].")
      .def_property_readonly("box", [](const Face& f) { return py::make_tuple(f.box.x1, f.box.y1, f.box.x2, f.box.y2); })
      .def_readonly("score", &Face::score)
      .def_property_readonly("landmarks", &landmarks_array)
      .def("__repr__", [](const Face& f) {
        return py::str("Face(box=({:.1f}, {:.1f}, {:.1f}, {:.1f}), score={:.3f}, landmarks={})")
            .format(f.box.x1, f.box.y1, f.box.x2, f.box.y2, f.score, f.landmarks.size());
      });

  py::class_<FaceDetector>(m, "FaceDetector", "Base of the face detectors: call one on an image or a batch.")
      .def("__call__", &call_detector, py::arg("images"),
           "Faces in one RGB uint8 image [h, w, 3] (a list of Face, best first), or in each of a list of images "
           "or an [n, h, w, 3] array (a list of lists).")
      .def_property_readonly("name", &FaceDetector::name)
      .def_property_readonly("landmark_names", &FaceDetector::landmark_names);

  py::class_<HaarFaceDetector, FaceDetector>(m, "HaarFaceDetector", R"doc(
OpenCV's Viola-Jones frontal-face cascade (Debian's opencv-data by default): no weights to download.
score = neighbours / (neighbours + min_neighbors); no landmarks.)doc")
      .def(py::init([](const std::string& cascade_path, double scale_factor, int min_neighbors, int min_size) {
             HaarParams p;
             p.cascade_path = cascade_path;
             p.scale_factor = scale_factor;
             p.min_neighbors = min_neighbors;
             p.min_size = min_size;
             return HaarFaceDetector::create(p);
           }),
           py::arg("cascade_path") = "", py::arg("scale_factor") = 1.1, py::arg("min_neighbors") = 5,
           py::arg("min_size") = 30);

  m.def(
      "resize_and_pad",
      [](const ImageArray& image, int size, const std::string& pad, const std::optional<std::string>& rule) {
        const PadMode mode = parse_pad(pad);
        cv::Mat out;
        {
          const cv::Mat view = image_view(image);
          py::gil_scoped_release release;
          out = resize_and_pad(view, size, mode, parse_rule(rule, mode));
        }
        return to_array(out);
      },
      py::arg("image"), py::arg("size"), py::arg("pad") = "center", py::arg("rule") = py::none(),
      R"doc(A face crop as a classifier's square input: resize so the long side is `size`, pad to a square.

pad="center": selimsef's put_to_center; pad="corner": the DFDC kernel's make_square_image (bottom/right).
rule: "selimsef" (INTER_AREA down, INTER_CUBIC up, short side in double) or "dfdc_kernel"
(INTER_AREA always, integer short side); by default the rule of the pad mode's pipeline.
Byte-exact with both references (golden g4).)doc");

  m.def(
      "crop_region",
      [](const std::array<float, 4>& box, const std::array<int, 2>& frame_hw, const std::string& margin) {
        const cv::Rect r = crop_region(Box{box[0], box[1], box[2], box[3]}, cv::Size(frame_hw[1], frame_hw[0]),
                                       parse_margin(margin));
        return py::make_tuple(r.x, r.y, r.x + r.width, r.y + r.height);
      },
      py::arg("box"), py::arg("frame_hw"), py::arg("margin") = "selimsef",
      R"doc(The (x1, y1, x2, y2) region a face crop takes for `box` (x1, y1, x2, y2 pixels) in a frame of
(height, width): selimsef's 1/3 margin or the DFDC kernel's 0.2 (doubled on top), clipped to the frame.
Crop with frame[y1:y2, x1:x2]; an empty region (x1 == x2) means the box misses the frame.)doc");
}

}  // namespace dfd::python
