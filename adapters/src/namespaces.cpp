// libgsoap++ refers to a global `namespaces` table; gSOAP generates it from the WSDL.
#include "ISyncChannelHttpBinding.nsmap"
