"""Who may do what in the directory. Its data is not personal: everyone in the municipality reads
it; editors (and partner systems that keep their own entries) change it, and changes are audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth.audit_api import audit_rules
from shared.auth.policy import Access, Authorizer, Policy, Reach, Rule
from shared.auth.roles import Role

TENANT = Reach.tenant
_READERS: dict[Role, Reach] = {role: TENANT for role in Role if role != Role.auditor}
_EDITORS: dict[Role, Reach] = {Role.directory_editor: TENANT, Role.integration: TENANT}

POLICY: Policy = {
    "searchResources": Rule("resource", "list", _READERS, personal_data=False),
    "getResource": Rule("resource", "read", _READERS, personal_data=False),
    "getResourceHistory": Rule("resource", "read", _READERS, personal_data=False),
    "listOrganisations": Rule("organisation", "list", _READERS, personal_data=False),
    "exportResourcesCsv": Rule("resource", "export", _READERS, personal_data=False),
    "exportHsds": Rule("resource", "export", _READERS, personal_data=False),
    "publishResource": Rule("resource", "create", _EDITORS, personal_data=False),
    "updateResource": Rule("resource", "update", _EDITORS, personal_data=False),
    "retireResource": Rule("resource", "update", _EDITORS, personal_data=False),
    "recordOrganisation": Rule("organisation", "create", _EDITORS, personal_data=False),
    "importResourcesCsv": Rule("resource", "import", _EDITORS, personal_data=False),
    "importHsds": Rule("resource", "import", _EDITORS, personal_data=False),
    # 地区・学区の台帳: read like the resources, replaced by the same editors.
    "listDistricts": Rule("district", "list", _READERS, personal_data=False),
    "lookupDistricts": Rule("district", "read", _READERS, personal_data=False),
    "replaceDistricts": Rule("district", "update", _EDITORS, personal_data=False),
    **audit_rules("directory"),
}

authorize = Authorizer("directory", POLICY)
DirectoryAccess = Annotated[Access, Depends(authorize)]
