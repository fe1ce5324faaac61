#pragma once

#include <span>
#include <string_view>

namespace gw {

// Every way a request can end other than "forwarded". The string is the stable, published
// `error.code` (never renamed once released); the status is what the client receives.
// docs/reason-codes.md lists each one, and a test keeps the two in step.
enum class Reason {
  None,  // proceed

  // identity (401 unless noted)
  MissingToken,
  MalformedToken,
  UnsupportedAlgorithm,
  UnknownKey,
  BadSignature,
  TokenExpired,
  TokenNotYetValid,
  TokenIssuedInFuture,
  WrongIssuer,
  WrongAudience,
  MissingSubject,
  InvalidClaims,
  UnsupportedCritical,
  JwksUnavailable,  // 503: no keys were ever fetched for the issuer

  // request shape
  NoRoute,               // 404
  MethodNotAllowed,      // 405
  InvalidPath,           // 400: escapes its route or has encoded slashes
  BadRequest,            // 400: unparseable HTTP
  InvalidHeader,         // 400: a header name server.headers.underscores refuses
  HeaderTooLarge,        // 431
  UriTooLong,            // 414
  BodyTooLarge,          // 413
  RequestTimeout,        // 408
  InvalidJson,           // 400
  MissingModel,          // 400
  UnsupportedMediaType,  // 415

  // policy (403)
  ModelNotAllowed,
  RoleMissing,
  ScopeMissing,
  TenantNotAllowed,
  TeamNotAllowed,
  ToolNotAllowed,
  NoMatchingRule,
  McpMismatch,  // 400: Mcp-Method / Mcp-Name headers disagree with the body

  // content
  PiiBlocked,  // 400

  // limits (429)
  RateLimited,
  BudgetExhausted,

  // proxy
  UpstreamUnavailable,    // 502
  UpstreamTimeout,        // 504
  UpstreamProtocolError,  // 502
  ClientClosed,           // 499 (recorded only): the client went away before the answer ended

  // gateway
  AuditUnavailable,  // 503: fail_closed audit could not take the record
  ShuttingDown,      // 503
  Internal,          // 500
};

struct ReasonInfo {
  std::string_view code;  // stable snake_case string
  int status;             // HTTP status
};

// Table lookup; every enumerator has an entry.
const ReasonInfo& info(Reason reason) noexcept;
inline std::string_view code(Reason reason) noexcept { return info(reason).code; }
inline int status(Reason reason) noexcept { return info(reason).status; }

// All reasons except None, in declaration order (for docs checks and metrics).
std::span<const Reason> all_reasons() noexcept;

}  // namespace gw
