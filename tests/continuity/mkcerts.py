#!/usr/bin/env python3
"""Certificates for the continuity tests, made with python3-cryptography.

usage: mkcerts.py DIR

DIR/ca.pem (a CA), and for 127.0.0.1 (as IP and DNS name): good (valid a
year), soon (expires in 10 days: a warning), expired (expired yesterday),
each as NAME.pem and NAME.key.
"""
import datetime
import ipaddress
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def write_key(path, key):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def main():
    d = sys.argv[1]
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("continuity test CA"))
          .issuer_name(name("continuity test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=30))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    with open(f"{d}/ca.pem", "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    spans = {"good": (-1, 365), "soon": (-1, 10), "expired": (-30, -1)}
    for leaf, (start, end) in spans.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1"))
                .issuer_name(ca.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=start))
                .not_valid_after(now + datetime.timedelta(days=end, hours=1))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                     x509.DNSName("127.0.0.1")]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        with open(f"{d}/{leaf}.pem", "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        write_key(f"{d}/{leaf}.key", key)


if __name__ == "__main__":
    main()
