// dfd/clip_synthesis.hpp — training clips for a temporal model from single faces: a still made to
// move as a camera moves, and its self-blended fake applied consistently across the frames, or
// made to flicker or drift as a frame-by-frame face swap does.
//
// Real video of real people is what a temporal model should learn "real" from; where a dataset
// holds photos (real_faces/) or sparse frames, still_clip() gives each a clip's worth of smooth
// camera motion and exposure drift, so the model cannot call "moving" fake. self_blend_clip()
// blends once (self_blend.hpp) and composites every frame from that one blend: consistent, as
// Shiohara & Yamasaki's recipe on a clip; or with the blend's strength varying frame to frame
// (flicker: a swap's per-frame colour correction and mask) or the blended face sliding over the
// host (drift: a swap's per-frame alignment error) — the temporal artefacts a per-frame model
// cannot see. Both are deterministic in their seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "dfd/export.hpp"
#include "dfd/self_blend.hpp"

DFD_BEGIN_API
namespace dfd {

struct ClipSynthesisParams {
  // The camera, over a clip: a linear path (start to end drawn independently) plus per-frame shake.
  double motion = 0.02;          // translation, a share of the side, ± at each end
  double zoom = 0.02;            // scale 1 ± zoom at each end
  double rotate_degrees = 2.0;   // ± at each end
  double shake = 0.002;          // per-frame jitter, a share of the side, ±
  double exposure = 0.04;        // brightness drift, a share of 255, ± at each end
  // Fake clips' temporal artefacts: each drawn with its probability (both may apply).
  double flicker_p = 0.35;       // the blend's strength varies per frame ...
  double flicker_min = 0.3;      // ... uniformly in [flicker_min, 1] of the drawn ratio
  double drift_p = 0.35;         // the blended face slides over the host ...
  double drift = 0.04;           // ... by up to this share of the side over the clip
};

// `length` frames of one face (RGB uint8) with the camera's motion. The first frame is the face
// moved by the path's start, not the face itself.
// requires: face CV_8UC3 non-empty; length >= 1; params >= 0, flicker_min in [0, 1], p in [0, 1].
// ensures: length images of the face's size and type; same seed, same clip.
// throws: InvalidArgument.
std::vector<cv::Mat> still_clip(const cv::Mat& face, int length, uint64_t seed, const ClipSynthesisParams& params = {});

struct SelfBlendClip {
  std::vector<cv::Mat> real;  // the blend's target moved as still_clip moves it (label real)
  std::vector<cv::Mat> fake;  // the blend on every frame, with the same motion (label fake)
  bool flicker = false, drift = false;  // the artefacts drawn
};

// self_blend(face, landmarks, seed, blend) once, then every frame composited from it and moved by
// the camera path `seed` draws (the real frames take the same path).
// requires: as self_blend and still_clip. throws: InvalidArgument.
SelfBlendClip self_blend_clip(const cv::Mat& face, const std::vector<cv::Point2f>& landmarks, int length, uint64_t seed,
                              const SelfBlendParams& blend = {}, const ClipSynthesisParams& params = {});

// A real clip's frames (a clip dataset's, dfd prepare --clips) self-blended alike: every frame by
// self_blend with the same seed — the same draws (alteration, transform, deformation, ratio) on
// each frame's own landmarks — then flickering or drifting as drawn; no camera motion added.
// requires: one landmark set per frame (as self_blend requires), frames RGB uint8.
// throws: InvalidArgument.
SelfBlendClip self_blend_frames(const std::vector<cv::Mat>& frames, const std::vector<std::vector<cv::Point2f>>& landmarks,
                                uint64_t seed, const SelfBlendParams& blend = {}, const ClipSynthesisParams& params = {});

}  // namespace dfd
DFD_END_API
