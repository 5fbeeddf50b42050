"""Sets up and inspects moto's AWS for certwatch's integration tests, with boto3.

Reads a JSON list of commands on stdin, runs them in order against the moto server named by
--endpoint, and prints a JSON list of their results. A failing command prints
{"error": "..."} in its place and the script goes on, so a test sees every result.
"""

import argparse
import datetime
import json
import sys
import urllib.request

import boto3
import botocore.config

ACCOUNT = "123456789012"


def client(endpoint, service, region, keys=None):
    keys = keys or {"id": "AKIAIOSFODNN7EXAMPLE", "secret": "moto-setup-secret"}
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=keys["id"],
        aws_secret_access_key=keys["secret"],
        aws_session_token=keys.get("token"),
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def moto_api(endpoint, path, body=b""):
    # A form content type would make moto's Flask app swallow the body.
    headers = {"Content-Type": "text/plain"}
    request = urllib.request.Request(endpoint + path, data=body, headers=headers, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.read().decode()


def self_signed(domain, days):
    """A real certificate for `domain` that expires `days` days and an hour from now (the hour
    keeps whole days left at `days` while a test runs)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days, hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, key_pem


def run(endpoint, command):
    name = command["command"]
    region = command.get("region", "us-east-1")
    keys = command.get("keys")
    if name == "reset":
        moto_api(endpoint, "/moto-api/reset")
        return "ok"
    if name == "auth":
        # Requests after this many more are signature-checked and IAM-authorised by moto.
        return json.loads(moto_api(endpoint, "/moto-api/reset-auth", str(command["after"]).encode()))
    if name == "import_new_certificate":
        certificate, private_key = self_signed(command["domain"], command["days"])
        acm = client(endpoint, "acm", region, keys)
        tags = [{"Key": key, "Value": value} for key, value in command.get("tags", [])]
        extra = {"Tags": tags} if tags else {}
        return acm.import_certificate(Certificate=certificate, PrivateKey=private_key, **extra)["CertificateArn"]
    if name == "reimport_certificate":
        # A renewed certificate for the same ARN, as an owner re-imports one.
        certificate, private_key = self_signed(command["domain"], command["days"])
        acm = client(endpoint, "acm", region, keys)
        return acm.import_certificate(CertificateArn=command["arn"], Certificate=certificate, PrivateKey=private_key)["CertificateArn"]
    if name == "delete_certificate":
        client(endpoint, "acm", region, keys).delete_certificate(CertificateArn=command["arn"])
        return "ok"
    if name == "create_topic":
        return client(endpoint, "sns", region, keys).create_topic(Name=command["name"])["TopicArn"]
    if name == "enable_security_hub":
        client(endpoint, "securityhub", region, keys).enable_security_hub()
        return "ok"
    if name == "get_findings":
        # Every finding, or with "id" only that one, looked up as certwatch looks it up.
        query = {}
        if "id" in command:
            query = {"Filters": {"Id": [{"Value": command["id"], "Comparison": "EQUALS"}]}, "MaxResults": 1}
        return client(endpoint, "securityhub", region, keys).get_findings(**query)["Findings"]
    if name == "sent_notifications":
        data = json.loads(moto_api(endpoint, "/moto-api/data.json", None))
        sent = []
        for topic in data.get("sns", {}).get("Topic", []):
            for message_id, message, subject, *_ in topic.get("sent_notifications", []):
                sent.append({"topic_arn": topic["arn"], "message_id": message_id, "subject": subject, "message": message})
        return sent
    if name == "create_queue":
        sqs = client(endpoint, "sqs", region, keys)
        url = sqs.create_queue(QueueName=command["name"])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return {"url": url, "arn": arn}
    if name == "subscribe_queue":
        # The queue gets the topic's messages as published (RawMessageDelivery), as a chat
        # client reads them, not wrapped in SNS's envelope.
        sns = client(endpoint, "sns", region, keys)
        return sns.subscribe(TopicArn=command["topic_arn"], Protocol="sqs", Endpoint=command["queue_arn"], Attributes={"RawMessageDelivery": "true"}, ReturnSubscriptionArn=True)["SubscriptionArn"]
    if name == "route_events_to_queue":
        # A bus, and a rule on it that sends what matches "pattern" to the queue.
        events = client(endpoint, "events", region, keys)
        tags = [{"Key": k, "Value": v} for k, v in command.get("tags", {}).items()]
        events.create_event_bus(Name=command["bus"], Tags=tags)
        events.put_rule(Name=command["bus"] + "-to-queue", EventBusName=command["bus"], EventPattern=json.dumps(command["pattern"]))
        events.put_targets(Rule=command["bus"] + "-to-queue", EventBusName=command["bus"], Targets=[{"Id": "queue", "Arn": command["queue_arn"]}])
        return "ok"
    if name == "receive_messages":
        # Every message the queue holds now, its body as text.
        sqs = client(endpoint, "sqs", region, keys)
        bodies = []
        while True:
            got = sqs.receive_message(QueueUrl=command["url"], MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not got:
                return bodies
            for message in got:
                bodies.append(message["Body"])
                sqs.delete_message(QueueUrl=command["url"], ReceiptHandle=message["ReceiptHandle"])
    if name == "create_user":
        iam = client(endpoint, "iam", "us-east-1", keys)
        iam.create_user(UserName=command["user"])
        policy = iam.create_policy(PolicyName=command["user"] + "-policy", PolicyDocument=command["policy"])
        iam.attach_user_policy(UserName=command["user"], PolicyArn=policy["Policy"]["Arn"])
        key = iam.create_access_key(UserName=command["user"])["AccessKey"]
        return {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    if name == "create_role":
        # A role that "principal" may assume (moto matches a trust policy's principal exactly:
        # the account's root does not stand for its users there), holding "policy".
        iam = client(endpoint, "iam", "us-east-1", keys)
        principal = command.get("principal", "arn:aws:iam::123456789012:root")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName=command["role"], AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        policy = iam.create_policy(PolicyName=command["role"] + "-policy", PolicyDocument=command["policy"])
        iam.attach_role_policy(RoleName=command["role"], PolicyArn=policy["Policy"]["Arn"])
        return role["Arn"]
    if name == "assume_role":
        # Temporary credentials for "arn", as moto's STS hands them out (and accepts them).
        sts = client(endpoint, "sts", "us-east-1", keys)
        issued = sts.assume_role(RoleArn=command["arn"], RoleSessionName=command.get("session", "certwatch-test"))["Credentials"]
        return {"id": issued["AccessKeyId"], "secret": issued["SecretAccessKey"], "token": issued["SessionToken"]}
    if name == "detach_user_policies":
        # The user loses every permission it had: its next request is refused.
        iam = client(endpoint, "iam", "us-east-1", keys)
        for attached in iam.list_attached_user_policies(UserName=command["user"])["AttachedPolicies"]:
            iam.detach_user_policy(UserName=command["user"], PolicyArn=attached["PolicyArn"])
        return "ok"
    if name == "not_after":
        # ACM's NotAfter for "arn", in seconds since the epoch.
        described = client(endpoint, "acm", region, keys).describe_certificate(CertificateArn=command["arn"])
        return described["Certificate"]["NotAfter"].timestamp()
    if name == "detach_role_policies":
        iam = client(endpoint, "iam", "us-east-1", keys)
        for attached in iam.list_attached_role_policies(RoleName=command["role"])["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=command["role"], PolicyArn=attached["PolicyArn"])
        return "ok"
    if name == "create_organization":
        # The caller's account becomes the management account.
        return client(endpoint, "organizations", "us-east-1", keys).create_organization(FeatureSet="ALL")["Organization"]["Id"]
    if name == "create_account":
        # A member account of the organization; its id.
        organizations = client(endpoint, "organizations", "us-east-1", keys)
        status = organizations.create_account(Email=command["name"] + "@example.com", AccountName=command["name"])["CreateAccountStatus"]
        return status["AccountId"]
    if name == "receive_records":
        # Every message on the queue at "url" (up to "most", 10 a call), as SQS hands them out to
        # a Lambda event source mapping: its id, receipt handle and body; none is deleted.
        sqs = client(endpoint, "sqs", region, keys)
        received = []
        while len(received) < command.get("most", 100):
            page = sqs.receive_message(QueueUrl=command["url"], MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not page:
                break
            received.extend({"message_id": m["MessageId"], "receipt_handle": m["ReceiptHandle"], "body": m["Body"]} for m in page)
        return received
    if name == "publish":
        return client(endpoint, "sns", region, keys).publish(TopicArn=command["topic"], Message=command["message"])["MessageId"]
    raise ValueError(f"unknown command {name!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()
    results = []
    for command in json.load(sys.stdin):
        try:
            results.append(run(args.endpoint, command))
        except Exception as error:  # reported to the test, which decides
            results.append({"error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
