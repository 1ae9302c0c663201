"""Every table of the hub, one per module; importing this package registers them all."""

from hub.store.models._base import metadata
from hub.store.models.api_client import ApiClient
from hub.store.models.audit_checkpoint import AuditCheckpoint as AuditCheckpoint
from hub.store.models.audit_entry import AuditEntry as AuditEntry
from hub.store.models.client_assertion import ClientAssertion
from hub.store.models.collection import Collection
from hub.store.models.community import Community
from hub.store.models.console_user import ConsoleSession, ConsoleUser
from hub.store.models.grant import Grant
from hub.store.models.job import Job as Job
from hub.store.models.membership import Membership
from hub.store.models.object_version import ObjectVersion
from hub.store.models.object_view import ObjectView
from hub.store.models.policy_version import PolicyVersion
from hub.store.models.status import Status
from hub.store.models.tenant import Tenant
from hub.store.models.tenant_key import TenantKey as TenantKey

__all__ = [
    "ApiClient",
    "ClientAssertion",
    "Collection",
    "Community",
    "ConsoleSession",
    "ConsoleUser",
    "Grant",
    "Membership",
    "ObjectVersion",
    "ObjectView",
    "PolicyVersion",
    "Status",
    "Tenant",
    "metadata",
]
