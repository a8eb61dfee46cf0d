#include "dfd_test.hpp"

#include <cstdlib>
#include <map>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dfd/face_extractor.hpp"
#include "dfd/video.hpp"

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

TEST_CASE("FaceExtractor leaves out tracks the detector is unsure of beside a face it is sure of" * doctest::test_suite("unit")) {
  auto detector = std::make_shared<ScriptedDetector>();
  // A sure face in every frame; a background "face" at 0.93 in frames 1 and 2; a second person at
  // 0.97 in frame 3 (unsure, but above unsure_track_score).
  for (int i = 0; i < 4; ++i) detector->script[i].push_back(face(20, 40, 60, 0.999f));
  for (int i : {1, 2}) detector->script[i].push_back(face(200, 60, 50, 0.93f));
  detector->script[3].push_back(face(120, 150, 50, 0.97f));
  dfd::FaceExtractorParams params;
  params.size = 64;
  const auto all = dfd::FaceExtractor(detector, params).extract(marked_frames(4));
  REQUIRE(all.tracks.size() == 3);
  CHECK(all.crops.size() == 7);
  CHECK(all.unsure_faces_dropped == 0);  // 0: every track kept (the reference pipelines')

  params.unsure_track_score = 0.95f;
  const auto kept = dfd::FaceExtractor(detector, params).extract(marked_frames(4));
  REQUIRE(kept.tracks.size() == 2);
  CHECK(kept.unsure_faces_dropped == 2);
  REQUIRE(kept.crops.size() == 5);
  CHECK(kept.frames_with_faces == 4);
  // Ids renumbered by first appearance, each track's crops pointing at its own faces.
  for (size_t t = 0; t < kept.tracks.size(); ++t) {
    CHECK(kept.tracks[t].id == static_cast<int>(t));
    for (size_t c : kept.tracks[t].crops) CHECK(kept.crops[c].track_id == static_cast<int>(t));
  }
  CHECK(kept.crops[kept.tracks[1].crops.at(0)].face.score == doctest::Approx(0.97f));
  for (const dfd::FaceCrop& c : kept.crops) CHECK(c.face.score > 0.95f);

  // Without a face it is sure of, nothing is compared and nothing dropped: a blurry video's only face
  // may score 0.9.
  auto unsure = std::make_shared<ScriptedDetector>();
  for (int i = 0; i < 3; ++i) unsure->script[i] = {face(20, 40, 60, 0.9f), face(200, 60, 50, 0.85f)};
  const auto blurry = dfd::FaceExtractor(unsure, params).extract(marked_frames(3));
  CHECK(blurry.crops.size() == 6);
  CHECK(blurry.unsure_faces_dropped == 0);

  // A frame whose only face is dropped no longer counts as a frame with faces.
  auto lone = std::make_shared<ScriptedDetector>();
  lone->script[0] = {face(20, 40, 60, 1.0f)};
  lone->script[1] = {face(200, 60, 50, 0.9f)};
  const auto one = dfd::FaceExtractor(lone, params).extract(marked_frames(2));
  CHECK(one.crops.size() == 1);
  CHECK(one.frames_with_faces == 1);

  params.unsure_track_score = 1.5f;
  CHECK_THROWS_AS(dfd::FaceExtractor(detector, params), dfd::InvalidArgument);
  params.unsure_track_score = 0.95f;
  params.sure_track_score = -0.1f;
  CHECK_THROWS_AS(dfd::FaceExtractor(detector, params), dfd::InvalidArgument);
}

TEST_CASE("FaceExtractor: a long video gets a frame every seconds_per_frame, capped by max_frames" * doctest::test_suite("unit")) {
  auto detector = std::make_shared<ScriptedDetector>();
  dfd::FaceExtractorParams params;
  params.frames = 16;
  dfd::FaceExtractor dfdc(detector, params);
  CHECK(dfdc.frames_for(18000, 30.0) == 16);  // off: the DFDC rule whatever the length
  CHECK(dfdc.frame_indices(18000, 30.0) == dfd::VideoReader::sample_indices(18000, 16));

  params.seconds_per_frame = 1.0f;
  params.max_frames = 128;
  dfd::FaceExtractor by_time(detector, params);
  CHECK(by_time.frames_for(300, 30.0) == 16);     // a 10 s clip keeps its 16
  CHECK(by_time.frames_for(1848, 30.0) == 62);    // 61.6 s: one a second, rounded up
  CHECK(by_time.frames_for(108000, 30.0) == 128); // an hour: the cap
  CHECK(by_time.frames_for(1848, 0.0) == 16);     // no frame rate known: `frames`
  const std::vector<int64_t> minute = by_time.frame_indices(1848, 30.0);
  REQUIRE(minute.size() == 62);
  CHECK(minute.front() == 0);
  CHECK(minute.back() == 1847);
  for (size_t i = 1; i < minute.size(); ++i) CHECK(minute[i] - minute[i - 1] <= 31);  // never more than ~1 s apart
  CHECK(by_time.frame_indices(5, 30.0).size() == 5);  // shorter than `frames`: each frame once
  CHECK_THROWS_AS(by_time.frames_for(0, 30.0), dfd::InvalidArgument);
  CHECK_THROWS_AS(by_time.frames_for(10, -1.0), dfd::InvalidArgument);

  params.max_frames = 8;  // below `frames`
  CHECK_THROWS_AS(dfd::FaceExtractor(detector, params), dfd::InvalidArgument);
  params.max_frames = 0;
  params.seconds_per_frame = -1.0f;
  CHECK_THROWS_AS(dfd::FaceExtractor(detector, params), dfd::InvalidArgument);
  params.seconds_per_frame = 0.0f;
  params.batch_frames = 0;
  CHECK_THROWS_AS(dfd::FaceExtractor(detector, params), dfd::InvalidArgument);
}

TEST_CASE("FaceExtractor in batches: the same tracks and crops as one batch" * doctest::test_suite("unit")) {
  auto detector = std::make_shared<ScriptedDetector>();
  // Person A walks right through 6 frames; person B appears in frame 2 and is missed in frame 3;
  // a background "face" the detector is unsure of shows in frame 4 only.
  for (int i = 0; i < 6; ++i) detector->script[i].push_back(face(20.0f + 6 * i, 40, 60, 0.999f));
  for (int i : {2, 4, 5}) detector->script[i].push_back(face(200, 60, 50, 0.98f));
  detector->script[4].push_back(face(120, 160, 40, 0.9f));
  dfd::FaceExtractorParams params;
  params.size = 64;
  params.unsure_track_score = 0.95f;
  dfd::FaceExtractor extractor(detector, params);
  std::vector<dfd::Frame> frames = marked_frames(6);
  for (size_t i = 0; i < frames.size(); ++i) frames[i].timestamp = 0.5 * double(i);
  const dfd::FaceExtraction whole = extractor.extract(frames);

  dfd::FaceExtraction batched;
  for (size_t start : {0, 2, 4}) extractor.extract_batch({frames.begin() + long(start), frames.begin() + long(start + 2)}, batched);
  extractor.finish(batched);
  CHECK(batched.frames_sampled == 6);
  CHECK(batched.frames_with_faces == whole.frames_with_faces);
  CHECK(batched.unsure_faces_dropped == 1);
  REQUIRE(batched.tracks.size() == 2);  // A and B, each one track across the batches
  REQUIRE(batched.crops.size() == whole.crops.size());
  for (size_t c = 0; c < whole.crops.size(); ++c) {
    CAPTURE(c);
    CHECK(batched.crops[c].frame_index == whole.crops[c].frame_index);
    CHECK(batched.crops[c].timestamp == whole.crops[c].timestamp);
    CHECK(batched.crops[c].track_id == whole.crops[c].track_id);
    CHECK(batched.crops[c].face.box.x1 == whole.crops[c].face.box.x1);
  }
  CHECK(batched.tracks[1].crops.size() == 3);
  CHECK(batched.tracks[1].mean_score == doctest::Approx(0.98f));
  CHECK(batched.crops[batched.tracks[1].crops[1]].timestamp == doctest::Approx(2.0));
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

// 60 s of a test pattern at 10 fps, H.264 with a keyframe every `gop` frames exactly.
static std::string minute_with_keyframes_every(int gop) {
  const std::string frames = std::to_string(gop);
  const std::string path = dfd::test::temp_dir() + "/keyframes_every_" + frames + ".mp4";
  dfd::test::run_ffmpeg({"-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=60", "-c:v", "libx264", "-g", frames,
                         "-keyint_min", frames, "-sc_threshold", "0", path});
  return path;
}

TEST_CASE("FaceExtractor: a long video's samples move to keyframes near them; a short one's stay exact") {
  // A keyframe every 2 s (frames 0, 20, 40, ...), as phones and streams cut them.
  const std::string minute = minute_with_keyframes_every(20);
  dfd::VideoReader reader(minute);
  const std::vector<int64_t> keys = reader.keyframe_indices();
  REQUIRE(keys.size() == 30);
  for (size_t k = 0; k < keys.size(); ++k) CHECK(keys[k] == int64_t(20 * k));

  auto haar = std::shared_ptr<dfd::FaceDetector>(dfd::HaarFaceDetector::create());
  dfd::FaceExtractorParams params;
  params.frames = 8;
  params.seconds_per_frame = 4.0f;  // 15 samples, 4 s apart: each has a keyframe within 2 s
  const dfd::FaceExtractor by_time(haar, params);
  const std::vector<int64_t> exact = by_time.frame_indices(600, 10.0);
  REQUIRE(exact.size() == 15);
  const std::vector<int64_t> snapped = by_time.frame_indices(reader);
  REQUIRE(snapped.size() == 15);
  for (size_t k = 0; k < snapped.size(); ++k) {
    CAPTURE(k);
    CHECK(snapped[k] % 20 == 0);                      // a keyframe
    CHECK(std::llabs(snapped[k] - exact[k]) <= 21);   // within half the gap (42.8 frames / 2)
  }
  // Reading them decodes a frame each (the keyframe check's picture is the frame), not the runs
  // from their keyframes — and each is, pixel for pixel, the frame a sequential decode gives.
  const std::vector<dfd::Frame> at_keys = reader.read(snapped);
  CHECK(reader.last_read_stats().frames_decoded <= 15);
  reader.read(exact);
  CHECK(reader.last_read_stats().frames_decoded > 100);
  dfd::VideoReader in_sequence(minute);
  for (size_t k = 1; k < snapped.size(); ++k) {
    CAPTURE(k);
    const std::vector<dfd::Frame> run = in_sequence.read({snapped[k] - 1, snapped[k]});  // decoded from the keyframe before
    CHECK(cv::norm(run[1].image, at_keys[k].image, cv::NORM_INF) == 0);
  }

  params.seconds_per_frame = 0.0f;  // `frames` or fewer: the DFDC rule's frames, exactly
  CHECK(dfd::FaceExtractor(haar, params).frame_indices(reader) == dfd::VideoReader::sample_indices(600, 8));
}

TEST_CASE("FaceExtractor: a long video with sparse keyframes is sampled at them when reaching its samples costs too much") {
  // A keyframe every 10 s, as x264 cuts by default (250 frames at 25 fps).
  dfd::VideoReader reader(minute_with_keyframes_every(100));
  const std::vector<int64_t> keys = reader.keyframe_indices();
  REQUIRE(keys == std::vector<int64_t>{0, 100, 200, 300, 400, 500});

  auto haar = std::shared_ptr<dfd::FaceDetector>(dfd::HaarFaceDetector::create());
  dfd::FaceExtractorParams params;
  params.frames = 4;
  params.seconds_per_frame = 1.0f;  // 60 samples, 10 frames apart: most are far from a keyframe
  const std::vector<int64_t> every_second = dfd::FaceExtractor(haar, params).frame_indices(reader);
  CHECK(every_second.size() > 50);
  reader.read(every_second);
  const int64_t decoded_every_second = reader.last_read_stats().frames_decoded;
  CHECK(decoded_every_second > 300);  // most of the video's 600 frames (the decoder drops unneeded B-frames)

  params.max_decoded_per_sample = 8;
  const std::vector<int64_t> thinned = dfd::FaceExtractor(haar, params).frame_indices(reader);
  CHECK(thinned == keys);
  reader.read(thinned);
  CHECK(reader.last_read_stats().frames_decoded <= 6);

  // Not when the samples cost less than the budget, nor when fewer than `frames` keyframes are left.
  params.max_decoded_per_sample = 20;  // 60 x 20 frames: more than the video holds
  CHECK(dfd::FaceExtractor(haar, params).frame_indices(reader) == every_second);
  params.max_decoded_per_sample = 8;
  params.frames = 8;
  CHECK(dfd::FaceExtractor(haar, params).frame_indices(reader) == every_second);
  params.max_decoded_per_sample = -1;
  CHECK_THROWS_AS(dfd::FaceExtractor(haar, params), dfd::InvalidArgument);
}
