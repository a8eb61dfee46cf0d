// Orientation::Auto: frames whose faces lie on their side or upside down are turned upright before
// the crops are cut, judged by the detector's own confidence; upright frames are left alone.
#include "dfd_test.hpp"

#include <opencv2/imgproc.hpp>

#include "dfd/face_extractor.hpp"
#include "dfd/image.hpp"

namespace {

// A stand-in face: a white square with a red band along its top edge (the "forehead").
cv::Mat marked_frame(int width, int height, cv::Rect face) {
  cv::Mat frame(height, width, CV_8UC3, cv::Scalar(30, 30, 30));
  frame(face).setTo(cv::Scalar(255, 255, 255));
  frame(cv::Rect(face.x, face.y, face.width, face.height / 5)).setTo(cv::Scalar(255, 0, 0));
  return frame;
}

// Finds the white-and-red square, as a face detector finds a face: sure of it when the red band is
// on top (upright), unsure when it is at a side or the bottom — or blind to it then (`strict`).
class MarkerDetector : public dfd::FaceDetector {
 public:
  explicit MarkerDetector(bool strict = false) : strict_(strict) {}
  size_t images_seen = 0;

  using FaceDetector::detect;
  std::vector<dfd::Face> detect(const cv::Mat& image) override {
    dfd::require_rgb_image(image, name());
    ++images_seen;
    cv::Mat white, red;
    cv::inRange(image, cv::Scalar(200, 200, 200), cv::Scalar(255, 255, 255), white);
    cv::inRange(image, cv::Scalar(200, 0, 0), cv::Scalar(255, 60, 60), red);
    if (cv::countNonZero(white) == 0 || cv::countNonZero(red) == 0) return {};
    const cv::Rect box = cv::boundingRect(white) | cv::boundingRect(red);
    const cv::Moments m = cv::moments(red, true);
    const bool upright = m.m01 / m.m00 < box.y + 0.25 * box.height;
    if (!upright && strict_) return {};
    dfd::Face f;
    f.box = {float(box.x), float(box.y), float(box.x + box.width), float(box.y + box.height)};
    f.score = upright ? 0.99999f : 0.9f;
    return {f};
  }
  std::string name() const override { return "marker"; }
  std::vector<std::string> landmark_names() const override { return {}; }

 private:
  bool strict_;
};

std::vector<dfd::Frame> frames_turned(int degrees, int n = 6) {
  std::vector<dfd::Frame> frames;
  for (int i = 0; i < n; ++i) {
    dfd::Frame f;
    f.index = i;
    f.image = dfd::turn_clockwise(marked_frame(320, 240, cv::Rect(100 + 4 * i, 60, 80, 80)), degrees);
    frames.push_back(f);
  }
  return frames;
}

dfd::FaceExtractorParams auto_params() {
  dfd::FaceExtractorParams p;
  p.size = 64;
  p.orientation = dfd::Orientation::Auto;
  return p;
}

}  // namespace

TEST_CASE("turn_clockwise turns by quarter turns and refuses other angles" * doctest::test_suite("unit")) {
  cv::Mat image(2, 3, CV_8UC3, cv::Scalar(0, 0, 0));
  image.at<cv::Vec3b>(0, 0) = {1, 2, 3};  // top left
  const cv::Mat quarter = dfd::turn_clockwise(image, 90);
  CHECK(quarter.size() == cv::Size(2, 3));
  CHECK(quarter.at<cv::Vec3b>(0, 1) == cv::Vec3b(1, 2, 3));  // top left goes to top right
  CHECK(dfd::turn_clockwise(image, 180).at<cv::Vec3b>(1, 2) == cv::Vec3b(1, 2, 3));
  CHECK(dfd::turn_clockwise(image, 270).at<cv::Vec3b>(2, 0) == cv::Vec3b(1, 2, 3));
  CHECK(dfd::turn_clockwise(image, 0).data == image.data);
  CHECK_THROWS_AS(dfd::turn_clockwise(image, 45), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::turn_clockwise(image, 360), dfd::InvalidArgument);
  CHECK(dfd::orientation("auto") == dfd::Orientation::Auto);
  CHECK(dfd::to_string(dfd::Orientation::AsDecoded) == "as_decoded");
  CHECK_THROWS_AS(dfd::orientation("sideways"), dfd::InvalidArgument);
}

TEST_CASE("Orientation::Auto turns sideways and upside-down faces upright; AsDecoded leaves them" * doctest::test_suite("unit")) {
  for (int degrees : {90, 180, 270}) {
    CAPTURE(degrees);
    const std::vector<dfd::Frame> frames = frames_turned(degrees);
    auto detector = std::make_shared<MarkerDetector>();
    const dfd::FaceExtraction as_decoded = dfd::FaceExtractor(detector, [] {
      dfd::FaceExtractorParams p = auto_params();
      p.orientation = dfd::Orientation::AsDecoded;
      return p;
    }()).extract(frames);
    CHECK(as_decoded.rotation == 0);
    REQUIRE(as_decoded.crops.size() == frames.size());
    CHECK(as_decoded.crops[0].face.score == doctest::Approx(0.9f));

    const dfd::FaceExtraction turned = dfd::FaceExtractor(detector, auto_params()).extract(frames);
    CHECK(turned.rotation == (360 - degrees) % 360);  // turned back
    REQUIRE(turned.crops.size() == frames.size());
    for (const dfd::FaceCrop& c : turned.crops) CHECK(c.face.score == doctest::Approx(0.99999f));
    // Boxes are in the upright frame's pixels: the face where it was drawn, 320 x 240 again.
    const dfd::Box& box = turned.crops[0].face.box;
    CHECK(box.x1 == doctest::Approx(100));
    CHECK(box.y1 == doctest::Approx(60));
    CHECK(box.x2 == doctest::Approx(180));
    CHECK(turned.tracks.size() == 1);
  }
}

TEST_CASE("Orientation::Auto: upright faces cost no probe; weak upright faces stay upright" * doctest::test_suite("unit")) {
  const std::vector<dfd::Frame> frames = frames_turned(0);
  auto detector = std::make_shared<MarkerDetector>();
  const dfd::FaceExtraction upright = dfd::FaceExtractor(detector, auto_params()).extract(frames);
  CHECK(upright.rotation == 0);
  CHECK(upright.crops.size() == frames.size());
  CHECK(detector->images_seen == frames.size());  // every face certain: nothing probed

  // A detector unsure of every face, turned or not: probed, and left as decoded (no turn is surer).
  class Unsure : public MarkerDetector {
   public:
    std::vector<dfd::Face> detect(const cv::Mat& image) override {
      std::vector<dfd::Face> faces = MarkerDetector::detect(image);
      for (dfd::Face& f : faces) f.score = 0.9f;
      return faces;
    }
  };
  auto unsure = std::make_shared<Unsure>();
  const dfd::FaceExtraction kept = dfd::FaceExtractor(unsure, auto_params()).extract(frames_turned(90));
  CHECK(kept.rotation == 0);
  CHECK(unsure->images_seen > frames.size());  // probed: 5 faces x 4 turns
}

TEST_CASE("Orientation::Auto: with no face as decoded, whole frames are probed turned" * doctest::test_suite("unit")) {
  // A detector blind to turned faces (as MTCNN often is to sideways ones) finds nothing as decoded.
  auto strict = std::make_shared<MarkerDetector>(true);
  const dfd::FaceExtraction found = dfd::FaceExtractor(strict, auto_params()).extract(frames_turned(180));
  CHECK(found.rotation == 180);
  CHECK(found.crops.size() == 6);

  // Nothing in any orientation: no face, no turn — a normal outcome, as before.
  std::vector<dfd::Frame> blank(4);
  for (dfd::Frame& f : blank) f.image = cv::Mat(120, 160, CV_8UC3, cv::Scalar(30, 30, 30));
  const dfd::FaceExtraction none = dfd::FaceExtractor(strict, auto_params()).extract(blank);
  CHECK(none.rotation == 0);
  CHECK(none.crops.empty());
  CHECK(none.frames_sampled == 4);
}

TEST_CASE("Orientation::Auto: in batches, the first batch with a face decides, however late" * doctest::test_suite("unit")) {
  // A long video read in batches: a faceless opening (a title, a black stretch), then the faces,
  // upside down and invisible to the detector as decoded.
  auto strict = std::make_shared<MarkerDetector>(true);
  dfd::FaceExtractor extractor(strict, auto_params());
  std::vector<dfd::Frame> opening(4);
  for (size_t i = 0; i < opening.size(); ++i) {
    opening[i].index = static_cast<int64_t>(i);
    opening[i].image = cv::Mat(240, 320, CV_8UC3, cv::Scalar(30, 30, 30));
  }
  std::vector<dfd::Frame> faces = frames_turned(180);
  for (size_t i = 0; i < faces.size(); ++i) faces[i].index = static_cast<int64_t>(opening.size() + i);
  const std::vector<dfd::Frame> first_half(faces.begin(), faces.begin() + 3), second_half(faces.begin() + 3, faces.end());

  dfd::FaceExtraction so_far;
  extractor.extract_batch(opening, so_far);
  CHECK(so_far.rotation == 0);  // nothing to decide on yet
  extractor.extract_batch(first_half, so_far);
  CHECK(so_far.rotation == 180);
  extractor.extract_batch(second_half, so_far);  // turned as decided, without probing again
  extractor.finish(so_far);
  CHECK(so_far.frames_sampled == 10);
  REQUIRE(so_far.crops.size() == faces.size());
  CHECK(so_far.crops[0].frame_index == 4);
  CHECK(so_far.tracks.size() == 1);
  // The same frames in one batch: the same faces.
  std::vector<dfd::Frame> all = opening;
  all.insert(all.end(), faces.begin(), faces.end());
  const dfd::FaceExtraction whole = extractor.extract(all);
  CHECK(whole.rotation == 180);
  CHECK(whole.crops.size() == so_far.crops.size());

  // Faces found upright in the first batch decide "as decoded" for good: a later batch's frames
  // are not probed, even when the detector finds nothing in them.
  dfd::FaceExtraction upright;
  extractor.extract_batch(frames_turned(0), upright);
  const size_t seen = strict->images_seen;
  extractor.extract_batch(faces, upright);
  CHECK(upright.rotation == 0);
  CHECK(strict->images_seen == seen + faces.size());  // one detection each, no probes
}

TEST_CASE("Orientation::Auto: spurious faces in turned frames do not turn a video whose upright faces were found" * doctest::test_suite("unit")) {
  // Upright faces in 2 of 6 frames, found unsure (0.95); the 4 empty frames, turned on their side,
  // show the detector a spurious face (0.8) — more faces than as decoded, but less sure ones.
  class Spurious : public MarkerDetector {
   public:
    std::vector<dfd::Face> detect(const cv::Mat& image) override {
      std::vector<dfd::Face> faces = MarkerDetector::detect(image);
      for (dfd::Face& f : faces) f.score = f.score > 0.99f ? 0.95f : 0.9f;
      if (faces.empty() && image.rows > image.cols) {  // a landscape frame turned on its side
        dfd::Face f;
        f.box = {10, 10, 60, 60};
        f.score = 0.8f;
        faces.push_back(f);
      }
      return faces;
    }
  };
  std::vector<dfd::Frame> frames = frames_turned(0);
  for (size_t i = 2; i < frames.size(); ++i) frames[i].image = cv::Mat(240, 320, CV_8UC3, cv::Scalar(30, 30, 30));
  const dfd::FaceExtraction found = dfd::FaceExtractor(std::make_shared<Spurious>(), auto_params()).extract(frames);
  CHECK(found.rotation == 0);
  CHECK(found.crops.size() == 2);
}
