"""ACM: requested certificates and their validation. Names, defaults and ForceNew as pulumi-aws
(terraform-provider-aws `internal/service/acm/certificate.go`, `certificate_validation.go`).
Imported certificates (`privateKey`, `certificateBody`) are not supported."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from orchestrator.engines.local.providers.aws.declared import DeclaredResource
from orchestrator.engines.local.providers.aws.spec import AwsType, Call, Prop, Tagging, Update
from orchestrator.engines.local.providers.base import ProviderError

_NO_CERTIFICATE = ("ResourceNotFoundException",)
# How long a validation waits for the certificate to be issued (pulumi-aws: 75 minutes).
VALIDATION_TIMEOUT_S = 75 * 60


def _stamp(value: Any) -> Any:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(value, "strftime") else value


class CertificateCode(DeclaredResource):
    """Validation options and dates are read into pulumi-aws's shapes."""

    def normalize(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        names = news.get("subjectAlternativeNames")
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            news["subjectAlternativeNames"] = sorted(set(names) - {news.get("domainName")})
        return news

    def finish_outputs(
        self, outputs: dict[str, Any], doc: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        options = [o for o in doc.get("DomainValidationOptions", []) if o.get("ResourceRecord")]
        outputs["domainValidationOptions"] = sorted(({
            "domainName": o["DomainName"], "resourceRecordName": o["ResourceRecord"]["Name"],
            "resourceRecordType": o["ResourceRecord"]["Type"], "resourceRecordValue": o["ResourceRecord"]["Value"],
        } for o in options), key=lambda o: o["domainName"])
        outputs["validationEmails"] = sorted({e for o in doc.get("DomainValidationOptions", [])
                                              for e in o.get("ValidationEmails", [])})
        outputs["subjectAlternativeNames"] = sorted(set(doc.get("SubjectAlternativeNames", []))
                                                    - {doc.get("DomainName")})
        for key in ("notAfter", "notBefore"):
            if outputs.get(key) is not None:
                outputs[key] = _stamp(outputs[key])
        return outputs


CERTIFICATE = AwsType(
    token="aws:acm/certificate:Certificate",
    client="acm",
    props=(
        Prop("domainName", api="DomainName", read="DomainName", replace=True, required=True),
        Prop("subjectAlternativeNames", api="SubjectAlternativeNames", kind="list", read="", replace=True,
             computed=True),
        Prop("validationMethod", api="ValidationMethod", read="", replace=True, choices=("DNS", "EMAIL")),
        Prop("keyAlgorithm", api="KeyAlgorithm", read="KeyAlgorithm", replace=True, computed=True),
        Prop("options", kind="object", read="Options", computed=True, props=(
            Prop("certificateTransparencyLoggingPreference", api="CertificateTransparencyLoggingPreference",
                 read="CertificateTransparencyLoggingPreference", default="ENABLED"),
        )),
        Prop("arn", read="CertificateArn", output=True),
        Prop("status", read="Status", output=True),
        Prop("type", read="Type", output=True),
        Prop("notAfter", read="NotAfter", output=True),
        Prop("notBefore", read="NotBefore", output=True),
        Prop("domainValidationOptions", kind="list", read="", output=True),
        Prop("validationEmails", kind="list", read="", output=True),
        Prop("renewalEligibility", read="RenewalEligibility", output=True),
    ),
    create=Call("request_certificate", id="CertificateArn"),
    read=(Call("describe_certificate", {"CertificateArn": "{id}"}, result="Certificate", absent=_NO_CERTIFICATE),),
    updates=(Update(Call("update_certificate_options", {"CertificateArn": "{id}"}), props=("options",),
                    paths={"options": "Options"}),),
    delete=Call("delete_certificate", {"CertificateArn": "{id}"}, absent=_NO_CERTIFICATE),
    tagging=Tagging(
        read=Call("list_tags_for_certificate", {"CertificateArn": "{id}"}, result="Tags"),
        tag=Call("add_tags_to_certificate", {"CertificateArn": "{id}", "Tags": "{tags}"}),
        untag=Call("remove_tags_from_certificate", {"CertificateArn": "{id}", "Tags": "{keys}"}),
        untag_key="Key",
    ),
    impl=CertificateCode,
)


class CertificateValidationCode(DeclaredResource):
    """Not an AWS object: waits until the certificate is issued (and, for DNS validation,
    that the records named are the ones ACM asked for). Deleting it does nothing."""

    def create(self, urn: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        arn = str(inputs["certificateArn"])
        acm = self.client(inputs)
        deadline = time.monotonic() + VALIDATION_TIMEOUT_S
        with self.errors(arn, inputs):
            while True:
                certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
                self._check_records(certificate, inputs)
                if certificate.get("Status") == "ISSUED":
                    break
                if certificate.get("Status") != "PENDING_VALIDATION" or time.monotonic() > deadline:
                    raise ProviderError(f"{self.type_token}: certificate {arn} is {certificate.get('Status')}, "
                                        "not issued")
                time.sleep(2)
        return arn, self.described(arn, inputs)

    def _check_records(self, certificate: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
        wanted = {str(f).rstrip(".").lower() for f in inputs.get("validationRecordFqdns") or []}
        asked = {o["ResourceRecord"]["Name"].rstrip(".").lower()
                 for o in certificate.get("DomainValidationOptions", []) if o.get("ResourceRecord")}
        if wanted and asked and not asked <= wanted:
            raise ProviderError(f"{self.type_token}: the validation records {sorted(wanted)} miss "
                                f"{sorted(asked - wanted)}, which ACM asks for")

    def live(self, id: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any] | None:
        doc = super().live(str(inputs["certificateArn"]), inputs, outputs)
        return doc if doc is not None and doc.get("Status") == "ISSUED" else None


CERTIFICATE_VALIDATION = AwsType(
    token="aws:acm/certificateValidation:CertificateValidation",
    client="acm",
    props=(
        Prop("certificateArn", required=True, replace=True, read="CertificateArn"),
        Prop("validationRecordFqdns", kind="list", replace=True, read=""),
    ),
    create=Call("describe_certificate"),
    read=(Call("describe_certificate", {"CertificateArn": "{inputs.certificateArn}"}, result="Certificate",
               absent=_NO_CERTIFICATE),),
    delete=None,
    impl=CertificateValidationCode,
)

TYPES = (CERTIFICATE, CERTIFICATE_VALIDATION)
