// Clips of one identity: where plan_clips puts them on a track (dense windows, the padding rule
// for a short track, an image), how cut_clips cuts them, how a clip model is fed, and the
// synthetic training clips (clip_synthesis.hpp).
#include "dfd_test.hpp"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include "dfd/classifier.hpp"
#include "dfd/clip_synthesis.hpp"
#include "dfd/face_clips.hpp"

namespace {

// An extraction of one track seen at `frames`, its box moving right by one pixel a frame.
dfd::FaceExtraction track_at(const std::vector<int64_t>& frames, int64_t frames_sampled) {
  dfd::FaceExtraction found;
  found.frames_sampled = frames_sampled;
  dfd::FaceTrack track;
  for (int64_t f : frames) {
    dfd::FaceCrop c;
    c.frame_index = f;
    c.face.box = {100.0f + float(f), 50.0f, 164.0f + float(f), 130.0f};
    c.face.score = 0.9f;
    c.face.landmarks = {{110.0f + float(f), 60.0f}};
    track.crops.push_back(found.crops.size());
    found.crops.push_back(c);
  }
  found.tracks.push_back(track);
  return found;
}

}  // namespace

TEST_CASE("plan_clips: dense windows spread over a track, inside it" * doctest::test_suite("unit")) {
  // 300 frames, 10 sampled (every 30), the track seen in all of them (0..270): it reaches half a
  // step (15 frames) past its last detection, so it spans 0..285.
  std::vector<int64_t> seen;
  for (int64_t f = 0; f < 300; f += 30) seen.push_back(f);
  const auto plans = dfd::plan_clips(track_at(seen, 10), 300, {8, 1, 2});
  REQUIRE(plans.size() == 2);
  for (const dfd::ClipPlan& p : plans) {
    REQUIRE(p.frame_indices.size() == 8);
    CHECK(p.padded == 0);
    for (size_t i = 1; i < 8; ++i) CHECK(p.frame_indices[i] == p.frame_indices[i - 1] + 1);
  }
  // Middles at a quarter and three quarters of the 286-frame span: 71.5 and 214.5.
  CHECK(plans[0].frame_indices.front() == 68);
  CHECK(plans[1].frame_indices.front() == 211);
  // The box: the track's, interpolated at each frame and averaged — it moves 1 px a frame.
  CHECK(plans[0].face.box.x1 == doctest::Approx(100.0 + 71.5).epsilon(1e-5));
  CHECK(plans[0].face.box.y2 == doctest::Approx(130.0));
  // The landmarks: those of the detection nearest the clip's middle frame (72: frame 60's).
  CHECK(plans[0].face.landmarks.at(0).x == doctest::Approx(110.0 + 60.0));
  // Strided: (8 - 1) * 4 + 1 = 29 frames a window.
  const auto strided = dfd::plan_clips(track_at(seen, 10), 300, {8, 4, 3});
  REQUIRE(strided.size() == 3);
  CHECK(strided[1].frame_indices[1] - strided[1].frame_indices[0] == 4);
  for (const auto& p : strided) CHECK(p.frame_indices.back() < 300);
}

TEST_CASE("plan_clips: a short track is padded by repeating its last frame, and says so" * doctest::test_suite("unit")) {
  // Seen once, at frame 100 of 300 sampled 16 times: it reaches 300 / 16 / 2 = 9 frames each way.
  const auto plans = dfd::plan_clips(track_at({100}, 16), 300, {8, 4, 2});
  REQUIRE(plans.size() == 1);  // a span shorter than one window: one clip
  const std::vector<int64_t> expected{91, 95, 99, 103, 107, 109, 109, 109};  // 111, 115, 119 lie past 109
  CHECK(plans[0].frame_indices == expected);
  CHECK(plans[0].padded == 3);
  CHECK(plans[0].face.box.x1 == doctest::Approx(200.0));  // the one detection's box
  // Near the video's end the window stays inside the video.
  const auto late = dfd::plan_clips(track_at({295}, 16), 300, {8, 1, 1});
  REQUIRE(late.size() == 1);
  CHECK(late[0].frame_indices.front() >= 286);
  CHECK(late[0].frame_indices.back() <= 299);
  CHECK(late[0].padded == 0);
  // An image: one frame, repeated.
  const auto image = dfd::plan_clips(track_at({0}, 1), 1, {4, 1, 2});
  REQUIRE(image.size() == 1);
  CHECK(image[0].frame_indices == std::vector<int64_t>{0, 0, 0, 0});
  CHECK(image[0].padded == 3);
  CHECK(dfd::clip_frames(plans) == std::vector<int64_t>{91, 95, 99, 103, 107, 109});
  // No tracks, no clips; bad params refused.
  CHECK(dfd::plan_clips(dfd::FaceExtraction{}, 300).empty());
  CHECK_THROWS_AS(dfd::plan_clips(track_at({0}, 1), 0), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::plan_clips(track_at({0}, 1), 10, {0, 1, 1}), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::plan_clips(track_at({0}, 1), 10, {8, 0, 1}), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::plan_clips(track_at({0}, 1), 10, {8, 1, 0}), dfd::InvalidArgument);
}

TEST_CASE("cut_clips: one region for every frame, cut as the extractor cuts crops" * doctest::test_suite("unit")) {
  const auto plans = dfd::plan_clips(track_at({100}, 16), 300, {3, 1, 1});
  std::map<int64_t, cv::Mat> frames;
  for (int64_t f : dfd::clip_frames(plans)) frames[f] = cv::Mat(240, 320, CV_8UC3, cv::Scalar(int(f), 0, 0));
  dfd::FaceExtractorParams crop;
  crop.size = 64;
  const auto clips = dfd::cut_clips(plans, frames, crop);
  REQUIRE(clips.size() == 1);
  REQUIRE(clips[0].images.size() == 3);
  CHECK(clips[0].region == dfd::crop_region(plans[0].face.box, {320, 240}, crop.margin));
  for (size_t t = 0; t < 3; ++t) {
    CHECK(clips[0].images[t].size() == cv::Size(64, 64));
    // Each crop is its own frame's pixels.
    CHECK(clips[0].images[t].at<cv::Vec3b>(32, 32)[0] == plans[0].frame_indices[t]);
  }
  const cv::Point2f corner = clips[0].to_crop(cv::Point2f(float(clips[0].region.x), float(clips[0].region.y)));
  CHECK(corner.x == doctest::Approx(clips[0].content.x));
  frames.erase(frames.begin());
  CHECK_THROWS_AS(dfd::cut_clips(plans, frames, crop), dfd::InvalidArgument);
}

TEST_CASE("preprocess_clips: each frame as a face crop, clips of unequal length refused" * doctest::test_suite("unit")) {
  dfd::Preprocess pre = dfd::preset("tsm_clip");
  CHECK(pre.input == dfd::Preprocess::Input::Clip);
  pre.size = 32;
  std::vector<cv::Mat> frames;
  for (int t = 0; t < 3; ++t) frames.push_back(cv::Mat(40, 40, CV_8UC3, cv::Scalar(10 * t, 20, 30)));
  const at::Tensor x = dfd::preprocess_clips(pre, {frames, frames});
  CHECK(x.sizes() == std::vector<int64_t>{2, 3, 3, 32, 32});
  dfd::Preprocess face = pre;
  face.input = dfd::Preprocess::Input::Face;
  CHECK(at::equal(x[1], dfd::preprocess_crops(face, frames)));
  CHECK_THROWS_AS(dfd::preprocess_clips(pre, {frames, {frames[0]}}), dfd::InvalidArgument);
  // The preset round-trips with its stride.
  pre.frame_stride = 3;
  CHECK(dfd::preprocess_from_json(dfd::to_json(pre)).frame_stride == 3);
  CHECK_THROWS_AS(dfd::preprocess_from_json(R"({"name":"x","size":8,"pad":"center","mean":[0,0,0],"std":[1,1,1],)"
                                            R"("output":"logit","input":"clip","frame_stride":0})"),
                  dfd::InvalidArgument);
}

TEST_CASE("clip_synthesis: a camera's motion, a consistent blend, flicker and drift" * doctest::test_suite("unit")) {
  cv::Mat face(96, 96, CV_8UC3);
  cv::randu(face, 0, 255);
  cv::GaussianBlur(face, face, {9, 9}, 3);
  const std::vector<cv::Point2f> hull{{30, 30}, {66, 30}, {70, 60}, {48, 80}, {26, 60}};
  // Still: deterministic, moving; no motion at all gives the face back.
  const auto a = dfd::still_clip(face, 4, 7), b = dfd::still_clip(face, 4, 7);
  REQUIRE(a.size() == 4);
  for (size_t t = 0; t < 4; ++t) CHECK(cv::norm(a[t], b[t], cv::NORM_INF) == 0);
  CHECK(cv::norm(a[0], a[3], cv::NORM_L1) > 0);
  dfd::ClipSynthesisParams still;
  still.motion = still.zoom = still.rotate_degrees = still.shake = still.exposure = 0;
  for (const cv::Mat& f : dfd::still_clip(face, 3, 7, still)) CHECK(cv::norm(f, face, cv::NORM_INF) <= 1);

  // A consistent blend: with the camera still, every fake frame is the same image.
  dfd::ClipSynthesisParams consistent = still;
  consistent.flicker_p = consistent.drift_p = 0;
  const dfd::SelfBlendClip c = dfd::self_blend_clip(face, hull, 4, 3, {}, consistent);
  CHECK_FALSE(c.flicker);
  CHECK_FALSE(c.drift);
  for (size_t t = 1; t < 4; ++t) CHECK(cv::norm(c.fake[t], c.fake[0], cv::NORM_INF) == 0);
  CHECK(cv::norm(c.fake[0], c.real[0], cv::NORM_L1) > 0);
  // Flicker: the blend's strength changes from frame to frame, inside the blended region only.
  dfd::ClipSynthesisParams flicker = consistent;
  flicker.flicker_p = 1;
  const dfd::SelfBlendClip f = dfd::self_blend_clip(face, hull, 4, 3, {}, flicker);
  CHECK(f.flicker);
  CHECK(cv::norm(f.fake[1], f.fake[2], cv::NORM_L1) > 0);
  CHECK(cv::norm(f.fake[1](cv::Rect(0, 0, 8, 8)), f.fake[2](cv::Rect(0, 0, 8, 8)), cv::NORM_INF) <= 1);
  // Drift: the blend moves; its first frame is the consistent blend.
  dfd::ClipSynthesisParams drift = consistent;
  drift.drift_p = 1;
  drift.drift = 0.1;
  const dfd::SelfBlendClip d = dfd::self_blend_clip(face, hull, 4, 3, {}, drift);
  CHECK(d.drift);
  CHECK(cv::norm(d.fake[0], c.fake[0], cv::NORM_INF) <= 1);
  CHECK(cv::norm(d.fake[3], c.fake[3], cv::NORM_L1) > 0);
  // A real clip's frames blended alike: the same draws on every frame (identical frames, identical
  // fakes), each frame on its own landmarks.
  const std::vector<cv::Mat> same{face, face, face};
  const std::vector<std::vector<cv::Point2f>> hulls{hull, hull, hull};
  const dfd::SelfBlendClip alike = dfd::self_blend_frames(same, hulls, 3, {}, consistent);
  REQUIRE(alike.fake.size() == 3);
  CHECK(cv::norm(alike.fake[0], alike.fake[2], cv::NORM_INF) == 0);
  CHECK(cv::norm(alike.fake[0], dfd::self_blend(face, hull, 3).fake, cv::NORM_INF) <= 1);
  const dfd::SelfBlendClip flickering = dfd::self_blend_frames(same, hulls, 3, {}, flicker);
  CHECK(cv::norm(flickering.fake[0], flickering.fake[1], cv::NORM_L1) > 0);
  CHECK_THROWS_AS(dfd::self_blend_frames(same, {hull}, 11), dfd::InvalidArgument);
  CHECK_THROWS_AS(dfd::still_clip(face, 0, 1), dfd::InvalidArgument);
  dfd::ClipSynthesisParams bad;
  bad.flicker_p = 2;
  CHECK_THROWS_AS(dfd::still_clip(face, 2, 1, bad), dfd::InvalidArgument);
}
