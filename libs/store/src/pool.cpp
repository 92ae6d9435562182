#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "dbaas/common/log.hpp"
#include "dbaas/store/store.hpp"
#include "dsn.hpp"
#include "error_mapping.hpp"
#include "tx_impl.hpp"

namespace dbaas::store {
namespace {

/// A connection idle for longer than this is checked with `SELECT 1` before it is handed out.
constexpr auto kIdleCheckAfter = std::chrono::seconds(3);
constexpr int kMaxAttempts = 3;

/// Routes server NOTICE/WARNING messages into the JSON log instead of libpq's raw stderr.
class NoticeLogger final : public pqxx::errorhandler {
 public:
  explicit NoticeLogger(pqxx::connection_base& conn) : pqxx::errorhandler(conn) {}
  bool operator()(const char msg[]) noexcept override {
    try {
      std::string_view text(msg);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
      log::Debug("database notice", {{"notice", text}});
    } catch (...) {
      // Logging must never throw out of libpq's callback.
    }
    return false;
  }
};

Result ToResult(const pqxx::result& r) {
  auto names = std::make_shared<std::vector<std::string>>();
  const auto columns = r.columns();
  names->reserve(columns);
  for (pqxx::row::size_type c = 0; c < columns; ++c) names->emplace_back(r.column_name(c));
  std::shared_ptr<const std::vector<std::string>> shared = std::move(names);
  std::vector<Row> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    std::vector<Param> values;
    values.reserve(columns);
    for (const auto& field : row) {
      if (field.is_null()) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(field.c_str(), field.size()));
      }
    }
    rows.emplace_back(shared, std::move(values));
  }
  return Result(std::move(rows), static_cast<std::int64_t>(r.affected_rows()));
}

}  // namespace

namespace internal {

Result TxImpl::Exec(std::string_view sql, const Params& params) {
  ThrowIfFailed();
  for (std::size_t i = 0; i < params.size(); ++i) {
    // libpq passes text parameters as C strings: a NUL would silently truncate the value.
    if (params[i] && params[i]->find('\0') != std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  "parameter $" + std::to_string(i + 1) + " contains a NUL byte");
    }
  }
  try {
    return ToResult(work_.exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(params)));
  } catch (...) {
    failure_ = TranslateCurrentException(sql);
    ThrowMapped(*failure_);
  }
}

void TxImpl::ExecScript(std::string_view sql) {
  ThrowIfFailed();
  try {
    work_.exec(std::string(sql));
  } catch (...) {
    failure_ = TranslateCurrentException(sql);
    ThrowMapped(*failure_);
  }
}

void TxImpl::ThrowIfFailed() const {
  if (failure_) ThrowMapped(*failure_);
}

}  // namespace internal

namespace {

struct PooledConnection {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<NoticeLogger> notices;  // declared after conn: unregisters before it closes
  std::chrono::steady_clock::time_point last_used;
  std::uint64_t verified_epoch = 0;
  bool suspect = false;
};

/// The pool's state and logic; Pool::Impl derives from it so helpers here can name it.
struct Core {
  PoolConfig config;
  std::string connect_dsn;
  std::string redacted_dsn;

  mutable std::mutex mutex;
  std::condition_variable freed;
  std::vector<std::unique_ptr<PooledConnection>> idle;  // most recently used at the back
  std::size_t open = 0;  // idle + busy, including connections being opened
  std::size_t busy = 0;
  // Bumped whenever a broken connection is found: every idle connection older than the bump
  // is checked before use, so after a database restart no caller gets a dead connection.
  std::uint64_t epoch = 1;

  /// Hands out a connection; throws Error{UNAVAILABLE} on timeout or connect failure.
  std::unique_ptr<PooledConnection> Acquire();
  /// Takes a connection back; a closed one is dropped, one that saw an error is re-checked.
  void Release(std::unique_ptr<PooledConnection> pc, bool had_error);
  std::unique_ptr<PooledConnection> Connect(std::uint64_t epoch_now);
  static bool Healthy(PooledConnection& pc) noexcept;
  void RunOnce(const std::function<void(Tx&)>& fn);
};

/// Returns its connection to the pool when the scope ends, however it ends.
class Lease {
 public:
  Lease(Core& pool, std::unique_ptr<PooledConnection> pc)
      : pool_(pool), pc_(std::move(pc)) {}
  ~Lease() {
    if (pc_) pool_.Release(std::move(pc_), had_error_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  pqxx::connection& Conn() { return *pc_->conn; }
  void MarkError() noexcept { had_error_ = true; }

 private:
  Core& pool_;
  std::unique_ptr<PooledConnection> pc_;
  bool had_error_ = false;
};

std::unique_ptr<PooledConnection> Core::Connect(std::uint64_t epoch_now) {
  auto pc = std::make_unique<PooledConnection>();
  try {
    pc->conn = std::make_unique<pqxx::connection>(connect_dsn);
    pc->notices = std::make_unique<NoticeLogger>(*pc->conn);
    // set_variable, not a raw SET: libpqxx re-applies it if it ever reactivates the session.
    pc->conn->set_variable("statement_timeout", std::to_string(config.statement_timeout.count()));
  } catch (const std::exception& e) {
    std::string_view text(e.what());
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    log::Warn("database connection failed", {{"dsn", redacted_dsn}, {"error", text}});
    throw Error(ErrorCode::kUnavailable, "database unavailable: cannot connect");
  }
  pc->last_used = std::chrono::steady_clock::now();
  pc->verified_epoch = epoch_now;
  return pc;
}

bool Core::Healthy(PooledConnection& pc) noexcept {
  try {
    pqxx::nontransaction check(*pc.conn);
    check.exec("SELECT 1");
    return pc.conn->is_open();
  } catch (...) {
    return false;
  }
}

std::unique_ptr<PooledConnection> Core::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + config.acquire_timeout;
  std::unique_lock lock(mutex);
  for (;;) {
    if (!idle.empty()) {
      auto pc = std::move(idle.back());
      idle.pop_back();
      ++busy;
      const std::uint64_t epoch_now = epoch;
      const bool check = pc->suspect || pc->verified_epoch < epoch_now ||
                         std::chrono::steady_clock::now() - pc->last_used > kIdleCheckAfter;
      if (!check) return pc;
      lock.unlock();
      if (Healthy(*pc)) {
        pc->suspect = false;
        pc->verified_epoch = epoch_now;
        return pc;
      }
      pc.reset();
      lock.lock();
      --busy;
      --open;
      ++epoch;
      freed.notify_one();
      continue;
    }
    if (open < config.size) {
      ++open;
      ++busy;
      const std::uint64_t epoch_now = epoch;
      lock.unlock();
      try {
        return Connect(epoch_now);
      } catch (...) {
        lock.lock();
        --open;
        --busy;
        freed.notify_one();
        throw;
      }
    }
    if (freed.wait_until(lock, deadline) == std::cv_status::timeout && idle.empty() &&
        open >= config.size) {
      throw Error(ErrorCode::kUnavailable,
                  "database unavailable: no free connection within " +
                      std::to_string(config.acquire_timeout.count()) + " ms");
    }
  }
}

void Core::Release(std::unique_ptr<PooledConnection> pc, bool had_error) {
  const bool keep = pc->conn && pc->conn->is_open();
  if (!keep) pc.reset();
  std::lock_guard lock(mutex);
  --busy;
  if (keep) {
    pc->last_used = std::chrono::steady_clock::now();
    pc->suspect = pc->suspect || had_error;
    idle.push_back(std::move(pc));
  } else {
    --open;
    ++epoch;
  }
  freed.notify_one();
}

void Core::RunOnce(const std::function<void(Tx&)>& fn) {
  // A connection can die between its check and BEGIN (e.g. the server restarted just now).
  // Nothing has run yet then, so taking another connection is safe; one retry suffices
  // because the failure bumps the epoch and every other idle connection gets checked.
  for (int attempt = 1;; ++attempt) {
    Lease lease(*this, Acquire());
    std::optional<pqxx::work> work;
    try {
      work.emplace(lease.Conn());
    } catch (...) {
      lease.MarkError();
      Error error = internal::TranslateCurrentException("BEGIN");
      if (error.Code() == ErrorCode::kUnavailable && attempt < 2) continue;
      internal::ThrowMapped(error);
    }
    internal::TxImpl tx(*work);
    try {
      fn(tx);
      tx.ThrowIfFailed();
    } catch (...) {
      lease.MarkError();
      throw;
    }
    try {
      work->commit();
    } catch (...) {
      lease.MarkError();
      internal::ThrowMapped(internal::TranslateCurrentException("COMMIT"));
    }
    return;
  }
}

}  // namespace

struct Pool::Impl : Core {};

Pool::Pool(PoolConfig config) : config_(std::move(config)), impl_(std::make_unique<Impl>()) {
  if (config_.size == 0) throw Error(ErrorCode::kInvalidArgument, "pool size must be positive");
  impl_->config = config_;
  // libpq's connect_timeout is whole seconds and treats values below 2 as 2.
  const auto connect_seconds = std::max<std::int64_t>(
      2, std::chrono::ceil<std::chrono::seconds>(config_.acquire_timeout).count());
  impl_->connect_dsn = internal::WithParameters(
      config_.dsn, {{"application_name", config_.application_name},
                    {"connect_timeout", std::to_string(connect_seconds)}});
  impl_->redacted_dsn = RedactDsn(config_.dsn);
}

Pool::~Pool() = default;

void Pool::InTransaction(const std::function<void(Tx&)>& fn) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    try {
      impl_->RunOnce(fn);
      return;
    } catch (const internal::DatabaseAbort& e) {
      if (attempt >= kMaxAttempts) throw;
      log::Info("retrying aborted transaction", {{"attempt", attempt}, {"reason", e.what()}});
      // Random back-off so the transactions that collided do not collide again in lockstep.
      std::uniform_int_distribution<int> ms(1, 10 * attempt);
      std::this_thread::sleep_for(std::chrono::milliseconds(ms(jitter)));
    }
  }
}

Result Pool::Exec(std::string_view sql, const Params& params) {
  Result result;
  InTransaction([&](Tx& tx) { result = tx.Exec(sql, params); });
  return result;
}

bool Pool::Ping() {
  try {
    Exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::size_t Pool::OpenConnections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

std::size_t Pool::BusyConnections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->busy;
}

}  // namespace dbaas::store
