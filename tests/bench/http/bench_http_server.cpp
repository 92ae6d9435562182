// A minimal service for the HTTP benchmark: GET /v1/ping answers a small JSON document.
// Usage: bench_http_server [--port N] [--io-threads N] [--handler-threads N] [--pooled]
// Prints "port=N" once listening; runs until SIGTERM/SIGINT.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "dbaas/common/log.hpp"
#include "dbaas/http/server.hpp"
#include "dbaas/metrics/registry.hpp"

int main(int argc, char** argv) {
  dbaas::http::ServerConfig config;
  config.service = "bench";
  config.access_log = false;
  bool non_blocking = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) {
      config.port = static_cast<std::uint16_t>(std::atoi(argv[++i]));
    } else if (arg == "--io-threads" && has_value) {
      config.io_threads = std::atoi(argv[++i]);
    } else if (arg == "--handler-threads" && has_value) {
      config.handler_threads = std::atoi(argv[++i]);
    } else if (arg == "--pooled") {
      non_blocking = false;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--port N] [--io-threads N] [--handler-threads N] [--pooled]\n",
                   argv[0]);
      return 2;
    }
  }
  dbaas::log::Init("bench", dbaas::log::Level::kWarn);
  dbaas::http::Router router;
  router.Get(
      "/v1/ping",
      [](const dbaas::http::Request&) {
        return dbaas::http::Response::Text(200, R"({"status":"ok","service":"bench"})",
                                           "application/json");
      },
      {.non_blocking = non_blocking});
  dbaas::metrics::Registry registry;
  dbaas::http::Server server(config, std::move(router), registry);
  server.Listen();
  std::printf("port=%u\n", static_cast<unsigned>(server.Port()));
  std::fflush(stdout);
  server.Run();
  return 0;
}
