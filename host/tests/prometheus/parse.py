"""Reads a page of Prometheus's text format on stdin with prometheus-client's reference parser
(text_string_to_metric_families) and prints its families as JSON: name, type, help and samples
(name, labels, value). A page the parser refuses exits non-zero with its error."""

import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def number(value):
    # JSON has no infinities or NaN; name them as the text format does.
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return value


families = [
    {
        "name": family.name,
        "type": family.type,
        "help": family.documentation,
        "samples": [
            {"name": sample.name, "labels": sample.labels, "value": number(sample.value)}
            for sample in family.samples
        ],
    }
    for family in text_string_to_metric_families(sys.stdin.read())
]
json.dump(families, sys.stdout)
