"""Runs moto's server (`python server.py -H 127.0.0.1 -p PORT`) with two known moto defects
worked around.

moto 5.2 recomputes a request's SigV4 signature from `body or data`; for a GET (such as
Security Hub's DescribeHub) `data` is the parsed parameter dict, which botocore then signs as if
it were a body, so moto rejects every correctly signed GET, boto3's own included. Here a GET or
HEAD is recomputed with an empty body, as AWS does. (Form POSTs keep moto's own handling: it
re-encodes the parsed form, which matches only bodies encoded as Python's `urlencode` does;
certwatch encodes them that way, as the AWS SDKs do.)

moto 5.2's Security Hub answers GetFindings for an account that has not enabled Security Hub,
where AWS answers InvalidAccessException ("either Security Hub is not enabled for the account,
or ..."), as moto's own DescribeHub does. certwatch learns from that one lookup whether a hub
takes findings, so GetFindings is made to answer as AWS does.
"""

import os
import threading
import time

from moto.iam import access_control
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import SecurityHubBackend
from moto.server import main

_create_aws_request = access_control.IAMRequestBase._create_aws_request


def _create_aws_request_without_phantom_body(self):
    if self._method in ("GET", "HEAD") and not self._body:
        self._data = b""
    return _create_aws_request(self)


access_control.IAMRequestBase._create_aws_request = _create_aws_request_without_phantom_body

_get_findings = SecurityHubBackend.get_findings


def _get_findings_only_when_enabled(self, *args, **kwargs):
    if not self.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException", "Account is not subscribed to AWS Security Hub"
        )
    return _get_findings(self, *args, **kwargs)


SecurityHubBackend.get_findings = _get_findings_only_when_enabled

def exit_with_parent():
    """The test process that started this server may end without stopping it; follow it."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=exit_with_parent, daemon=True).start()
    main()
