#include "face.hpp"

#include <cstring>

#include <pybind11/stl.h>

#include <fmt/format.h>

#include "fs_path.hpp"

#include "dfd/face.hpp"
#include "dfd/face_landmarks.hpp"
#include "dfd/face_crop.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/face_clips.hpp"
#include "image.hpp"

namespace py = pybind11;

namespace dfd::python {
namespace {

using ImageArray = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

ResizeRule parse_rule(const std::optional<std::string>& rule, PadMode pad) {
  return rule ? resize_rule(*rule) : default_resize_rule(pad);
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

// Decoded frames for FaceExtractor: the RGB images of an [n, h, w, 3] array or a list, viewed
// (kept alive in `keep`), at `indices` (default: first, first + 1, ...) and `timestamps` (seconds;
// default 0).
std::vector<Frame> frames_of(const py::handle& images, const std::optional<std::vector<int64_t>>& indices,
                             const std::optional<std::vector<double>>& timestamps, int64_t first,
                             std::vector<ImageArray>& keep) {
  const std::vector<cv::Mat> views = image_list(images, keep);
  if (indices && indices->size() != views.size()) {
    throw InvalidArgument("indices", fmt::format("must give one index per frame ({}), got {}", views.size(), indices->size()));
  }
  if (timestamps && timestamps->size() != views.size()) {
    throw InvalidArgument("timestamps", fmt::format("must give one time per frame ({}), got {}", views.size(), timestamps->size()));
  }
  std::vector<Frame> frames(views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    if (views[i].type() != CV_8UC3) throw InvalidArgument("frames", fmt::format("frame {} is not an RGB uint8 image [h, w, 3]", i));
    frames[i].image = views[i];
    frames[i].index = indices ? (*indices)[i] : first + static_cast<int64_t>(i);
    frames[i].timestamp = timestamps ? (*timestamps)[i] : 0.0;
  }
  return frames;
}

// A box from a Face or any 4 numbers (x1, y1, x2, y2).
Box box_of(const py::handle& item) {
  if (py::isinstance<Face>(item)) return item.cast<Face>().box;
  const auto v = py::reinterpret_borrow<py::object>(item).cast<std::vector<float>>();
  if (v.size() != 4) throw InvalidArgument("boxes", fmt::format("a box is 4 numbers (x1, y1, x2, y2), got {}", v.size()));
  return Box{v[0], v[1], v[2], v[3]};
}

// One box (a Face or 4 numbers) → [68, 2]; many (a list, or an [n, 4] array) → [n, 68, 2].
py::array_t<float> call_landmarker(const FaceLandmarker& landmarker, const ImageArray& image, const py::object& boxes) {
  bool single = py::isinstance<Face>(boxes);
  if (!single && py::isinstance<py::array>(boxes)) single = boxes.cast<py::array>().ndim() == 1;
  if (!single && py::isinstance<py::sequence>(boxes) && py::len(boxes) == 4) {
    const py::sequence s = boxes.cast<py::sequence>();
    single = py::isinstance<py::float_>(s[0]) || py::isinstance<py::int_>(s[0]);
  }
  std::vector<Box> list;
  if (single) {
    list.push_back(box_of(boxes));
  } else {
    for (const py::handle item : boxes) list.push_back(box_of(item));
  }
  const cv::Mat view = image_view(image);
  std::vector<std::vector<cv::Point2f>> points;
  {
    py::gil_scoped_release release;
    points = landmarker.detect(view, list);
  }
  std::vector<py::ssize_t> shape = {static_cast<py::ssize_t>(points.size()), Landmarks68::kCount, 2};
  py::array_t<float> out(shape);
  auto a = out.mutable_unchecked<3>();
  for (size_t i = 0; i < points.size(); ++i) {
    for (int k = 0; k < Landmarks68::kCount; ++k) {
      a(static_cast<py::ssize_t>(i), k, 0) = points[i][static_cast<size_t>(k)].x;
      a(static_cast<py::ssize_t>(i), k, 1) = points[i][static_cast<size_t>(k)].y;
    }
  }
  if (single) return out[py::int_(0)].cast<py::array_t<float>>();
  return out;
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

  py::class_<FaceDetector, std::shared_ptr<FaceDetector>>(m, "FaceDetector", "Base of the face detectors: call one on an image or a batch.")
      .def("__call__", &call_detector, py::arg("images"),
           "Faces in one RGB uint8 image [h, w, 3] (a list of Face, best first), or in each of a list of images "
           "or an [n, h, w, 3] array (a list of lists).")
      .def_property_readonly("name", &FaceDetector::name)
      .def_property_readonly("landmark_names", &FaceDetector::landmark_names);

  py::class_<FaceLandmarker>(m, "FaceLandmarker", R"doc(
68 landmarks per face (iBUG 300-W layout: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67,
as seen in the image) from dlib's shape predictor; model: Debian's libdlib-data by default.
    lm = dfd.FaceLandmarker()
    points = lm(image, face)            # a Face or (x1, y1, x2, y2) -> float32 [68, 2]
    points = lm(image, faces)           # a list of them or an [n, 4] array -> [n, 68, 2])doc")
      .def(py::init([](const std::optional<FsPath>& model) {
             FaceLandmarkerParams p;
             if (model) p.model = model->bytes;
             return FaceLandmarker::create(p);
           }),
           py::arg("model") = py::none())
      .def_static("default_model_path", &FaceLandmarker::default_model_path)
      .def("detect", &call_landmarker, py::arg("image"), py::arg("boxes"),
           "The 68 points of the face in each box, image pixels (the GIL is released).")
      .def("__call__", &call_landmarker, py::arg("image"), py::arg("boxes"));

  py::class_<HaarFaceDetector, FaceDetector, std::shared_ptr<HaarFaceDetector>>(m, "HaarFaceDetector", R"doc(
OpenCV's Viola-Jones frontal-face cascade (Debian's opencv-data by default): no weights to download.
score = neighbours / (neighbours + min_neighbors); no landmarks.)doc")
      .def(py::init([](const FsPath& cascade_path, double scale_factor, int min_neighbors, int min_size) {
             HaarParams p;
             p.cascade_path = cascade_path;
             p.scale_factor = scale_factor;
             p.min_neighbors = min_neighbors;
             p.min_size = min_size;
             return std::shared_ptr<HaarFaceDetector>(HaarFaceDetector::create(p));
           }),
           py::arg("cascade_path") = "", py::arg("scale_factor") = HaarParams{}.scale_factor,
           py::arg("min_neighbors") = HaarParams{}.min_neighbors, py::arg("min_size") = HaarParams{}.min_size);

  m.def(
      "resize_and_pad",
      [](const ImageArray& image, int size, const std::string& pad, const std::optional<std::string>& rule) {
        const PadMode mode = pad_mode(pad);
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
                                       margin_rule(margin));
        return py::make_tuple(r.x, r.y, r.x + r.width, r.y + r.height);
      },
      py::arg("box"), py::arg("frame_hw"), py::arg("margin") = "selimsef",
      R"doc(The (x1, y1, x2, y2) region a face crop takes for `box` (x1, y1, x2, y2 pixels) in a frame of
(height, width): selimsef's 1/3 margin or the DFDC kernel's 0.2 (doubled on top), clipped to the frame.
Crop with frame[y1:y2, x1:x2]; an empty region (x1 == x2) means the box misses the frame.)doc");

  py::class_<BlazeFace, FaceDetector, std::shared_ptr<BlazeFace>>(m, "BlazeFace", R"doc(
MediaPipe's BlazeFace (hollance/BlazeFace-PyTorch port) in LibTorch. `weights`: a .safetensors made by
`python -m dfd.convert blazeface.pth OUT --arch blazeface_front` (or blazefaceback.pth / blazeface_back);
a path or a file name on the model search path ($DFD_MODELS, ~/.cache/dfd).
input="tiles": overlapping squares of the frame (the DFDC kernel's), merged; "whole": the image resized.
Landmarks: left eye, right eye, nose, mouth, left ear, right ear (as seen in the image).)doc")
      .def(py::init([](const FsPath& weights, std::optional<float> min_score, float min_suppression,
                       const std::string& input, int max_tile, int batch_size) {
             BlazeFaceParams p;
             p.weights = weights.bytes;
             p.min_score = min_score.value_or(-1.0f);
             p.min_suppression = min_suppression;
             p.input = blazeface_input(input);
             p.max_tile = max_tile;
             p.batch_size = batch_size;
             py::gil_scoped_release release;
             return std::shared_ptr<BlazeFace>(BlazeFace::create(p));
           }),
           py::arg("weights"), py::arg("min_score") = py::none(), py::arg("min_suppression") = BlazeFaceParams{}.min_suppression,
           py::arg("input") = to_string(BlazeFaceParams{}.input), py::arg("max_tile") = BlazeFaceParams{}.max_tile,
           py::arg("batch_size") = BlazeFaceParams{}.batch_size)
      .def_property_readonly("back_model", &BlazeFace::back_model);

  py::class_<Mtcnn, FaceDetector, std::shared_ptr<Mtcnn>>(m, "Mtcnn", R"doc(
MTCNN as facenet-pytorch runs it, in LibTorch. `weights`: a .safetensors made by
`python -m dfd.convert DIR mtcnn.safetensors --arch mtcnn` (DIR holds pnet.pt, rnet.pt, onet.pt).
thresholds: P-, R-, O-Net (selimsef: (0.85, 0.95, 0.95)); downscale: detect on the image resized by this
(selimsef: 0.5), boxes in the original's pixels; downscale_filter: "area" (OpenCV INTER_AREA) or "pil_bicubic"
(Pillow's resize, bit for bit, as selimsef halves frames). Faces largest first; 5 landmarks (left eye, right eye,
nose, mouth left, mouth right, as seen in the image).)doc")
      .def(py::init([](const FsPath& weights, int min_face_size, std::array<double, 3> thresholds,
                       double factor, double downscale, const std::string& downscale_filter) {
             MtcnnParams p;
             p.weights = weights.bytes;
             p.min_face_size = min_face_size;
             p.thresholds = thresholds;
             p.factor = factor;
             p.downscale = downscale;
             p.downscale_filter = mtcnn_downscale_filter(downscale_filter);
             py::gil_scoped_release release;
             return std::shared_ptr<Mtcnn>(Mtcnn::create(p));
           }),
           py::arg("weights"), py::arg("min_face_size") = MtcnnParams{}.min_face_size,
           py::arg("thresholds") = MtcnnParams{}.thresholds, py::arg("factor") = MtcnnParams{}.factor,
           py::arg("downscale") = MtcnnParams{}.downscale,
           py::arg("downscale_filter") = to_string(MtcnnParams{}.downscale_filter));

  py::class_<FaceCrop>(m, "FaceCrop", "One face cut out of one frame, resized and padded for a classifier.")
      .def_readonly("frame_index", &FaceCrop::frame_index)
      .def_readonly("timestamp", &FaceCrop::timestamp, "the frame's time, seconds (0 for an image)")
      .def_readonly("track_id", &FaceCrop::track_id)
      .def_readonly("face", &FaceCrop::face, "box, score, landmarks in frame pixels")
      .def_property_readonly("region", [](const FaceCrop& c) {
        return py::make_tuple(c.region.x, c.region.y, c.region.x + c.region.width, c.region.y + c.region.height);
      }, "(x1, y1, x2, y2): the part of the frame cut out")
      .def_property_readonly("content", [](const FaceCrop& c) {
        return py::make_tuple(c.content.x, c.content.y, c.content.x + c.content.width, c.content.y + c.content.height);
      }, "(x1, y1, x2, y2): where the region lies inside `image`")
      .def_property_readonly("image", [](const FaceCrop& c) { return to_array(c.image); }, "uint8 [size, size, 3] RGB")
      .def_property_readonly("crop_landmarks", [](const FaceCrop& c) {
        Face moved = c.face;
        moved.landmarks = c.crop_landmarks();
        return landmarks_array(moved);
      }, "the landmarks in `image` coordinates, [k, 2]")
      .def("to_frame", [](const FaceCrop& c, float x, float y) {
        const cv::Point2f p = c.to_frame({x, y});
        return py::make_tuple(p.x, p.y);
      }, py::arg("x"), py::arg("y"), "a point of `image` in frame pixels")
      .def("to_crop", [](const FaceCrop& c, float x, float y) {
        const cv::Point2f p = c.to_crop({x, y});
        return py::make_tuple(p.x, p.y);
      }, py::arg("x"), py::arg("y"), "a frame point in `image` coordinates")
      .def("__repr__", [](const FaceCrop& c) {
        return py::str("FaceCrop(frame={}, track={}, score={:.3f})").format(c.frame_index, c.track_id, c.face.score);
      });

  py::class_<FaceTrack>(m, "FaceTrack", "The crops of one identity across frames.")
      .def_readonly("id", &FaceTrack::id)
      .def_readonly("crops", &FaceTrack::crops, "indices into FaceExtraction.crops")
      .def_readonly("mean_score", &FaceTrack::mean_score)
      .def("__repr__", [](const FaceTrack& t) {
        return py::str("FaceTrack(id={}, crops={}, mean_score={:.3f})").format(t.id, t.crops.size(), t.mean_score);
      });

  py::class_<ClipPlan>(m, "ClipPlan", "Where one clip of an identity lies: its frames and the face it is cut at.")
      .def_readonly("track_id", &ClipPlan::track_id)
      .def_readonly("frame_indices", &ClipPlan::frame_indices, "ascending; a padded clip repeats its track's last frame")
      .def_readonly("padded", &ClipPlan::padded, "entries that repeat a frame (the track is shorter than the clip)")
      .def_readonly("face", &ClipPlan::face, "the track's smoothed box, and the landmarks of its nearest detection (frame pixels)")
      .def("__repr__", [](const ClipPlan& c) {
        return py::str("ClipPlan(track={}, frames={}..{}, padded={})")
            .format(c.track_id, c.frame_indices.empty() ? 0 : c.frame_indices.front(),
                    c.frame_indices.empty() ? 0 : c.frame_indices.back(), c.padded);
      });

  py::class_<FaceClip>(m, "FaceClip", "One identity's face over a clip's frames, cut at one region.")
      .def_readonly("plan", &FaceClip::plan)
      .def_property_readonly("region", [](const FaceClip& c) {
        return py::make_tuple(c.region.x, c.region.y, c.region.width, c.region.height);
      }, "(x, y, w, h) in frame pixels, the same for every frame")
      .def_property_readonly("images", [](const FaceClip& c) {
        const int size = c.images.empty() ? 0 : c.images[0].rows;
        py::array_t<uint8_t> out({static_cast<py::ssize_t>(c.images.size()), py::ssize_t{size}, py::ssize_t{size}, py::ssize_t{3}});
        uint8_t* dst = out.mutable_data();
        for (const cv::Mat& image : c.images) {
          std::memcpy(dst, image.data, image.total() * image.elemSize());
          dst += image.total() * image.elemSize();
        }
        return out;
      }, "uint8 [T, size, size, 3] RGB")
      .def_property_readonly("crop_landmarks", [](const FaceClip& c) {
        py::list out;
        for (const auto& p : c.crop_landmarks()) out.append(py::make_tuple(p.x, p.y));
        return out;
      })
      .def("__repr__", [](const FaceClip& c) {
        return py::str("FaceClip(track={}, frames={}, padded={})").format(c.plan.track_id, c.images.size(), c.plan.padded);
      });

  m.def("plan_clips", [](const FaceExtraction& found, int64_t frame_count, int length, int stride, int per_track) {
          return plan_clips(found, frame_count, ClipParams{length, stride, per_track});
        }, py::arg("extraction"), py::arg("frame_count"), py::arg("length") = ClipParams{}.length,
        py::arg("stride") = ClipParams{}.stride, py::arg("per_track") = ClipParams{}.per_track,
        "Clip windows on every track of a video's extraction (see the C++ plan_clips): per_track clips of `length` "
        "frames `stride` apart, a short track's clip padded by repeating its last frame.");

  py::class_<FaceExtraction>(m, "FaceExtraction", "What FaceExtractor.extract found.")
      .def(py::init<>(), "An empty extraction, to give FaceExtractor.extract_batch")
      .def_property_readonly("source", [](const FaceExtraction& e) { return fs_decode(e.source); })
      .def_readonly("frames_sampled", &FaceExtraction::frames_sampled)
      .def_readonly("frames_with_faces", &FaceExtraction::frames_with_faces)
      .def_readonly("unsure_faces_dropped", &FaceExtraction::unsure_faces_dropped,
                    "crops of tracks the detector was unsure of beside a face it was sure of, left out (unsure_track_score)")
      .def_readonly("rotation", &FaceExtraction::rotation,
                    "degrees the frames were turned clockwise before detection (orientation 'auto'); boxes, "
                    "regions and landmarks are in the turned frame's pixels")
      .def_readonly("crops", &FaceExtraction::crops)
      .def_readonly("tracks", &FaceExtraction::tracks)
      .def("images", [](const FaceExtraction& e) {
        const int size = e.crops.empty() ? 0 : e.crops[0].image.rows;
        py::array_t<uint8_t> out({static_cast<py::ssize_t>(e.crops.size()), py::ssize_t{size}, py::ssize_t{size}, py::ssize_t{3}});
        uint8_t* dst = out.mutable_data();
        for (const FaceCrop& c : e.crops) {
          std::memcpy(dst, c.image.data, c.image.total() * c.image.elemSize());
          dst += c.image.total() * c.image.elemSize();
        }
        return out;
      }, "all crops as one uint8 array [n, size, size, 3], in crops order")
      .def("__repr__", [](const FaceExtraction& e) {
        return py::str("FaceExtraction('{}', frames_sampled={}, frames_with_faces={}, crops={}, tracks={})")
            .format(escaped_text(e.source), e.frames_sampled, e.frames_with_faces, e.crops.size(), e.tracks.size());
      });

  py::class_<FaceExtractor>(m, "FaceExtractor", R"doc(
Samples frames, detects faces, links them into identity tracks and cuts classifier-ready crops.
Defaults reproduce selimsef's DFDC pipeline: 32 frames, 1/3 margin, 380 x 380, centred padding.
orientation='auto' turns frames whose faces lie sideways or upside down upright first (by the angle
the detector is far surest of faces at; FaceExtraction.rotation says which); 'as_decoded' keeps them.
unsure_track_score > 0 leaves out tracks whose mean detector score is below it when another track's
is at least sure_track_score (a background the detector took for a face). seconds_per_frame > 0 gives
a long video a frame at least every that many seconds (at most max_frames), at keyframes alone where
reaching them would decode more than max_decoded_per_sample frames each (0: never); frames are read
and searched batch_frames at a time.)doc")
      .def(py::init([](std::shared_ptr<FaceDetector> detector, int frames, int size, const std::string& pad,
                       const std::string& margin, const std::optional<std::string>& resize, float score_threshold,
                       int max_faces_per_frame, float track_iou, const std::string& orientation_name,
                       float unsure_track_score, float sure_track_score, float seconds_per_frame, int max_frames,
                       int batch_frames, int max_decoded_per_sample) {
             FaceExtractorParams p;
             p.frames = frames;
             p.size = size;
             p.pad = pad_mode(pad);
             p.margin = margin_rule(margin);
             if (resize) p.resize = parse_rule(resize, p.pad);
             p.score_threshold = score_threshold;
             p.max_faces_per_frame = max_faces_per_frame;
             p.track_iou = track_iou;
             p.orientation = orientation(orientation_name);
             p.unsure_track_score = unsure_track_score;
             p.sure_track_score = sure_track_score;
             p.seconds_per_frame = seconds_per_frame;
             p.max_frames = max_frames;
             p.batch_frames = batch_frames;
             p.max_decoded_per_sample = max_decoded_per_sample;
             return std::make_unique<FaceExtractor>(std::move(detector), p);
           }),
           py::arg("detector"), py::arg("frames") = FaceExtractorParams{}.frames, py::arg("size") = FaceExtractorParams{}.size,
           py::arg("pad") = to_string(FaceExtractorParams{}.pad), py::arg("margin") = to_string(FaceExtractorParams{}.margin),
           py::arg("resize") = py::none(), py::arg("score_threshold") = FaceExtractorParams{}.score_threshold,
           py::arg("max_faces_per_frame") = FaceExtractorParams{}.max_faces_per_frame,
           py::arg("track_iou") = FaceExtractorParams{}.track_iou,
           py::arg("orientation") = to_string(FaceExtractorParams{}.orientation),
           py::arg("unsure_track_score") = FaceExtractorParams{}.unsure_track_score,
           py::arg("sure_track_score") = FaceExtractorParams{}.sure_track_score,
           py::arg("seconds_per_frame") = FaceExtractorParams{}.seconds_per_frame,
           py::arg("max_frames") = FaceExtractorParams{}.max_frames,
           py::arg("batch_frames") = FaceExtractorParams{}.batch_frames,
           py::arg("max_decoded_per_sample") = FaceExtractorParams{}.max_decoded_per_sample)
      .def("extract", [](FaceExtractor& e, const py::object& source) {
        if (py::isinstance<py::str>(source) || py::isinstance<py::bytes>(source) || py::hasattr(source, "__fspath__")) {
          const FsPath path = source.cast<FsPath>();
          py::gil_scoped_release release;
          return e.extract(path.bytes);
        }
        if (py::isinstance<VideoReader>(source)) {
          VideoReader& reader = source.cast<VideoReader&>();
          py::gil_scoped_release release;
          return e.extract(reader);
        }
        if (py::isinstance<py::array>(source) && py::reinterpret_borrow<py::array>(source).ndim() == 3) {
          const ImageArray array = source.cast<ImageArray>();
          const cv::Mat view = image_view(array);
          py::gil_scoped_release release;
          return e.extract(view);
        }
        std::vector<ImageArray> keep;
        const std::vector<Frame> frames = frames_of(source, std::nullopt, std::nullopt, 0, keep);
        py::gil_scoped_release release;
        return e.extract(frames);
      }, py::arg("source"),
         "A video or image path; an open VideoReader (its frame_indices(reader), read batch_frames at a time); "
         "an RGB uint8 image [h, w, 3]; or decoded frames, an [n, h, w, 3] array or a list (indices 0..n-1; "
         "for their own indices use extract_batch).")
      .def("extract_batch", [](FaceExtractor& e, const py::object& frames, FaceExtraction& so_far,
                               const std::optional<std::vector<int64_t>>& indices,
                               const std::optional<std::vector<double>>& timestamps) {
        std::vector<ImageArray> keep;
        const std::vector<Frame> batch = frames_of(frames, indices, timestamps, so_far.frames_sampled, keep);
        py::gil_scoped_release release;
        e.extract_batch(batch, so_far);
      }, py::arg("frames"), py::arg("so_far"), py::arg("indices") = py::none(), py::arg("timestamps") = py::none(),
         "Frames that should not all be held at once, a batch at a time: start with FaceExtraction(), give each "
         "batch in order ([n, h, w, 3] RGB uint8 or a list; indices default to the count so far, 0, 1, ...; "
         "timestamps in seconds, default 0), then finish(so_far). A batch's faces join the earlier batches' "
         "tracks; orientation 'auto' decides on the first batch with a face in any orientation.")
      .def("finish", &FaceExtractor::finish, py::arg("so_far"),
           "Completes a batched extraction: each track's mean score, then unsure_track_score's rule. Once, after "
           "the last extract_batch.")
      .def("frames_for", &FaceExtractor::frames_for, py::arg("frame_count"), py::arg("fps") = 0.0,
           "How many frames extract() looks at in a video of frame_count frames at fps: `frames`, more for a long "
           "video under seconds_per_frame (needs fps > 0), capped by max_frames.")
      .def("frame_indices", [](const FaceExtractor& e, VideoReader& reader) {
        py::gil_scoped_release release;
        return e.frame_indices(reader);
      }, py::arg("reader"),
           "The frames extract() reads of an open video: frame_indices(frame_count, fps), and for a long video (more "
           "than `frames`) each moved to the nearest keyframe within half the gap between samples (a keyframe decodes alone); "
           "where that still decodes more than max_decoded_per_sample frames a sample, the nearest keyframes alone "
           "(if at least `frames`).")
      .def("frame_indices", py::overload_cast<int64_t, double>(&FaceExtractor::frame_indices, py::const_), py::arg("frame_count"), py::arg("fps") = 0.0,
           "The frames extract() reads of a video of frame_count frames at fps: VideoReader.sample_indices(frame_count, "
           "frames_for(frame_count, fps)), each once (a shorter video is read frame by frame, without repeats).")
      .def("extract_clips", [](FaceExtractor& e, const FsPath& path, int length, int stride, int per_track) {
        py::gil_scoped_release release;
        return extract_clips(e, path.bytes, ClipParams{length, stride, per_track});
      }, py::arg("path"), py::arg("length") = ClipParams{}.length, py::arg("stride") = ClipParams{}.stride,
         py::arg("per_track") = ClipParams{}.per_track,
         "A file's clips per identity (extract, plan_clips, the frames read by index, cut as the crops are).");
}

}  // namespace dfd::python
