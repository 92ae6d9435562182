#include "domain/operation_runner.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dbaas/common/crypto.hpp"
#include "dbaas/common/error.hpp"
#include "dbaas/common/log.hpp"
#include "dbaas/engines/catalog.hpp"
#include "domain/instance_service.hpp"
#include "domain/parameter_group.hpp"

namespace dbaas::provisioning {
namespace {


std::function<events::Event(const Instance&)> EventAs(const std::string& verb,
                                                      const Operation& operation) {
  return [verb, &operation](const Instance& i) {
    return InstanceEventFor(i, verb, operation.id, operation.request_id);
  };
}

InstanceChange StatusOnly(std::string_view status) {
  InstanceChange change;
  change.status = std::string(status);
  return change;
}

// Settings still waiting for a restart: the earlier ones and the new ones.
std::vector<std::string> Union(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a;
}

}  // namespace

OperationRunner::OperationRunner(PgProvisioningRepository& repository,
                                 PgParameterGroupRepository& groups, runtime::Runtime& runtime,
                                 const crypto::KeyRing& keys, RunnerConfig config)
    : repository_(repository),
      groups_(groups),
      runtime_(runtime),
      keys_(keys),
      config_(config),
      pool_("operation runner", config.workers, config.poll, [this] { return RunOnce(); }) {}

OperationRunner::~OperationRunner() {
  Stop();
}

bool OperationRunner::RunOnce() {
  auto operation = repository_.ClaimOperation(config_.lease);
  if (!operation) return false;
  service::LeaseKeeper keeper(
      [this, id = operation->id] { repository_.RenewLease(id, config_.lease); },
      config_.lease / 3);
  log::Info("operation started", {{"operation_id", operation->id},
                                  {"type", operation->type},
                                  {"instance_id", operation->target},
                                  {"attempt", operation->attempts},
                                  {"request_id", operation->request_id}});
  Run(*operation);
  return true;
}

void OperationRunner::Run(const Operation& op) {
  const auto instance = repository_.FindInstance(op.target);
  if (!instance) {
    repository_.FinishOperation(op, Error(ErrorCode::kNotFound, "the instance is gone"),
                                StatusOnly(kDeleted),
                                EventAs("deleted", op));
    return;
  }
  const auto& id = instance->id;
  try {
    if (op.type == "create") {
      if (op.attempts > 1) {
        repository_.SetProgress(op.id, 5, "removing what an interrupted attempt left");
        runtime_.Delete(id);
      }
      repository_.SetProgress(op.id, 20, "creating and starting the server");
      runtime::InstanceSpec spec;
      spec.id = id;
      spec.engine = engines::ParseEngine(instance->engine).value_or(engines::Engine::kPostgresql);
      spec.version = instance->version;
      spec.size = instance->size;
      InstanceChange change;
      change.set_parameter_group = true;
      change.parameter_group_id = instance->parameter_group_id;
      change.effective_parameters = instance->parameters;
      if (instance->parameter_group_id) {
        // The group's latest version: one changed since the instance was requested counts.
        if (auto v = groups_.Version(*instance->parameter_group_id)) {
          change.parameter_group_version = v->version;
          change.effective_parameters = EffectiveParameters(v->parameters, instance->parameters);
        } else {
          change.parameter_group_id.reset();  // the group is gone: the instance's own only
        }
      }
      spec.parameters = *change.effective_parameters;
      const auto created = runtime_.Create(spec);
      change.status = std::string(kRunning);
      change.host = created.endpoint.host;
      change.port = created.endpoint.port;
      change.server_version = created.server_version;
      change.admin_user = created.endpoint.admin_user;
      change.ca_pem = created.endpoint.ca_pem;
      change.sealed_password =
          crypto::Base64UrlEncode(crypto::SealEnvelope(keys_, created.admin_password, id));
      repository_.FinishOperation(op, std::nullopt, change, EventAs("created", op));
    } else if (op.type == "delete") {
      repository_.SetProgress(op.id, 30, "stopping the server and removing its data");
      runtime_.Delete(id);
      InstanceChange change;
      change.status = std::string(kDeleted);
      change.clear_credentials = true;
      repository_.FinishOperation(op, std::nullopt, change, EventAs("deleted", op));
    } else if (op.type == "start" || op.type == "restart") {
      repository_.SetProgress(op.id, 30, op.type == "start" ? "starting the server"
                                                           : "restarting the server");
      if (op.type == "start") {
        runtime_.Start(id);
      } else {
        runtime_.Restart(id);
      }
      InstanceChange change = StatusOnly(kRunning);
      change.pending_restart.emplace();  // the server read its whole config at start
      repository_.FinishOperation(op, std::nullopt, change, EventAs("started", op));
    } else if (op.type == "update") {
      repository_.SetProgress(op.id, 30, "applying the new size and parameters");
      const auto spec = nlohmann::json::parse(op.spec);
      runtime::ResizeSpec resize;
      resize.size = spec.at("size").get<std::string>();
      resize.allow_restart = true;
      InstanceChange change = StatusOnly(kRunning);
      change.size = resize.size;
      change.parameters = spec.at("parameters").get<std::map<std::string, std::string>>();
      std::optional<std::string> group_id = instance->parameter_group_id;
      if (const auto it = spec.find("parameter_group_id"); it != spec.end()) {
        group_id = it->is_null() ? std::nullopt
                                 : std::optional<std::string>(it->get<std::string>());
      }
      Instance desired = *instance;
      desired.parameters = *change.parameters;
      ApplyParameters(desired, op, std::move(resize), group_id, change);
      repository_.FinishOperation(op, std::nullopt, change, EventAs("updated", op));
    } else if (op.type == "apply_parameters") {
      repository_.SetProgress(op.id, 30, "applying the parameter group's new version");
      runtime::ResizeSpec resize;
      resize.size = instance->size;
      resize.allow_restart = false;  // static settings wait for the next restart
      InstanceChange change = StatusOnly(instance->status);
      ApplyParameters(*instance, op, std::move(resize), instance->parameter_group_id, change);
      repository_.FinishOperation(op, std::nullopt, change, EventAs("updated", op));
    } else if (op.type == "stop") {
      repository_.SetProgress(op.id, 30, "stopping the server");
      runtime_.Stop(id);
      repository_.FinishOperation(op, std::nullopt, StatusOnly(kStopped),
                                  EventAs("stopped", op));
    } else {
      throw Error(ErrorCode::kInternal, "unknown operation type " + op.type);
    }
    log::Info("operation succeeded", {{"operation_id", op.id}, {"type", op.type}});
  } catch (const std::exception& e) {
    Error error = [&] {
      if (const auto* known = dynamic_cast<const Error*>(&e)) return *known;
      return Error(ErrorCode::kInternal, e.what());
    }();
    log::Warn("operation failed", {{"operation_id", op.id},
                                   {"type", op.type},
                                   {"instance_id", id},
                                   {"error", error.what()}});
    InstanceChange change;
    change.status = std::string(kFailed);
    change.status_detail = op.type + " failed: " + error.what();
    if (op.type == "update") {
      // The runtime put the old settings back; the server keeps running on them.
      change.status = std::string(kRunning);
    }
    if (op.type == "apply_parameters") {
      change.status = instance->status;  // it keeps running (or stays stopped) as it was
      change.status_detail = instance->status_detail;
    }
    if (op.type == "create") {
      // The runtime removed what it made; make sure, so nothing is left (Property 6).
      try {
        runtime_.Delete(id);
      } catch (const std::exception& cleanup) {
        log::Error("cleanup after a failed create failed",
                   {{"instance_id", id}, {"error", cleanup.what()}});
      }
    }
    repository_.FinishOperation(op, error, change, EventAs("failed", op));
  }
}

void OperationRunner::ApplyParameters(const Instance& instance, const Operation& op,
                                      runtime::ResizeSpec resize,
                                      const std::optional<std::string>& group_id,
                                      InstanceChange& change) {
  change.set_parameter_group = true;
  change.parameter_group_id = group_id;
  resize.parameters = instance.parameters;
  if (group_id) {
    if (auto v = groups_.Version(*group_id)) {
      change.parameter_group_version = v->version;
      resize.parameters = EffectiveParameters(v->parameters, instance.parameters);
    } else {
      change.parameter_group_id.reset();  // the group is gone: the instance's own only
    }
  }
  if (auto sealed = repository_.SealedPassword(instance.id)) {
    resize.admin_password =
        crypto::OpenEnvelope(keys_, crypto::Base64UrlDecode(*sealed), instance.id);
  }
  change.effective_parameters = resize.parameters;
  const auto applied = runtime_.Resize(instance.id, resize);
  change.pending_restart = applied.restarted
                               ? applied.pending_restart
                               : Union(instance.pending_restart, applied.pending_restart);
  log::Info("parameters applied", {{"operation_id", op.id},
                                   {"instance_id", instance.id},
                                   {"live", nlohmann::json(applied.applied_live).dump()},
                                   {"pending_restart",
                                    nlohmann::json(*change.pending_restart).dump()}});
}

void CheckInstanceHealth(PgProvisioningRepository& repository, runtime::Runtime& runtime) {
  for (const auto& instance : repository.RunningInstances()) {
    runtime::InstanceStatus status;
    try {
      status = runtime.Status(instance.id);
    } catch (const std::exception& e) {
      status.state = runtime::InstanceState::kFailed;
      status.detail = e.what();
    }
    if (status.state != runtime::InstanceState::kFailed &&
        status.state != runtime::InstanceState::kStopped) {
      continue;
    }
    const std::string detail =
        "the server is not running" + (status.detail.empty() ? "" : ": " + status.detail);
    if (repository.MarkFailed(instance.id, detail, [&](const Instance& i) {
          return InstanceEventFor(i, "failed", "", "");
        })) {
      log::Warn("instance failed", {{"instance_id", instance.id}, {"detail", detail}});
    }
  }
}

}  // namespace dbaas::provisioning
