// Combing in a frame no flag calls interlaced: an interlaced recording (a TV broadcast, a DVD)
// re-encoded as progressive without deinterlacing keeps both fields woven into each frame, and
// every moving edge shows the zipper of rows that alternate between two moments. A deepfake model
// reads that as blending; such a frame is better read from one field, as a flagged one is.
#pragma once

#include "io/ffmpeg_common.hpp"

namespace dfd::ffmpeg {

// Whether `frame`'s luma combs: the share of sampled pixels where four successive row-to-row
// steps alternate in sign, each larger than a few levels (rows of one field agreeing, the other
// field's rows between them off the same way), is above 1 in 1,000. Progressive video stays far
// below (at most 8 in 100,000 over the 27 dev videos and their re-encodings, 16 frames each);
// woven fields of a talking head reach 0.2-20 % on a frame with motion. Only 8-bit luma is
// examined (most video); other formats are never called combed.
bool looks_combed(const AVFrame& frame);

}  // namespace dfd::ffmpeg
