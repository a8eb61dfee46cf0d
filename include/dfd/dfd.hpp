// dfd/dfd.hpp — the whole public API in one include.
#pragma once

#include "dfd/audio.hpp"
#include "dfd/box.hpp"
#include "dfd/classifier.hpp"
#include "dfd/detector.hpp"
#include "dfd/error.hpp"
#include "dfd/face.hpp"
#include "dfd/face_crop.hpp"
#include "dfd/face_extractor.hpp"
#include "dfd/gradcam.hpp"
#include "dfd/metrics.hpp"
#include "dfd/model_files.hpp"
#include "dfd/models.hpp"
#include "dfd/runtime.hpp"
#include "dfd/safetensors.hpp"
#include "dfd/video.hpp"
