#include "dfd_test.hpp"

#include <map>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face_extractor.hpp"

using dfd::test::load_rgb;
using dfd::test::shared_path;

namespace {

// A detector that returns scripted faces, keyed by the frame's first pixel value.
class ScriptedDetector : public dfd::FaceDetector {
 public:
  std::map<int, std::vector<dfd::Face>> script;
  using FaceDetector::detect;
  std::vector<dfd::Face> detect(const cv::Mat& image) override {
    dfd::require_rgb_image(image, name());
    return script[image.at<cv::Vec3b>(0, 0)[0]];
  }
  std::string name() const override { return "scripted"; }
  std::vector<std::string> landmark_names() const override { return {"nose"}; }
};

dfd::Face face(float x, float y, float side, float score) {
  dfd::Face f;
  f.box = {x, y, x + side, y + side};
  f.score = score;
  f.landmarks = {{x + side / 2, y + side / 2}};
  return f;
}

std::vector<dfd::Frame> marked_frames(int n) {
  std::vector<dfd::Frame> frames;
  for (int i = 0; i < n; ++i) {
    dfd::Frame f;
    f.index = i * 10;
    f.image = cv::Mat(240, 320, CV_8UC3, cv::Scalar(i, 50, 50));
    frames.push_back(f);
  }
  return frames;
}


}  // namespace

TEST_CASE("FaceExtractor links faces into identity tracks, across gaps, and maps crops back" * doctest::test_suite("unit")) {
  auto detector = std::make_shared<ScriptedDetector>();
  // Person A walks right; person B stands still, is missed in frame 2, and comes back.
  for (int i = 0; i < 4; ++i) detector->script[i].push_back(face(20.0f + 6 * i, 40, 60, 0.9f));
  for (int i : {0, 1, 3}) detector->script[i].push_back(face(200, 60, 50, 0.8f));
  detector->script[1].push_back(face(150, 150, 20, 0.1f));  // below the threshold

  dfd::FaceExtractorParams params;
  params.size = 128;
  params.score_threshold = 0.5f;
  dfd::FaceExtractor extractor(detector, params);
  const dfd::FaceExtraction out = extractor.extract(marked_frames(4));
  CHECK(out.frames_sampled == 4);
  CHECK(out.frames_with_faces == 4);
  REQUIRE(out.crops.size() == 7);
  REQUIRE(out.tracks.size() == 2);
  CHECK(out.tracks[0].crops.size() == 4);
  CHECK(out.tracks[1].crops.size() == 3);
  CHECK(out.tracks[0].mean_score == doctest::Approx(0.9f));
  for (size_t c : out.tracks[1].crops) CHECK(out.crops[c].face.box.x1 == 200);
  CHECK(out.crops[out.tracks[1].crops[2]].frame_index == 30);

  const dfd::FaceCrop& crop = out.crops[0];
  CHECK(crop.image.size() == cv::Size(128, 128));
  CHECK(crop.region == dfd::crop_region(crop.face.box, {320, 240}));
  // The landmark lands where the crop says, and maps back to the frame.
  const cv::Point2f in_crop = crop.crop_landmarks().at(0);
  const cv::Point2f back = crop.to_frame(in_crop);
  CHECK(back.x == doctest::Approx(crop.face.landmarks[0].x));
  CHECK(back.y == doctest::Approx(crop.face.landmarks[0].y));
  CHECK(crop.content.x + crop.content.width <= 128);
}

TEST_CASE("FaceExtractor: max faces per frame, corner padding, boxes outside the frame, no faces" * doctest::test_suite("unit")) {
  auto detector = std::make_shared<ScriptedDetector>();
  detector->script[0] = {face(10, 10, 40, 0.7f), face(100, 100, 40, 0.95f), face(900, 900, 40, 0.99f)};
  dfd::FaceExtractorParams params;
  params.size = 64;
  params.pad = dfd::PadMode::Corner;
  params.max_faces_per_frame = 2;
  const auto out = dfd::FaceExtractor(detector, params).extract(marked_frames(2));
  // The 0.99 face lies outside the frame: it is kept by max_faces (best two) but has no region.
  REQUIRE(out.crops.size() == 1);
  CHECK(out.crops[0].face.score == doctest::Approx(0.95f));
  CHECK(out.crops[0].content.x == 0);  // corner padding
  CHECK(out.frames_with_faces == 1);
  CHECK(out.frames_sampled == 2);

  CHECK_THROWS_AS(dfd::FaceExtractor(nullptr), dfd::InvalidArgument);
  params.track_iou = 1.5f;
  CHECK_THROWS_AS(dfd::FaceExtractor(detector, params), dfd::InvalidArgument);
}

TEST_CASE("FaceExtractor with Haar: two people make two tracks") {
  // Two real faces side by side, drifting a few pixels per frame.
  const cv::Mat left = load_rgb(shared_path("data/images/mesonet_test_images/real/real00240.jpg"));
  const cv::Mat right = load_rgb(shared_path("data/images/mesonet_test_images/real/real00772.jpg"));
  std::vector<dfd::Frame> frames;
  for (int i = 0; i < 5; ++i) {
    dfd::Frame f;
    f.index = i;
    f.image = cv::Mat(360, 700, CV_8UC3, cv::Scalar(90, 90, 90));
    left.copyTo(f.image(cv::Rect(40 + 3 * i, 50, left.cols, left.rows)));
    right.copyTo(f.image(cv::Rect(400 - 2 * i, 60, right.cols, right.rows)));
    frames.push_back(f);
  }
  dfd::FaceExtractorParams params;
  params.score_threshold = 0.8f;  // Haar's weak extra windows score lower
  const auto out = dfd::FaceExtractor(dfd::HaarFaceDetector::create(), params).extract(frames);
  REQUIRE(out.tracks.size() == 2);
  CHECK(out.tracks[0].crops.size() == 5);
  CHECK(out.tracks[1].crops.size() == 5);
  const float x0 = out.crops[out.tracks[0].crops[0]].face.box.x1, x1 = out.crops[out.tracks[1].crops[0]].face.box.x1;
  CHECK(std::min(x0, x1) < 350);
  CHECK(std::max(x0, x1) > 350);
}

TEST_CASE("FaceExtractor reads videos and images by content; no face is not an error") {
  auto haar = std::shared_ptr<dfd::FaceDetector>(dfd::HaarFaceDetector::create());
  dfd::FaceExtractorParams params;
  params.frames = 8;
  params.score_threshold = 0.8f;
  dfd::FaceExtractor extractor(haar, params);
  const auto video = extractor.extract(shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4"));
  CHECK(video.frames_sampled == 8);
  CHECK(video.frames_with_faces >= 6);
  REQUIRE(!video.tracks.empty());
  CHECK(video.tracks[0].crops.size() >= 6);  // one presenter, one main track
  CHECK(video.crops[0].image.size() == cv::Size(380, 380));

  const auto image = extractor.extract(shared_path("data/images/mesonet_test_images/real/real00240.jpg"));
  CHECK(image.frames_sampled == 1);
  CHECK(image.crops.size() == 1);

  const std::string blank = dfd::test::temp_dir() + "/blank.mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "color=c=gray:size=320x240:rate=10:duration=2", "-c:v", "libx264", blank});
  const auto none = extractor.extract(blank);
  CHECK(none.frames_sampled == 8);
  CHECK(none.crops.empty());
  CHECK(none.tracks.empty());

  // A video shorter than the frames asked for is read frame by frame, each frame once.
  CHECK(extractor.frame_indices(300) == dfd::VideoReader::sample_indices(300, 8));
  CHECK(extractor.frame_indices(5) == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(extractor.frame_indices(1) == std::vector<int64_t>{0});
  const std::string three = dfd::test::temp_dir() + "/three_frames.mp4";
  dfd::test::run_ffmpeg({"-i", shared_path("data/videos/ffpp_c23_icpr2020dfdc/004.mp4"), "-frames:v", "3", "-an",
                         "-c:v", "libx264", three});
  const auto short_video = extractor.extract(three);
  CHECK(short_video.frames_sampled == 3);
  CHECK(short_video.crops.size() <= 3);
  CHECK_THROWS_AS(extractor.extract(dfd::test::temp_dir() + "/missing.png"), dfd::IoError);
}
