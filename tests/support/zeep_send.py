#!/usr/bin/python3
"""Loads the gateway's WSDL with zeep (a third-party SOAP client) and calls SendMessage at the
address the WSDL gives, with a signed document as requestData/data.
usage: zeep_send.py WSDL_URL SENDER PASSWORD SIGNED.xml  -> prints "address: ..." and "status: CODE"
(Debian's python3-zeep, hence /usr/bin/python3.)
"""
import copy
import datetime
import sys
import uuid

import zeep
from lxml import etree

wsdl_url, sender, password, document_file = sys.argv[1:5]
with open(document_file, "rb") as f:
    document = etree.fromstring(f.read())


class SignedDocument(zeep.Plugin):
    """data is xs:anyType, which zeep renders as text: the signed element goes in as it is, so its
    signature still verifies."""

    def egress(self, envelope, http_headers, operation, binding_options):
        for data in envelope.iter("data"):
            data.text = None
            data.append(copy.deepcopy(document))
        return envelope, http_headers


client = zeep.Client(wsdl_url, plugins=[SignedDocument()])
print("address:", client.service._binding_options["address"])
request = {
    "requestInfo": {
        "messageId": str(uuid.uuid4()),
        "serviceId": "STAGE_NOTIFICATION",
        "messageDate": datetime.datetime.now(datetime.timezone.utc),
        "sender": {"senderId": sender, "password": password},
    },
    "requestData": {"data": "placeholder"},
}
try:
    response = client.service.SendMessage(request=request)
    print("status:", response.responseInfo.status.code)
except zeep.exceptions.Fault as fault:
    code = fault.detail.find(".//errorCode") if fault.detail is not None else None
    print("status:", code.text if code is not None else "FAULT " + str(fault.message))
