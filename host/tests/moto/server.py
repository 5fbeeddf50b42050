"""Runs moto's server (`python server.py -H 127.0.0.1 -p PORT`) with known moto defects worked
around.

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

moto 5.2's GetFindings ignores `Filters`: it pages over every finding, so a lookup by `Id` with
`MaxResults: 1` gets whichever finding came first. AWS's API reference (`StringFilter`) applies
them: `EQUALS` and `PREFIX` filters on one field are joined by OR, `NOT_EQUALS` and
`PREFIX_NOT_EQUALS` by AND; `PREFIX` filters are applied first and the negative ones then
exclude; `EQUALS` together with a negative filter on the same field is an error; the fields
are joined by AND. Here the string filters on the fields in `FILTER_FIELDS` are applied that
way, before `MaxResults` and `NextToken` page over what is left. A field of a list (a finding's
resources, its types) matches a positive filter if any of its values does, and a negative one
if none of them is excluded; a finding without the field matches only negative filters. A
filter this patch cannot apply (another field or filter type, `CONTAINS`, `NOT_CONTAINS`,
`CONTAINS_WORD`) is refused with InvalidInputException rather than ignored. `SortCriteria`
stays ignored, as moto ignores it: findings come in the order they were first imported.

moto 5.2's Security Hub has no BatchUpdateFindings (`PATCH /findings/batchupdate` answers 404).
Here it updates what the API reference lists (`Confidence`, `Criticality`, `Note`,
`RelatedFindings`, `Severity`, `Types`, `UserDefinedFields`, `VerificationState`, `Workflow`)
on each finding named by `Id` and `ProductArn`, and answers `ProcessedFindings` and, for a
finding it does not hold (or one named twice), `UnprocessedFindings` with `FindingNotFound`
(`DuplicatedFindingIdentifier`). As AWS documents, the update leaves the finding's `UpdatedAt`
alone; a note gets its own `UpdatedAt`; a `Severity` with only `Normalized` gets its `Label`
from the documented ranges.

moto 5.2's BatchImportFindings of a finding that exists merges every field the provider sends.
AWS's user guide ("BatchImportFindings for finding providers") documents otherwise, and that is
followed here:
- an update whose `UpdatedAt` is not later than the finding's is ignored;
- `Note`, `UserDefinedFields`, `VerificationState` and `Workflow` in it are ignored: only
  BatchUpdateFindings changes them;
- of `Confidence`, `Criticality`, `RelatedFindings`, `Severity` and `Types`, what the provider
  sends in `FindingProviderFields` (else at the top level) updates `FindingProviderFields`, and
  what it sends at the top level (else in `FindingProviderFields`) updates the top level, but
  only where BatchUpdateFindings has not set it ("Using FindingProviderFields"); for a new
  finding, `FindingProviderFields` wins over the top level, and the one given fills the other;
- Security Hub resets a `NOTIFIED` or `RESOLVED` workflow to `NEW` when the record state goes
  from `ARCHIVED` to `ACTIVE`, or the compliance status from `PASSED` to `WARNING`, `FAILED` or
  `NOT_AVAILABLE` (`Workflow` in the API reference);
- a new finding's workflow is `NEW` (the initial state, per `Workflow`) and its record state
  `ACTIVE` unless the provider says otherwise;
- an account without Security Hub gets each finding back in `FailedFindings` with
  `InvalidAccess`, where moto would have taken it.

moto 5.2 with IAM enforcement on refuses an unsigned AssumeRoleWithWebIdentity: it lets
requests through unsigned only by their `X-Amz-Target`, which a Query-protocol call has none
of. STS's API reference documents that AssumeRoleWithWebIdentity needs no AWS credentials (the
identity provider's token is the proof), and EKS's IRSA relies on it; here STS's unsigned call
is let through, as AWS lets it.

One fault is added, not mended: EventBridge's PutEvents can refuse single entries (the call
succeeds, `FailedEntryCount` counts them, each refused entry carries `ErrorCode` and
`ErrorMessage`, as the API reference documents), which moto does only for entries that are
malformed. An entry put on a bus tagged `certwatch-test:fail-entries` is refused with that
tag's value as its `ErrorCode` (`InternalFailure` and `ThrottlingException` are the retryable
ones), so a test can make a well-formed put fail as AWS may.
"""

import copy
import datetime
import json
import os
import threading
import time
from typing import Any

import moto.securityhub.urls
from moto.events.models import EventsBackend
from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam import access_control
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.securityhub.responses import SecurityHubResponse
from moto.server import main
from moto.sts.responses import TokenResponse
from moto.utilities.paginator import paginate

_create_aws_request = access_control.IAMRequestBase._create_aws_request


def _create_aws_request_without_phantom_body(self):
    if self._method in ("GET", "HEAD") and not self._body:
        self._data = b""
    return _create_aws_request(self)


access_control.IAMRequestBase._create_aws_request = _create_aws_request_without_phantom_body

_authenticate_and_authorize_action = ActionAuthenticatorMixin._authenticate_and_authorize_action

# STS's operations that the API reference says take no AWS credentials.
_UNSIGNED_STS_ACTIONS = {"AssumeRoleWithWebIdentity"}


def _authenticate_unless_unsigned_by_design(self, iam_request_cls, resource="*"):
    if isinstance(self, TokenResponse) and self._get_action() in _UNSIGNED_STS_ACTIONS:
        return None
    return _authenticate_and_authorize_action(self, iam_request_cls, resource)


ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_unless_unsigned_by_design


def _invalid(msg: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", msg)


def _require_hub(backend):
    if not backend.enabled:
        raise SecurityHubClientError(
            "InvalidAccessException", "Account is not subscribed to AWS Security Hub"
        )


# --- GetFindings: string filters, applied before paging --------------------------------------

# Each filter field, and where a finding (ASFF) keeps it: `a.b` is a nested object's field,
# `a[]` every member of a list.
FILTER_FIELDS = {
    "Id": "Id",
    "ProductArn": "ProductArn",
    "GeneratorId": "GeneratorId",
    "AwsAccountId": "AwsAccountId",
    "Region": "Region",
    "Title": "Title",
    "Description": "Description",
    "Type": "Types[]",
    "RecordState": "RecordState",
    "WorkflowStatus": "Workflow.Status",
    "WorkflowState": "WorkflowState",
    "ComplianceStatus": "Compliance.Status",
    "SeverityLabel": "Severity.Label",
    "VerificationState": "VerificationState",
    "NoteText": "Note.Text",
    "NoteUpdatedBy": "Note.UpdatedBy",
    "ResourceType": "Resources[].Type",
    "ResourceId": "Resources[].Id",
    "ResourcePartition": "Resources[].Partition",
    "ResourceRegion": "Resources[].Region",
}
_POSITIVE = {"EQUALS", "PREFIX"}
_NEGATIVE = {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}


def _field_values(finding: dict[str, Any], path: str) -> list[str]:
    values: list[Any] = [finding]
    for step in path.split("."):
        many = step.endswith("[]")
        key = step.removesuffix("[]")
        found = []
        for value in values:
            inner = value.get(key) if isinstance(value, dict) else None
            if many and isinstance(inner, list):
                found.extend(inner)
            elif inner is not None:
                found.append(inner)
        values = found
    return [value for value in values if isinstance(value, str)]


def _compare(comparison: str, value: str, wanted: str) -> bool:
    if comparison in ("EQUALS", "NOT_EQUALS"):
        return value == wanted
    return value.startswith(wanted)


def _string_filters(filters: dict[str, Any] | None) -> list[tuple[str, list[dict], list[dict]]]:
    """The filters as (ASFF path, positive filters, negative filters), checked as AWS checks
    them; anything this patch cannot apply is refused."""
    checked = []
    for field, conditions in (filters or {}).items():
        if field not in FILTER_FIELDS:
            raise _invalid(f"the moto patch in server.py does not apply the filter {field!r}")
        if not isinstance(conditions, list) or not all(
            isinstance(c, dict) and isinstance(c.get("Value"), str) for c in conditions
        ):
            raise _invalid(f"{field} must be a list of StringFilter")
        comparisons = [c.get("Comparison") for c in conditions]
        unknown = [c for c in comparisons if c not in _POSITIVE | _NEGATIVE]
        if unknown:
            raise _invalid(f"the moto patch in server.py does not apply {unknown[0]!r} ({field})")
        if "EQUALS" in comparisons and _NEGATIVE & set(comparisons):
            raise _invalid(
                f"{field}: an EQUALS filter cannot be combined with NOT_EQUALS or "
                "PREFIX_NOT_EQUALS on the same field"
            )
        positive = [c for c in conditions if c["Comparison"] in _POSITIVE]
        negative = [c for c in conditions if c["Comparison"] in _NEGATIVE]
        checked.append((FILTER_FIELDS[field], positive, negative))
    return checked


def _matches(finding: dict[str, Any], filters: list[tuple[str, list[dict], list[dict]]]) -> bool:
    for path, positive, negative in filters:
        values = _field_values(finding, path)
        if positive and not any(
            _compare(c["Comparison"], v, c["Value"]) for c in positive for v in values
        ):
            return False
        if any(_compare(c["Comparison"], v, c["Value"]) for c in negative for v in values):
            return False
    return True


_all_findings = SecurityHubBackend.get_findings.__wrapped__  # moto's, before its paging


@paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
def get_findings(self, filters=None, sort_criteria=None, max_results=None):
    _require_hub(self)
    checked = _string_filters(filters)
    findings = _all_findings(
        self, filters=filters, sort_criteria=sort_criteria, max_results=max_results
    )
    return [f for f in findings if _matches(f, checked)]


SecurityHubBackend.get_findings = get_findings


# --- BatchImportFindings, as the user guide says it treats a finding that exists -----------

_SET_BY_CUSTOMERS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
_PROVIDER_FIELDS = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")


def _instant(timestamp: Any) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
    except ValueError:
        return None


def _set_by_batch_update(finding: Finding) -> set[str]:
    if not hasattr(finding, "_set_by_batch_update"):
        finding._set_by_batch_update = set()
    return finding._set_by_batch_update


def _create(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    provider = data.setdefault("FindingProviderFields", {})
    for field in _PROVIDER_FIELDS:
        if field in provider:
            data[field] = copy.deepcopy(provider[field])
        elif field in data:
            provider[field] = copy.deepcopy(data[field])
    if not provider:
        del data["FindingProviderFields"]
    data.setdefault("Workflow", {"Status": "NEW"})
    data.setdefault("RecordState", "ACTIVE")
    return data


def _update(finding: Finding, update: dict[str, Any]) -> None:
    data = finding.data
    before = _instant(data.get("UpdatedAt"))
    after = _instant(update.get("UpdatedAt"))
    if before and after and after <= before:
        return
    update = copy.deepcopy(update)
    for field in _SET_BY_CUSTOMERS:
        update.pop(field, None)
    customers = _set_by_batch_update(finding)
    provided = update.pop("FindingProviderFields", None) or {}
    for field in _PROVIDER_FIELDS:
        top = update.pop(field, None)
        if field not in provided and top is None:
            continue
        data.setdefault("FindingProviderFields", {})[field] = copy.deepcopy(
            provided.get(field, top)
        )
        if field not in customers:
            data[field] = top if top is not None else copy.deepcopy(provided[field])
    record_state, compliance = data.get("RecordState"), data.get("Compliance", {}).get("Status")
    data.update(update)
    reopened = record_state == "ARCHIVED" and data.get("RecordState") == "ACTIVE"
    failing = compliance == "PASSED" and data.get("Compliance", {}).get("Status") in (
        "WARNING",
        "FAILED",
        "NOT_AVAILABLE",
    )
    workflow = data.get("Workflow") or {}
    if (reopened or failing) and workflow.get("Status") in ("NOTIFIED", "RESOLVED"):
        data["Workflow"] = {**workflow, "Status": "NEW"}


def batch_import_findings(self, findings: list[dict[str, Any]]):
    failed = []
    success_count = 0
    for finding_data in findings:
        try:
            if not self.enabled:
                raise SecurityHubClientError(
                    "InvalidAccess", "Account is not subscribed to AWS Security Hub"
                )
            if not isinstance(finding_data.get("Resources"), list) or not finding_data["Resources"]:
                raise _invalid("Finding must contain at least one resource in the Resources array")
            finding_id = finding_data["Id"]
            existing = next((f for f in self.findings if f.id == finding_id), None)
            if existing:
                _update(existing, finding_data)
            else:
                self.findings.append(Finding(finding_id, _create(finding_data)))
            success_count += 1
        except Exception as error:
            code = "InvalidAccess" if not self.enabled else "InvalidInput"
            message = getattr(error, "message", None) or str(error)
            failed.append({"Id": finding_data.get("Id", ""), "ErrorCode": code, "ErrorMessage": message})
    return len(failed), success_count, failed


SecurityHubBackend.batch_import_findings = batch_import_findings


# --- BatchUpdateFindings ---------------------------------------------------------------------

_LABELS = ((0, "INFORMATIONAL"), (39, "LOW"), (69, "MEDIUM"), (89, "HIGH"), (100, "CRITICAL"))
_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
_ENUMS = {
    "Workflow.Status": {"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"},
    "VerificationState": {"UNKNOWN", "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE"},
    "Severity.Label": set(_NORMALIZED),
}


def _checked_updates(request: dict[str, Any]) -> dict[str, Any]:
    """The request's updates, checked against the API reference's shapes."""
    updates = {
        field: copy.deepcopy(request[field])
        for field in (
            "Confidence",
            "Criticality",
            "Note",
            "RelatedFindings",
            "Severity",
            "Types",
            "UserDefinedFields",
            "VerificationState",
            "Workflow",
        )
        if field in request
    }
    for path, allowed in _ENUMS.items():
        outer, _, inner = path.partition(".")
        value = updates.get(outer)
        if inner and isinstance(value, dict):
            value = value.get(inner)
        if value is not None and value not in allowed:
            raise _invalid(f"{path} must be one of {sorted(allowed)}, not {value!r}")
    for field in ("Confidence", "Criticality"):
        if field in updates and not (
            isinstance(updates[field], int) and 0 <= updates[field] <= 100
        ):
            raise _invalid(f"{field} must be an integer from 0 to 100")
    note = updates.get("Note")
    if note is not None:
        if not isinstance(note, dict) or not note.get("Text") or not note.get("UpdatedBy"):
            raise _invalid("Note needs Text and UpdatedBy")
        if len(note["Text"]) > 512:
            raise _invalid("Note.Text is at most 512 characters")
    severity = updates.get("Severity")
    if severity is not None:
        normalized = severity.get("Normalized")
        if normalized is not None and not (isinstance(normalized, int) and 0 <= normalized <= 100):
            raise _invalid("Severity.Normalized must be an integer from 0 to 100")
        if "Label" not in severity and normalized is not None:
            severity["Label"] = next(label for top, label in _LABELS if normalized <= top)
        if "Normalized" not in severity and "Label" in severity:
            severity["Normalized"] = _NORMALIZED[severity["Label"]]
    return updates


def batch_update_findings(self, request: dict[str, Any]):
    _require_hub(self)
    identifiers = request.get("FindingIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= 100:
        raise _invalid("FindingIdentifiers must name from 1 to 100 findings")
    updates = _checked_updates(request)
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")
    processed, unprocessed, seen = [], [], set()
    for identifier in identifiers:
        key = (identifier.get("Id"), identifier.get("ProductArn"))
        if key in seen:
            unprocessed.append(
                {
                    "FindingIdentifier": identifier,
                    "ErrorCode": "DuplicatedFindingIdentifier",
                    "ErrorMessage": "Finding Identifier is duplicated",
                }
            )
            continue
        seen.add(key)
        finding = next(
            (f for f in self.findings if (f.id, f.data.get("ProductArn")) == key), None
        )
        if finding is None:
            unprocessed.append(
                {
                    "FindingIdentifier": identifier,
                    "ErrorCode": "FindingNotFound",
                    "ErrorMessage": "Finding Not Found",
                }
            )
            continue
        for field, value in updates.items():
            value = copy.deepcopy(value)
            if field == "Note":
                value["UpdatedAt"] = now.replace("+00:00", "Z")
            elif field in ("Severity", "Workflow"):
                value = {**(finding.data.get(field) or {}), **value}
            finding.data[field] = value
        _set_by_batch_update(finding).update(updates)
        processed.append({"Id": key[0], "ProductArn": key[1]})
    return processed, unprocessed


SecurityHubBackend.batch_update_findings = batch_update_findings


def _batch_update_findings_response(self) -> str:
    request = json.loads(self.body) if self.body else {}
    processed, unprocessed = self.securityhub_backend.batch_update_findings(request)
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


SecurityHubResponse.batch_update_findings = _batch_update_findings_response
# moto routes a path to its responses only if its urls.py lists it; the server's Flask app is
# built from that list when the first Security Hub request arrives, after this.
moto.securityhub.urls.url_paths["{0}/findings/batchupdate$"] = SecurityHubResponse.dispatch


FAIL_ENTRIES_TAG = "certwatch-test:fail-entries"
_put_events = EventsBackend.put_events


def _entry_fault(backend: EventsBackend, event: dict[str, Any]) -> str | None:
    """The ErrorCode the entry's bus is tagged to refuse it with, if any."""
    name = backend._normalize_event_bus_arn(event.get("EventBusName"))
    bus = backend.event_buses.get(name)
    if bus is None:
        return None
    return backend.tagger.get_tag_dict_for_resource(bus.arn).get(FAIL_ENTRIES_TAG)


def put_events(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    faults = [_entry_fault(self, event) for event in events]
    passed = iter(_put_events(self, [e for e, fault in zip(events, faults) if fault is None]))
    refused = "refused: the bus is tagged " + FAIL_ENTRIES_TAG
    return [next(passed) if fault is None else {"ErrorCode": fault, "ErrorMessage": refused} for fault in faults]


EventsBackend.put_events = put_events


def exit_with_parent():
    """The test process that started this server may end without stopping it; follow it."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=exit_with_parent, daemon=True).start()
    main()
