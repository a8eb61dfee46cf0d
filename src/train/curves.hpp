// Private: the training curves as a PNG (loss and AUC per epoch), written beside metrics.csv.
#pragma once

#include <string>
#include <vector>

#include "dfd/trainer.hpp"

namespace dfd {

// Two panels: log losses (train, validation per face and per video) and validation AUCs, per
// epoch; NaN values (e.g. an AUC with one class) are left out. throws: IoError.
void write_training_curves(const std::string& path, const std::vector<EpochMetrics>& history);

}  // namespace dfd
