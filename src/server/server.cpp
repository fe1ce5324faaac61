#include "server/server.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>

#include "http/http.hpp"
#include "policy/policy.hpp"
#include "route/route.hpp"
#include "server/runtime.hpp"

namespace gw::server {
namespace {

ServerMetrics make_metrics() {
  auto& r = metrics::Registry::global();
  return ServerMetrics{
      r.gauge("gw_http_connections_active", "Client connections currently open"),
      r.counter("gw_http_connections_total", "Client connections accepted"),
      r.counter("gw_bugs_total", "Unexpected exceptions caught at a connection boundary"),
  };
}

Result<net::ip::tcp::acceptor> open_acceptor(net::io_context& ioc, const Address& address,
                                             std::uint16_t port, bool reuse_port) {
  boost::system::error_code ec;
  auto ip = net::ip::make_address(address.host, ec);
  if (ec) {
    return make_error(Reason::Internal,
                      "cannot listen on " + address.text() + ": not an IP address",
                      Origin::Internal);
  }
  net::ip::tcp::endpoint endpoint(ip, port);
  net::ip::tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(
        Reason::Internal,
        "cannot listen on " + ip.to_string() + ":" + std::to_string(port) + ": " + ec.message(),
        Origin::Internal);
  }
  return acceptor;
}

net::awaitable<void> accept_loop(Runtime& rt, Worker& worker, net::ip::tcp::acceptor& acceptor,
                                 bool admin) {
  while (!rt.draining.load()) {
    auto [ec, socket] = co_await acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (ec) {
      if (ec == net::error::operation_aborted || rt.draining.load()) break;
      // Out of descriptors and the like: keep serving the connections we have.
      spdlog::warn("accept failed: {}", ec.message());
      net::steady_timer pause(worker.ioc, std::chrono::milliseconds(50));
      co_await pause.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    start_session(rt, worker, std::move(socket), admin);
  }
}

void setup_logging(const LoggingSettings& logging) {
  // Log lines go through a background thread: an I/O thread never waits on stdout/stderr.
  spdlog::init_thread_pool(8192, 1);
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>(
      "gatewaystack", err, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(logging.level));
  spdlog::set_default_logger(logger);
  auto out = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto access = std::make_shared<spdlog::async_logger>(
      "access", out, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
  access->set_pattern("%v");
  access->set_level(logging.access_log ? spdlog::level::info : spdlog::level::off);
  spdlog::register_logger(access);
}

}  // namespace

Runtime::Runtime(Config c) : config(std::move(c)), metrics(make_metrics()) {}

Runtime::Readiness Runtime::readiness() const {
  if (!authenticator) {
    return {false, R"({"status":"not_ready","reason":"identity layer not started"})"};
  }
  const auto missing = authenticator->issuers_without_keys();
  if (missing.empty()) return {true, R"({"status":"ready"})"};
  boost::json::array issuers;
  for (const auto& issuer : missing) issuers.emplace_back(issuer);
  const boost::json::object body{{"status", "not_ready"},
                                 {"reason", "identity provider keys not fetched yet"},
                                 {"issuers_without_keys", std::move(issuers)}};
  return {false, boost::json::serialize(body)};
}

Server::Server(std::unique_ptr<Runtime> runtime) : runtime_(std::move(runtime)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::create(Config config) {
  setup_logging(config.logging);
  auto rt = std::make_unique<Runtime>(std::move(config));
  auto& c = rt->config;

  auto proxy = proxy::Proxy::create(c.proxy);
  if (!proxy) return proxy.error();
  rt->proxy = std::move(*proxy);

  if (!c.server.tls_cert_file.empty()) {
    auto tls = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    boost::system::error_code ec;
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                         net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use,
                     ec);
    tls->use_certificate_chain_file(c.server.tls_cert_file, ec);
    if (ec) {
      return make_error(Reason::Internal,
                        "server.tls.cert_file " + c.server.tls_cert_file + ": " + ec.message(),
                        Origin::Internal);
    }
    tls->use_private_key_file(c.server.tls_key_file, net::ssl::context::pem, ec);
    if (ec) {
      return make_error(Reason::Internal,
                        "server.tls.key_file " + c.server.tls_key_file + ": " + ec.message(),
                        Origin::Internal);
    }
    rt->server_tls = std::move(tls);
  }

  identity::Fetcher fetcher = [](std::string url) -> net::awaitable<Result<std::string>> {
    http::FetchOptions options;
    co_return co_await http::fetch(std::move(url), options);
  };
  rt->authenticator =
      identity::Authenticator::create(c.identity, std::move(fetcher), system_clock());

  if (c.audit.enabled) {
    auto log = audit::AuditLog::create(c.audit);
    if (!log) return log.error();
    rt->audit_log = std::move(*log);
  }

  unsigned n = c.server.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) rt->workers.push_back(std::make_unique<Worker>());

  // Every worker accepts on the same port (SO_REUSEPORT): the kernel spreads connections.
  std::uint16_t port = c.server.listen.port;
  for (auto& w : rt->workers) {
    auto acceptor = open_acceptor(w->ioc, c.server.listen, port, n > 1);
    if (!acceptor) return acceptor.error();
    port = acceptor->local_endpoint().port();
    w->acceptor.emplace(std::move(*acceptor));
  }
  c.server.listen.port = port;
  // MCP routes' resources default to the public URL, known now that the port is bound.
  fill_resource_defaults(c);
  rt->resource_metadata_docs = resource_metadata_documents(c);

  // The pipeline, in order. Audit opens first so that every request is recorded, rejected
  // ones included; the route match runs before identity so that public routes skip it and
  // an unknown path reaches nothing else.
  auto routes = std::make_shared<const route::RouteConfig>(c.routes);
  if (rt->audit_log) rt->stages.push_back(audit::make_stage(rt->audit_log));
  rt->stages.push_back(route::make_match_stage(routes));
  rt->stages.push_back(identity::make_stage(rt->authenticator));
  rt->stages.push_back(route::make_body_stage(routes));
  rt->stages.push_back(policy::make_stage(std::make_shared<const policy::PolicyConfig>(c.policy)));
  std::vector<Stage*> stage_list;
  for (auto& s : rt->stages) stage_list.push_back(s.get());
  rt->pipeline = std::make_unique<Pipeline>(
      std::move(stage_list), PipelineOptions{rt->proxy->config().max_response_buffer_bytes});

  if (c.admin.enabled) {
    auto admin = open_acceptor(rt->workers[0]->ioc, c.admin.listen, c.admin.listen.port, false);
    if (!admin) return admin.error();
    c.admin.listen.port = admin->local_endpoint().port();
    rt->workers[0]->admin_acceptor.emplace(std::move(*admin));
  }
  return std::unique_ptr<Server>(new Server(std::move(rt)));
}

int Server::run() {
  auto& rt = *runtime_;
  std::signal(SIGPIPE, SIG_IGN);
  for (auto& w : rt.workers) {
    net::co_spawn(w->ioc, accept_loop(rt, *w, *w->acceptor, false), net::detached);
    if (w->admin_acceptor) {
      net::co_spawn(w->ioc, accept_loop(rt, *w, *w->admin_acceptor, true), net::detached);
    }
  }
  if (rt.audit_log) {
    if (auto started = rt.audit_log->start(); !started) {
      spdlog::error("audit: {}", started.error().detail);
      return 1;
    }
  }
  rt.authenticator->start(rt.workers[0]->ioc.get_executor());
  spdlog::info("gatewaystack {} listening on {}://{} with {} workers{}", GW_VERSION,
               rt.server_tls ? "https" : "http", rt.config.server.listen.text(), rt.workers.size(),
               rt.config.admin.enabled ? ", admin on " + rt.config.admin.listen.text() : "");
  for (auto& w : rt.workers) {
    w->thread = std::thread([&ioc = w->ioc] {
      auto guard = net::make_work_guard(ioc);
      ioc.run();
    });
  }

  // The main thread waits for a signal, then drains.
  net::io_context main_ioc;
  net::signal_set signals(main_ioc, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) received = sig;
  });
  main_ioc.run();
  spdlog::info("signal {} received: draining (up to {} ms)", received,
               rt.config.server.drain_timeout.count());

  rt.draining.store(true);
  rt.authenticator->stop();
  for (auto& w : rt.workers) {
    net::post(w->ioc, [&rt, &worker = *w] {
      boost::system::error_code ignored;
      if (worker.acceptor) worker.acceptor->close(ignored);
      if (worker.admin_acceptor) worker.admin_acceptor->close(ignored);
      close_idle_connections(worker);
      worker.pool.clear();
      (void)rt;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + rt.config.server.drain_timeout;
  while (rt.active_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (auto& w : rt.workers)
      net::post(w->ioc, [&worker = *w] { close_idle_connections(worker); });
  }
  const int left = rt.active_connections.load();
  for (auto& w : rt.workers) w->ioc.stop();
  for (auto& w : rt.workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  // Sockets that still belong to a worker's io_context go before it does: upstream
  // connections released to the pool while draining, and the acceptors.
  for (auto& w : rt.workers) {
    w->pool.clear();
    w->acceptor.reset();
    w->admin_acceptor.reset();
  }
  if (left > 0) spdlog::warn("drain timeout: {} connections cut", left);
  if (rt.audit_log) rt.audit_log->stop();  // flushes what is queued
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace gw::server
