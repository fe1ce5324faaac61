#pragma once

#include <memory>

#include "core/result.hpp"
#include "server/config.hpp"

namespace gw::server {

class Runtime;

// The running gateway: worker threads (one io_context each), listeners, the admin endpoint,
// the pipeline built from one config snapshot, and graceful shutdown on SIGTERM/SIGINT.
class Server {
 public:
  static Result<std::unique_ptr<Server>> create(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until SIGTERM/SIGINT, then drains. Returns the process exit code.
  int run();

 private:
  explicit Server(std::unique_ptr<Runtime> runtime);
  std::unique_ptr<Runtime> runtime_;
};

}  // namespace gw::server
