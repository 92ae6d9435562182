#include "dbaas/events/envelope.hpp"

#include <gtest/gtest.h>

#include "dbaas/common/error.hpp"
#include "dbaas/events/v1/envelope.pb.h"
#include "dbaas/events/v1/instance.pb.h"

namespace dbaas::events {
namespace {

Event SampleEvent() {
  v1::InstanceEvent instance;
  instance.set_instance_id("ins_01");
  instance.set_tenant_id("ten_01");
  instance.set_engine("postgresql");
  instance.set_status("failed");
  instance.set_error(std::string("disk\0full", 9));
  return MakeEvent("dbaas.provisioning.instance.failed", "provisioning", "ten_01", instance,
                   "req_1");
}

TEST(Envelope, RoundTripKeepsEveryField) {
  Event e = SampleEvent();
  e.time += std::chrono::nanoseconds(123);  // the envelope carries nanoseconds
  EXPECT_EQ(DecodeEnvelope(EncodeEnvelope(e)), e);
}

TEST(Envelope, UsesTheProtoFieldsOtherLanguagesRead) {
  const Event e = SampleEvent();
  v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(EncodeEnvelope(e)));
  EXPECT_EQ(envelope.id(), e.id);
  EXPECT_EQ(envelope.type(), "dbaas.provisioning.instance.failed");
  EXPECT_EQ(envelope.source(), "provisioning");
  EXPECT_EQ(envelope.payload_type(), "dbaas.events.v1.InstanceEvent");
  v1::InstanceEvent payload;
  ASSERT_TRUE(payload.ParseFromString(envelope.payload()));
  EXPECT_EQ(payload.error(), std::string("disk\0full", 9));
}

TEST(Envelope, RejectsGarbageAndEmptyEnvelopes) {
  EXPECT_THROW(DecodeEnvelope("\xff\xff\xff\xff"), Error);
  EXPECT_THROW(DecodeEnvelope(""), Error);
  try {
    DecodeEnvelope("not a protobuf at all \x01\x02");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.Code(), ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace dbaas::events
