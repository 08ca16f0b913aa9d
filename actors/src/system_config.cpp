#include "stronghold/actors/system_config.hpp"

#include <algorithm>
#include <thread>

#include <caf/config.hpp>
#include <caf/logger.hpp>

static_assert(CAF_VERSION == 1706, "stronghold is built against CAF 0.17.6");

namespace stronghold::actors {

void configure_scheduler(caf::actor_system_config& config, unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  config.set("scheduler.max-threads", static_cast<std::size_t>(threads));
  config.set("scheduler.policy", caf::atom("sharing"));
}

ReleaseThreadLogger::~ReleaseThreadLogger() { caf::logger::set_current_actor_system(nullptr); }

}  // namespace stronghold::actors
