"""Every table of the hub, one per module; importing this package registers them all."""

from hub.store.models._base import metadata
from hub.store.models.api_client import ApiClient
from hub.store.models.collection import Collection
from hub.store.models.community import Community
from hub.store.models.grant import Grant
from hub.store.models.membership import Membership
from hub.store.models.object_version import ObjectVersion
from hub.store.models.status import Status
from hub.store.models.tenant import Tenant

__all__ = [
    "ApiClient",
    "Collection",
    "Community",
    "Grant",
    "Membership",
    "ObjectVersion",
    "Status",
    "Tenant",
    "metadata",
]
