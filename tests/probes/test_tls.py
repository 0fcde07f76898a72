"""TLS failures map to distinct reasons; expiry comes from the leaf and from the presented chain."""

from __future__ import annotations

import asyncio
import ssl
import time

from cryptography import x509

from cflexagent.probes import tls

from .conftest import TLSTargets


def _not_after(pem: bytes) -> float:
    return x509.load_pem_x509_certificate(pem).not_valid_after_utc.timestamp()


async def test_trusted_certificate_succeeds_with_expiry(probe, tls_targets: TLSTargets) -> None:
    r = await probe(url=f"https://127.0.0.1:{tls_targets.ok}/", ca_file=tls_targets.ca_file)
    assert r.result == "success", r.detail
    assert r.uses_tls and r.tls_version.startswith("TLS 1.")
    assert r.tls > 0
    assert r.leaf_expiry > 0 and r.chain_expiry <= r.leaf_expiry


async def test_self_signed_is_untrusted(probe, tls_targets: TLSTargets) -> None:
    r = await probe(url=f"https://127.0.0.1:{tls_targets.self_signed}/", ca_file=tls_targets.ca_file)
    assert r.reason == "tls_untrusted", r.detail


async def test_expired_is_cert_expired(probe, tls_targets: TLSTargets) -> None:
    r = await probe(url=f"https://127.0.0.1:{tls_targets.expired}/", ca_file=tls_targets.ca_file)
    assert r.reason == "cert_expired", r.detail


async def test_wrong_host_is_tls_hostname(probe, tls_targets: TLSTargets) -> None:
    r = await probe(url=f"https://localhost:{tls_targets.wrong_host}/", ca_file=tls_targets.ca_file)
    assert r.reason == "tls_hostname", r.detail


async def test_plain_http_server_is_tls_handshake(probe, app) -> None:
    r = await probe(url=f"https://127.0.0.1:{app.port}/ok")
    assert r.reason == "tls_handshake", r.detail


async def test_insecure_accepts_but_still_reports_expiry(probe, tls_targets: TLSTargets) -> None:
    r = await probe(url=f"https://127.0.0.1:{tls_targets.expired}/", tls_verify=False)
    assert r.result == "success", r.detail
    assert 0 < r.leaf_expiry < time.time()  # known even unverified: it is in the past


async def test_tcp_tls(probe, tls_targets: TLSTargets) -> None:
    r = await probe(address=f"127.0.0.1:{tls_targets.ok}", tls=True, ca_file=tls_targets.ca_file,
                    server_name="localhost")
    assert r.result == "success", r.detail
    assert r.leaf_expiry > 0
    r = await probe(address=f"127.0.0.1:{tls_targets.self_signed}", tls=True, ca_file=tls_targets.ca_file)
    assert r.reason == "tls_untrusted"


async def test_chain_expiries_reads_the_presented_chain(tls_targets: TLSTargets) -> None:
    """The private 3.11 chain API: leaf and earliest expiry of leaf + intermediate + root."""
    ctx = tls.client_context(True, tls_targets.ca_file)
    _reader, writer = await asyncio.open_connection("127.0.0.1", tls_targets.chain, ssl=ctx,
                                                   server_hostname="localhost")
    try:
        sslobj = writer.get_extra_info("ssl_object")
        assert isinstance(sslobj, ssl.SSLObject)
        leaf, earliest = tls.chain_expiries(sslobj)
        details = tls.chain_details(sslobj)
    finally:
        writer.close()
    peer_pem = ssl.DER_cert_to_PEM_cert(sslobj.getpeercert(binary_form=True)).encode()
    assert abs(leaf - _not_after(peer_pem)) < 1.0
    assert len(details) >= 2, "the intermediate must be visible through the chain API"
    assert abs(earliest - min(d["not_after"] for d in details)) < 1.0
    assert earliest <= leaf


def test_chain_expiries_falls_back_to_the_leaf_without_the_private_api() -> None:
    class NoChain:
        def getpeercert(self) -> dict[str, str]:
            return {"notAfter": "Jan  1 00:00:00 2030 GMT"}

    leaf, earliest = tls.chain_expiries(NoChain())
    assert leaf == earliest == ssl.cert_time_to_seconds("Jan  1 00:00:00 2030 GMT")


def test_classify_maps_verify_codes() -> None:
    def err(code: int) -> ssl.SSLCertVerificationError:
        e = ssl.SSLCertVerificationError(1, "verify failed")
        e.verify_code = code
        e.verify_message = "m"
        return e

    assert tls.classify(err(10))[0] == "cert_expired"
    assert tls.classify(err(62))[0] == "tls_hostname"
    assert tls.classify(err(18))[0] == "tls_untrusted"
    assert tls.classify(ssl.SSLError(1, "x"))[0] == "tls_handshake"
    assert tls.classify(ConnectionResetError())[0] == "tls_handshake"
