// The audio branch's spectrograms: dfd.AudioSpectrogram, dfd.mel_filters, dfd.power_to_db.
#pragma once

#include <pybind11/pybind11.h>

namespace dfd::python {

void register_audio(pybind11::module_& m);

}  // namespace dfd::python
