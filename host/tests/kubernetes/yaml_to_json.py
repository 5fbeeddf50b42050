"""Prints the YAML file named on the command line as JSON (PyYAML's safe loader), so that the
tests read the Kubernetes manifests as Kubernetes does."""

import json
import sys

import yaml

with open(sys.argv[1], encoding="utf-8") as manifest:
    json.dump(yaml.safe_load(manifest), sys.stdout)
