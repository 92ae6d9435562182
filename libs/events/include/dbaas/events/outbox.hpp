#pragma once

#include <span>

#include "dbaas/events/event.hpp"
#include "dbaas/store/store.hpp"

/// The transactional outbox: a service writes its state change and the event describing it in
/// one transaction, and an OutboxRelay publishes committed events to JetStream afterwards.
namespace dbaas::events {

/// The schema every service using events applies with
/// `store::Migrate(pool, kMigrationComponent, events::Migrations())`: the `event_outbox` table
/// (written by Enqueue, drained by OutboxRelay) and `processed_events` (Consumer idempotency).
std::span<const store::Migration> Migrations();
/// The component name to record events::Migrations() under.
inline constexpr std::string_view kMigrationComponent = "events";

/// Writes `e` into the outbox inside the caller's transaction, so it is published if and only
/// if the caller commits, and notifies channel kOutboxChannel on commit. Throws
/// Error{INVALID_ARGUMENT} for an invalid event (see ValidateEvent), Error{ALREADY_EXISTS}
/// when an event with this id is already in the outbox, and the store's errors otherwise.
void Enqueue(store::Tx& tx, const Event& e);

/// The PostgreSQL NOTIFY channel Enqueue signals, for relays that LISTEN.
inline constexpr std::string_view kOutboxChannel = "dbaas_events_outbox";

}  // namespace dbaas::events
