#pragma once
// The gateway's steps, in the order they run.
#include <functional>
#include <memory>

#include "stagegate/app/pipeline.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/core/reloadable.h"
#include "stagegate/signing/provider_registry.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::app {

// Never refuses: tells the journal a message is on its way, so a commit may wait for it.
std::unique_ptr<Step> announce_to_journal(bus::Journal& journal);
// SENDER_AUTH: unknown senderId, wrong password, or a serviceId the provider may not use.
// SERVICE_UNKNOWN: a serviceId the gateway does not route.
std::unique_ptr<Step> authenticate_sender(const Reloadable<signing::ProviderRegistry>& registry);
// MALFORMED / SIGNATURE_INVALID / SIGNER_UNTRUSTED from the verifier.
std::unique_ptr<Step> verify_signature(const Reloadable<signing::Verifier>& verifier);
// SIGNER_NOT_AUTHORIZED: the certificate's BIN is not the sending provider's.
std::unique_ptr<Step> authorize_signer();
// SCHEMA / DATA_INVALID: normalizes the verified bytes into the message's JSON.
std::unique_ptr<Step> normalize_document();
// Picks the destinations by the routing rules and reduces the payload for each; never refuses.
std::unique_ptr<Step> route_message(const Reloadable<routing::RoutingRules>& rules);
// OVERLOADED when delivery is too far behind or the journal's disk is almost full.
std::unique_ptr<Step> admit(const bus::Dispatcher& dispatcher);
// INTERNAL when the journal refuses; `on_appended` runs after a durable, new append.
std::unique_ptr<Step> append_to_journal(bus::Journal& journal, std::function<void()> on_appended);

}  // namespace stagegate::app
