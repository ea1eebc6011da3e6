"""Imports every domain's tables so that `Base.metadata` is complete (Alembic, tests)."""

from parley.accounts import bots as accounts_bots
from parley.accounts import models as accounts_models
from parley.accounts import oidc_links as accounts_oidc_links
from parley.admin import models as admin_models
from parley.chat import models as chat_models
from parley.core import outbox
from parley.core.database import Base
from parley.files import models as files_models
from parley.integrations import models as integrations_models
from parley.notices import models as notices_models
from parley.notify import models as notify_models
from parley.rooms import models as rooms_models
from parley.search import models as search_models
from parley.social import models as social_models
from parley.transfer import models as transfer_models

__all__ = [
    "Base",
    "accounts_bots",
    "accounts_models",
    "accounts_oidc_links",
    "admin_models",
    "chat_models",
    "files_models",
    "integrations_models",
    "notices_models",
    "notify_models",
    "outbox",
    "rooms_models",
    "search_models",
    "social_models",
    "transfer_models",
]
