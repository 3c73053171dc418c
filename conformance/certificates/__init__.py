"""Signed certificates of conformance and failure records (Ed25519, canonical JSON).

- :mod:`~conformance.certificates.keys`: key generation, PEM loading, key ids;
- :mod:`~conformance.certificates.issue`: ``certify`` (certificate or failure record);
- :mod:`~conformance.certificates.verify`: what the integration gateway checks;
- :mod:`~conformance.certificates.render`: the HTML view.
"""

from conformance.certificates._canonical import canonical_json

__all__ = ["canonical_json"]
