#include "repository/pg_audit_repository.hpp"

#include <algorithm>

#include "dbaas/common/error.hpp"
#include "repository/pg_time.hpp"

namespace dbaas::access_control {
namespace {

// Serialises appends across every access-control replica (any constant; "audit" in ASCII).
constexpr const char* kChainLock = "SELECT pg_advisory_xact_lock(418581718116)";
constexpr std::size_t kRowsPerInsert = 200;
constexpr int kColumns = 21;

const std::string& Columns() {
  static const std::string columns =
      "seq, id, " + pg::Ts("occurred_at") + ", " + pg::Ts("recorded_at") +
      ", source, request_id, category, actor_type, actor_id, actor_name, tenant_id, action, "
      "resource, method, outcome, status, reason, source_address, user_agent, prev_hash, hash";
  return columns;
}

AuditEntry EntryFromRow(const store::Row& row) {
  AuditEntry e;
  e.seq = row.GetInt("seq");
  auto& r = e.record;
  r.id = row.Get("id");
  r.time = pg::ParseTime(row.Get("occurred_at"));
  e.recorded_at = pg::ParseTime(row.Get("recorded_at"));
  r.source = row.Get("source");
  r.request_id = row.Get("request_id");
  r.category = row.Get("category");
  r.actor_type = row.Get("actor_type");
  r.actor_id = row.Get("actor_id");
  r.actor_name = row.Get("actor_name");
  r.tenant_id = row.Get("tenant_id");
  r.action = row.Get("action");
  r.resource = row.Get("resource");
  r.method = row.Get("method");
  r.outcome = row.Get("outcome");
  r.status = static_cast<int>(row.GetInt("status"));
  r.reason = row.Get("reason");
  r.source_address = row.Get("source_address");
  r.user_agent = row.Get("user_agent");
  e.prev_hash = row.Get("prev_hash");
  e.hash = row.Get("hash");
  return e;
}

void SetScope(store::Tx& tx, const std::string& scope) {
  tx.Exec("SELECT set_config('dbaas.audit_scope', $1, true)", {scope});
}

// The ids as a text[] literal, each quoted.
std::string TextArray(std::span<const events::AuditRecord> records) {
  std::string out = "{";
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : records[i].id) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace

void PgAuditRepository::Append(store::Tx& tx, std::span<const events::AuditRecord> records,
                               TimePoint recorded_at) {
  if (records.empty()) return;
  SetScope(tx, "*");
  tx.Exec(kChainLock);
  // Redelivered records already appended through another path are skipped, not re-chained.
  std::vector<std::string> present;
  for (const auto& row :
       tx.Exec("SELECT id FROM audit_events WHERE id = ANY($1::text[])", {TextArray(records)})) {
    present.push_back(row.Get("id"));
  }
  AuditEntry last;
  last.seq = 0;
  last.hash = std::string(kGenesisHash);
  if (auto head = tx.Exec("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
      !head.Empty()) {
    last.seq = head[0].GetInt("seq");
    last.hash = head[0].Get("hash");
  }
  recorded_at = std::chrono::time_point_cast<std::chrono::milliseconds>(recorded_at);

  std::vector<AuditEntry> fresh;
  for (const auto& record : records) {
    if (std::find(present.begin(), present.end(), record.id) != present.end()) continue;
    present.push_back(record.id);  // the same id twice in one batch is stored once
    AuditEntry entry;
    entry.seq = last.seq + 1;
    entry.record = record;
    entry.record.time = std::chrono::time_point_cast<std::chrono::milliseconds>(record.time);
    entry.recorded_at = recorded_at;
    entry.prev_hash = last.hash;
    entry.hash = ChainHash(entry, entry.prev_hash);
    last = entry;
    fresh.push_back(std::move(entry));
  }

  for (std::size_t start = 0; start < fresh.size(); start += kRowsPerInsert) {
    const std::size_t end = std::min(fresh.size(), start + kRowsPerInsert);
    std::string sql =
        "INSERT INTO audit_events (seq, id, occurred_at, recorded_at, source, request_id, "
        "category, actor_type, actor_id, actor_name, tenant_id, action, resource, method, "
        "outcome, status, reason, source_address, user_agent, prev_hash, hash) VALUES ";
    store::Params params;
    params.reserve((end - start) * kColumns);
    for (std::size_t i = start; i < end; ++i) {
      const auto& e = fresh[i];
      const auto& r = e.record;
      if (i > start) sql += ", ";
      sql += "(";
      for (int c = 1; c <= kColumns; ++c) {
        if (c > 1) sql += ", ";
        sql += "$" + std::to_string(params.size() + static_cast<std::size_t>(c));
        if (c == 3 || c == 4) sql += "::timestamptz";
      }
      sql += ")";
      params.push_back(std::to_string(e.seq));
      params.push_back(r.id);
      params.push_back(FormatRfc3339(r.time));
      params.push_back(FormatRfc3339(e.recorded_at));
      params.push_back(r.source);
      params.push_back(r.request_id);
      params.push_back(r.category);
      params.push_back(r.actor_type);
      params.push_back(r.actor_id);
      params.push_back(r.actor_name);
      params.push_back(r.tenant_id);
      params.push_back(r.action);
      params.push_back(r.resource);
      params.push_back(r.method);
      params.push_back(r.outcome);
      params.push_back(std::to_string(r.status));
      params.push_back(r.reason);
      params.push_back(r.source_address);
      params.push_back(r.user_agent);
      params.push_back(e.prev_hash);
      params.push_back(e.hash);
    }
    tx.Exec(sql, params);
  }
}

AuditPage PgAuditRepository::List(const AuditQuery& query, const std::string& scope) {
  std::string sql = "SELECT " + Columns() + " FROM audit_events WHERE true";
  store::Params params;
  const auto add = [&](const std::string& condition, store::Param value) {
    params.push_back(std::move(value));
    std::string c = condition;
    const auto at = c.find('?');
    c.replace(at, 1, "$" + std::to_string(params.size()));
    sql += " AND " + c;
  };
  if (scope != "*") add("tenant_id = ?", scope);  // and row-level security again
  if (query.tenant_id) add("tenant_id = ?", *query.tenant_id);
  if (query.actor_id) add("actor_id = ?", *query.actor_id);
  if (query.category) add("category = ?", *query.category);
  if (query.outcome) add("outcome = ?", *query.outcome);
  if (query.action) add("action = ?", *query.action);
  if (query.request_id) add("request_id = ?", *query.request_id);
  if (query.since) add("occurred_at >= ?::timestamptz", FormatRfc3339(*query.since));
  if (query.until) add("occurred_at < ?::timestamptz", FormatRfc3339(*query.until));
  if (query.before_seq) add("seq < ?::bigint", std::to_string(*query.before_seq));
  params.push_back(std::to_string(query.page_size + 1));
  sql += " ORDER BY seq DESC LIMIT $" + std::to_string(params.size()) + "::bigint";

  AuditPage page;
  pool_.InTransaction([&](store::Tx& tx) {
    SetScope(tx, scope);
    for (const auto& row : tx.Exec(sql, params)) page.entries.push_back(EntryFromRow(row));
  });
  if (page.entries.size() > query.page_size) {
    page.entries.resize(query.page_size);
    page.last_seq = page.entries.back().seq;
  }
  return page;
}

std::optional<AuditEntry> PgAuditRepository::Find(const std::string& id,
                                                  const std::string& scope) {
  std::optional<AuditEntry> entry;
  pool_.InTransaction([&](store::Tx& tx) {
    SetScope(tx, scope);
    std::string sql = "SELECT " + Columns() + " FROM audit_events WHERE id = $1";
    store::Params params{id};
    if (scope != "*") {
      sql += " AND tenant_id = $2";
      params.push_back(scope);
    }
    auto result = tx.Exec(sql, params);
    if (!result.Empty()) entry = EntryFromRow(result[0]);
  });
  return entry;
}

std::vector<AuditEntry> PgAuditRepository::Scan(std::int64_t after_seq, std::size_t limit) {
  std::vector<AuditEntry> entries;
  pool_.InTransaction([&](store::Tx& tx) {
    SetScope(tx, "*");
    for (const auto& row : tx.Exec("SELECT " + Columns() +
                                       " FROM audit_events WHERE seq > $1::bigint "
                                       "ORDER BY seq LIMIT $2::bigint",
                                   {std::to_string(after_seq), std::to_string(limit)})) {
      entries.push_back(EntryFromRow(row));
    }
  });
  return entries;
}

}  // namespace dbaas::access_control
