"""The figures' stand-in for the function certwatch replaces: AWS's documented
`handle-expiring-certificates` Lambda (Python, boto3), as its documentation describes it, with
its flaws kept, since they are part of what it costs and does: "now" taken once, at start;
DescribeCertificate, DescribeHub, BatchImportFindings and Publish one after another; any
DescribeHub error taken as "Security Hub is off"; no retries.

Run as `python3 handle_expiring_certificates.py EVENT.json`: a fresh interpreter handles one
event, as a cold Lambda would, so its time from start to exit compares with a `certwatch run`
process's. boto3 finds the endpoint (AWS_ENDPOINT_URL), region and keys in the environment.
"""

import json
import os
import sys
from datetime import datetime, timedelta, timezone

import boto3

# Read once, when the module loads: a function kept warm for days keeps this "now".
NOW = datetime.now(timezone.utc)
WINDOW_DAYS = int(os.environ.get("EXPIRY_DAYS", "45"))
WINDOW_END = NOW + timedelta(days=WINDOW_DAYS)


def lambda_handler(event, context):
    if event.get("detail-type") != "ACM Certificate Approaching Expiration":
        return {"statusCode": 200, "body": "not handled"}
    return {"statusCode": 200, "body": handle_certificate(event, context)}


def handle_certificate(event, context):
    acm = boto3.client("acm")
    certificate = acm.describe_certificate(CertificateArn=event["resources"][0])["Certificate"]
    text = "Certificate %s expires within %d days" % (certificate["DomainName"], WINDOW_DAYS)
    if certificate["NotAfter"] >= WINDOW_END:
        return text
    text += " (%s): %s" % (certificate["CertificateArn"], raise_finding(event, certificate))
    topic = os.environ.get("SNS_TOPIC_ARN")
    if topic:
        boto3.client("sns").publish(
            TopicArn=topic, Subject="Certificate Expiration Notification", Message=text
        )
    return text


def raise_finding(event, certificate):
    region = os.environ.get("SECURITY_HUB_REGION", event["region"])
    account = event["account"]
    hub = boto3.client("securityhub", region_name=region)
    try:
        hub.describe_hub(HubArn="arn:aws:securityhub:%s:%s:hub/default" % (region, account))
    except Exception:
        return "Security Hub disabled"
    now = NOW.isoformat()
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": event["id"],
        "ProductArn": "arn:aws:securityhub:%s:%s:product/%s/default" % (region, account, account),
        "GeneratorId": "handle-expiring-certificates",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/AWS Config Analysis"],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Normalized": 80},
        "Title": "Certificate expiration",
        "Description": "cert expiry",
        "Resources": [{"Type": "ACM Certificate", "Id": event["id"], "Region": region}],
        "Compliance": {"Status": "WARNING"},
    }
    reply = hub.batch_import_findings(Findings=[finding])
    if reply["FailedCount"] > 0:
        print("Failed to import %d findings" % reply["FailedCount"])
    return json.dumps(reply)


class Context:
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:handle-expiring-certificates"


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        print(json.dumps(lambda_handler(json.load(file), Context())))
