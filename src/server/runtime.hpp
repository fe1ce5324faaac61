#pragma once

// Internal to the server: state shared by all workers, and each worker's own state.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "audit/audit.hpp"
#include "core/metrics.hpp"
#include "core/stage.hpp"
#include "http/http.hpp"
#include "identity/identity.hpp"
#include "proxy/proxy.hpp"
#include "server/config.hpp"
#include "server/pipeline.hpp"

namespace gw::server {

namespace net = boost::asio;
namespace beast = boost::beast;

// One client connection as the worker sees it, for draining on shutdown.
struct ConnectionSlot {
  http::Socket* socket = nullptr;
  bool idle = false;
};

// Members are ordered for destruction: the io_context (and the session frames it still
// holds) goes before the pool and connection list those frames touch.
struct Worker {
  std::list<ConnectionSlot> connections;  // touched only on this worker's thread
  proxy::UpstreamPool pool;
  // One thread runs it and every socket operation starts on that thread; other threads only
  // post(). So the reactor's per-socket locks can go (the scheduler keeps its lock).
  net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<net::ip::tcp::acceptor> acceptor;
  std::optional<net::ip::tcp::acceptor> admin_acceptor;
  std::thread thread;
};

struct ServerMetrics {
  metrics::Gauge& connections_active;
  metrics::Counter& connections_total;
  metrics::Counter& bugs_total;
};

class Runtime {
 public:
  Config config;
  std::shared_ptr<identity::Authenticator> authenticator;
  std::shared_ptr<audit::AuditLog> audit_log;  // null when audit is disabled
  proxy::ProxyConstSharedPtr proxy;
  std::vector<StagePtr> stages;
  std::unique_ptr<Pipeline> pipeline;  // drives `stages`
  std::shared_ptr<net::ssl::context> server_tls;
  // RFC 9728 protected resource metadata documents by path (built-in endpoints).
  std::map<std::string, std::string, std::less<>> resource_metadata_docs;
  std::atomic<bool> draining{false};
  std::atomic<int> active_connections{0};
  ServerMetrics metrics;
  std::vector<std::unique_ptr<Worker>> workers;  // last: destroyed first

  explicit Runtime(Config c);
  // The /readyz answer: 200 {"status":"ready"}, or 503 not_ready naming the issuers whose
  // keys were never fetched.
  struct Readiness {
    bool is_ready = false;
    std::string body;
  };
  Readiness readiness() const;
};

// Serves one accepted connection until it closes (session.cpp).
void start_session(Runtime& rt, Worker& worker, net::ip::tcp::socket socket, bool admin);
// Closes idle keep-alive connections of a worker (on its own thread) when draining starts.
void close_idle_connections(Worker& worker);

}  // namespace gw::server
