-- Events written in the same transaction as the state change they describe; OutboxRelay
-- publishes them to JetStream in seq order and stamps published_at.
CREATE TABLE event_outbox (
  seq          bigserial PRIMARY KEY,
  id           text NOT NULL UNIQUE,
  subject      text NOT NULL,
  source       text NOT NULL,
  tenant_id    text NOT NULL DEFAULT '',
  event_time   timestamptz NOT NULL,
  request_id   text NOT NULL DEFAULT '',
  payload_type text NOT NULL,
  payload      bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text
);

CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE published_at IS NULL;
CREATE INDEX event_outbox_published ON event_outbox (published_at) WHERE published_at IS NOT NULL;

-- One row per (durable consumer, event) whose handler committed; makes redelivery harmless.
CREATE TABLE processed_events (
  consumer     text NOT NULL,
  event_id     text NOT NULL,
  subject      text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

CREATE INDEX processed_events_processed_at ON processed_events (processed_at);
